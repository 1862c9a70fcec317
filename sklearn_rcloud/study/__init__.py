"""The comparison harness: every method on the same splits and seeds.

Run from the command line (``python -m sklearn_rcloud.study --help``) or
from Python::

    from sklearn_rcloud.study import paper_methods, run_study
    result = run_study(["sonar"], paper_methods(), "paper")
    print(result.to_markdown())

Regression datasets (:data:`REGRESSION_DATASETS`) run the same way, with
:func:`default_methods` (or :func:`library_methods`, :func:`baseline_methods`)
building each method's regressor twin and the runs scored by R² and RMSE::

    result = run_study(["concrete", "diabetes"], default_methods(), "cv")
"""

from ._data import (
    REGRESSION_DATASETS,
    STUDY_DATASETS,
    StudyDataset,
    load_study_dataset,
)
from ._experiments._proxies import (
    PROXY_STUDY_PROXIES,
    ProxyStudyConfig,
    ProxyStudyResult,
    read_proxy_records,
    run_proxy_study,
)
from ._experiments._saep import (
    SAEP_RULES,
    SAEPStudyConfig,
    SAEPStudyResult,
    read_saep_records,
    run_saep_study,
)
from ._experiments._sparsity import (
    SPARSITY_METHODS,
    SparsityStudyConfig,
    SparsityStudyResult,
    candidate_window,
    convergence_epoch,
    read_sparsity_records,
    run_sparsity_study,
)
from ._methods import (
    BASELINE_METHOD_NAMES,
    LIBRARY_METHOD_NAMES,
    PAPER_METHOD_NAMES,
    SEARCH_METHOD_NAMES,
    Method,
    MethodContext,
    baseline_methods,
    default_methods,
    library_methods,
    paper_methods,
)
from ._paper import PAPER_RESULTS
from ._plots import (
    plot_accuracy_vs_params,
    plot_proxy_scatter,
    plot_saep_rounds,
    plot_sparsity_accuracy,
    plot_sparsity_convergence,
    plot_time_ratios,
    plot_validation_curves,
)
from ._protocols import PAPER_SEEDS, CVProtocol, PaperProtocol
from ._report import markdown_table, summarize
from ._runner import RECORD_FIELDS, StudyResult, read_records, run_study
from ._stats import corrected_resampled_ttest, holm, wilcoxon_signed_rank

__all__ = [
    "BASELINE_METHOD_NAMES",
    "LIBRARY_METHOD_NAMES",
    "PAPER_METHOD_NAMES",
    "PAPER_RESULTS",
    "PAPER_SEEDS",
    "PROXY_STUDY_PROXIES",
    "RECORD_FIELDS",
    "REGRESSION_DATASETS",
    "SAEP_RULES",
    "SEARCH_METHOD_NAMES",
    "SPARSITY_METHODS",
    "STUDY_DATASETS",
    "CVProtocol",
    "Method",
    "MethodContext",
    "PaperProtocol",
    "ProxyStudyConfig",
    "ProxyStudyResult",
    "SAEPStudyConfig",
    "SAEPStudyResult",
    "SparsityStudyConfig",
    "SparsityStudyResult",
    "StudyDataset",
    "StudyResult",
    "baseline_methods",
    "candidate_window",
    "convergence_epoch",
    "corrected_resampled_ttest",
    "default_methods",
    "holm",
    "library_methods",
    "load_study_dataset",
    "markdown_table",
    "paper_methods",
    "plot_accuracy_vs_params",
    "plot_proxy_scatter",
    "plot_saep_rounds",
    "plot_sparsity_accuracy",
    "plot_sparsity_convergence",
    "plot_time_ratios",
    "plot_validation_curves",
    "read_proxy_records",
    "read_records",
    "read_saep_records",
    "read_sparsity_records",
    "run_proxy_study",
    "run_saep_study",
    "run_sparsity_study",
    "run_study",
    "summarize",
    "wilcoxon_signed_rank",
]
