"""The Random Cloud paper's settings, as estimator parameters.

Values from the authors' experiment code (see ``doc/`` and the project's
reference notes): U[-1, 1] initialisation, sigmoid units, the untrained
training accuracy as score with a strict argmax, per-sample SGD on a squared
error for a fixed number of epochs, and a per-dataset maximal topology,
threshold, reduction step and epoch count.
"""

from __future__ import annotations

__all__ = ["PAPER_DATASETS", "paper_params"]

#: Per-dataset settings of the paper's experiments:
#: (hidden_layer_sizes, threshold, step, epochs).
PAPER_DATASETS = {
    "breast_cancer": ((8,), 0.7, 1, 100),
    "sonar": ((8,), 0.55, 1, 200),
    "ionosphere": ((16,), 0.6, 1, 200),
    "adult": ((16,), 0.6, 2, 30),
    "iris": ((16, 8), 0.4, 1, 100),
    "wine": ((16,), 0.4, 1, 100),
    "optdigits": ((32,), 0.15, 2, 100),
}

_COMMON = {
    "n_networks": 50,
    "activation": "logistic",
    "init": "uniform",
    "proxy": "train_accuracy",
    "selection": "best",
    "n_finalists": 1,
    "weights": "inherit",
    "loss": "mse",
    "solver": "sgd",
    "learning_rate_init": 0.1,
    "momentum": 0.0,
    "alpha": 0.0,
    "batch_size": 1,
    "early_stopping": False,
    "n_iter_no_change": None,
}


def paper_params(dataset=None, **overrides):
    """Parameters reproducing the Random Cloud paper's setting.

    Parameters
    ----------
    dataset : str or None, default=None
        One of :data:`PAPER_DATASETS` for its topology, threshold, step and
        epochs; ``None`` gives the paper library's defaults (threshold 0.5,
        step 1, 1000 epochs) and leaves ``hidden_layer_sizes`` unset.
    **overrides
        Parameters replacing the preset's.

    Returns
    -------
    params : dict
        Keyword arguments for :class:`~sklearn_rcloud.RandomCloudClassifier`.

    Examples
    --------
    >>> from sklearn_rcloud import RandomCloudClassifier, paper_params
    >>> clf = RandomCloudClassifier(**paper_params("sonar", random_state=42))
    >>> clf.hidden_layer_sizes, clf.threshold, clf.max_iter
    ((8,), 0.55, 200)
    """
    params = dict(_COMMON)
    if dataset is None:
        params.update(threshold=0.5, step=1, max_iter=1000)
    else:
        if dataset not in PAPER_DATASETS:
            raise ValueError(
                f"Unknown dataset {dataset!r}; choose one of {sorted(PAPER_DATASETS)}."
            )
        hidden, threshold, step, epochs = PAPER_DATASETS[dataset]
        params.update(
            hidden_layer_sizes=hidden, threshold=threshold, step=step, max_iter=epochs
        )
    params.update(overrides)
    return params
