"""Reproduction of the Random Cloud paper's Sonar result (slow: `make test-slow`)."""

import numpy as np
import pytest
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import minmax_scale

from sklearn_rcloud import RandomCloudClassifier, paper_params
from sklearn_rcloud.datasets import load_sonar

PAPER_SEEDS = (42, 123, 256, 314, 501, 667, 789, 888, 1024, 1337)
INITIAL_PARAMS = 60 * 8 + 8 + 8 * 2 + 2  # [60, 8, 2]


def paper_sonar_runs(**overrides):
    """Test accuracy and topology per seed, with the paper's protocol."""
    X, y = load_sonar(return_X_y=True)
    # The paper scales on the full dataset, then takes a fixed stratified split.
    X = minmax_scale(X)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, stratify=y, random_state=42
    )
    runs = {}
    for seed in PAPER_SEEDS:
        params = paper_params("sonar", random_state=seed, **overrides)
        clf = RandomCloudClassifier(**params).fit(X_train, y_train)
        runs[seed] = (clf.score(X_test, y_test), clf.topology_)
        print(f"seed {seed:>4}: {runs[seed][0]:.3f} {clf.topology_!r}")
    return runs


@pytest.mark.slow
@pytest.mark.parametrize(
    "overrides",
    [{}, {"selection": "smallest", "selection_tolerance": 0.0}],
    ids=["paper_strict_argmax", "parsimony_tie_break"],
)
def test_paper_preset_matches_paper_on_sonar(overrides):
    runs = paper_sonar_runs(**overrides)
    accuracies = np.array([accuracy for accuracy, _ in runs.values()])
    n_params = np.array([topology.n_params for _, topology in runs.values()])
    print(
        f"mean {accuracies.mean():.4f} +- {accuracies.std():.4f}, "
        f"mean params {n_params.mean():.1f} of {INITIAL_PARAMS}"
    )
    # Paper: 77.3 +- 2.6 % over the same 10 seeds, from [60, 8, 2]; its seed-42
    # topology (the one its baselines are pruned to) is [60, 1, 2].
    assert accuracies.mean() >= 0.77
    assert n_params.mean() < INITIAL_PARAMS
    assert runs[42][1].n_params < INITIAL_PARAMS
