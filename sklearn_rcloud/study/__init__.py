"""The comparison harness: paired statistics (the runner follows)."""

from ._stats import corrected_resampled_ttest, holm, wilcoxon_signed_rank

__all__ = ["corrected_resampled_ttest", "holm", "wilcoxon_signed_rank"]
