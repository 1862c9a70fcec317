"""The comparison harness: every method on the same splits and seeds.

Run from the command line (``python -m sklearn_rcloud.study --help``) or
from Python::

    from sklearn_rcloud.study import paper_methods, run_study
    result = run_study(["sonar"], paper_methods(), "paper")
    print(result.to_markdown())
"""

from ._data import STUDY_DATASETS, StudyDataset, load_study_dataset
from ._methods import Method, MethodContext, default_methods, paper_methods
from ._paper import PAPER_RESULTS
from ._plots import plot_accuracy_vs_params, plot_time_ratios
from ._protocols import PAPER_SEEDS, CVProtocol, PaperProtocol
from ._report import markdown_table, summarize
from ._runner import RECORD_FIELDS, StudyResult, read_records, run_study
from ._stats import corrected_resampled_ttest, holm, wilcoxon_signed_rank

__all__ = [
    "PAPER_RESULTS",
    "PAPER_SEEDS",
    "RECORD_FIELDS",
    "STUDY_DATASETS",
    "CVProtocol",
    "Method",
    "MethodContext",
    "PaperProtocol",
    "StudyDataset",
    "StudyResult",
    "corrected_resampled_ttest",
    "default_methods",
    "holm",
    "load_study_dataset",
    "markdown_table",
    "paper_methods",
    "plot_accuracy_vs_params",
    "plot_time_ratios",
    "read_records",
    "run_study",
    "summarize",
    "wilcoxon_signed_rank",
]
