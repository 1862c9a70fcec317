"""fit_together: estimators fitted on one dataset, their networks trained together.

Every estimator must come out as its own ``fit`` would leave it (the same
topology, epochs, curves, and predictions up to float32 rounding), while
the networks of one recipe, depth and training set really share one
population.
"""

import time

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from sklearn_rcloud import (
    DenseMLPClassifier,
    MagnitudePruningClassifier,
    RandomCloudClassifier,
    RandomSearchSparseClassifier,
    RandomSparseClassifier,
    fit_together,
)

#: Mini-batch Adam, where populations train together (L-BFGS does not).
RECIPE = dict(
    solver="adam",
    learning_rate_init=0.01,
    batch_size=64,
    max_iter=30,
    n_iter_no_change=5,
)


def _estimators():
    return [
        DenseMLPClassifier(hidden_layer_sizes=(32,), random_state=0, **RECIPE),
        DenseMLPClassifier(hidden_layer_sizes=(32,), random_state=1, **RECIPE),
        RandomCloudClassifier(
            hidden_layer_sizes=(32,), n_networks=8, random_state=2, **RECIPE
        ),
        RandomSparseClassifier(
            hidden_layer_sizes=(16, 16),
            sparsity=0.5,
            early_stopping=True,
            random_state=3,
            **RECIPE,
        ),
        RandomSearchSparseClassifier(
            hidden_layer_sizes=(16, 16),
            sparsity=0.5,
            n_candidates=4,
            early_stopping=True,
            random_state=4,
            **RECIPE,
        ),
    ]


def _assert_as_alone(alone, together, X):
    assert together.topology_ == alone.topology_
    assert together.n_iter_ == alone.n_iter_
    assert together.t_ == alone.t_
    np.testing.assert_allclose(together.loss_curve_, alone.loss_curve_, rtol=1e-4)
    if alone.validation_scores_ is None:
        assert together.validation_scores_ is None
    else:
        np.testing.assert_allclose(
            together.validation_scores_, alone.validation_scores_, atol=1e-6
        )
    np.testing.assert_allclose(
        together.predict_proba(X), alone.predict_proba(X), atol=1e-4
    )
    assert together.train_time_ > 0
    assert together.fit_time_ >= together.train_time_


def test_every_estimator_is_fitted_as_alone(cancer, population_sizes):
    X, y = cancer
    alone = [estimator.fit(X, y) for estimator in _estimators()]
    together = fit_together(_estimators(), X, y)
    # One population per (recipe, depth): the three one-layer networks of
    # one recipe, and the two sparse networks (another recipe: a split).
    assert sorted(population_sizes) == [2, 3]
    for a, b in zip(alone, together):
        _assert_as_alone(a, b, X)
        assert b.reduction_ == pytest.approx(a.reduction_)


def test_sample_weights_reach_every_member(cancer):
    X, y = cancer
    weights = np.random.default_rng(0).uniform(0.2, 2.0, len(y))
    alone = [e.fit(X, y, sample_weight=weights) for e in _estimators()[:3]]
    together = fit_together(_estimators()[:3], X, y, sample_weight=weights)
    for a, b in zip(alone, together):
        _assert_as_alone(a, b, X)


def test_pipelines_with_other_features_train_apart(cancer, population_sizes):
    X, y = cancer

    def pipelines():
        return [
            make_pipeline(scaler, DenseMLPClassifier(random_state=seed, **RECIPE))
            for seed, scaler in enumerate(
                (MinMaxScaler(), StandardScaler(), MinMaxScaler())
            )
        ]

    alone = [p.fit(X, y) for p in pipelines()]
    together = fit_together(pipelines(), X, y)
    # The two min-max pipelines see the same features; the standardised one
    # trains on others.
    assert sorted(population_sizes) == [1, 2]
    for a, b in zip(alone, together):
        _assert_as_alone(a[-1], b[-1], a[:-1].transform(X))


def test_twin_trainings_are_trained_once(cancer, population_sizes):
    X, y = cancer

    def estimators():
        return [
            DenseMLPClassifier(hidden_layer_sizes=(16,), random_state=seed, **RECIPE)
            for seed in (0, 1, 0)
        ]

    alone = [estimator.fit(X, y) for estimator in estimators()]
    together = fit_together(estimators(), X, y)
    # The two seed-0 networks are one computation: two members, not three.
    assert population_sizes == [2]
    for a, b in zip(alone, together):
        _assert_as_alone(a, b, X)
    first, _, twin = together
    assert first.net_.module_ is not twin.net_.module_
    # Each twin owns its network: training one further leaves the other.
    before = first.predict_proba(X)
    twin.partial_fit(X, y)
    np.testing.assert_array_equal(first.predict_proba(X), before)
    assert not np.array_equal(twin.predict_proba(X), before)


def test_pruning_baselines_train_every_phase_together(cancer, population_sizes):
    X, y = cancer

    def baselines():
        return [
            MagnitudePruningClassifier(
                hidden_layer_sizes=(16,), sparsity=0.5, random_state=seed, **RECIPE
            )
            for seed in (0, 1, 2)
        ]

    alone = [estimator.fit(X, y) for estimator in baselines()]
    assert population_sizes == []
    together = fit_together(baselines(), X, y)
    # The three pretrainings, then the three fine-tunings.
    assert population_sizes == [3, 3]
    for a, b in zip(alone, together):
        _assert_as_alone(a, b, X)
        np.testing.assert_array_equal(
            np.concatenate(b.kept_neurons_), np.concatenate(a.kept_neurons_)
        )
        assert b.pretrain_time_ > 0 and b.finetune_time_ > 0


def test_other_trainings_are_done_alone(cancer, population_sizes):
    X, y = cancer
    # A watched fit, another library.
    watched = DenseMLPClassifier(random_state=0, verbose=1, **RECIPE)
    linear = LogisticRegression()
    fitted = fit_together([watched, linear], X, y)
    assert population_sizes == []
    assert [e.score(X, y) > 0.9 for e in fitted] == [True] * 2
    alone = DenseMLPClassifier(random_state=0, **RECIPE).fit(X, y)
    np.testing.assert_array_equal(watched.predict_proba(X), alone.predict_proba(X))


def test_pruned_networks_train_together_as_they_train_alone(cancer, population_sizes):
    X, y = cancer

    def baselines():
        # Unstructured pruning: the fine-tuned networks carry pruning masks.
        return [
            MagnitudePruningClassifier(
                hidden_layer_sizes=(16,),
                structured=False,
                sparsity=0.7,
                schedule="iterative",
                n_rounds=2,
                random_state=seed,
                **RECIPE,
            )
            for seed in (0, 1, 2)
        ]

    together = fit_together(baselines(), X, y)
    # The pretrainings, then each round's masked fine-tunings.
    assert population_sizes == [3, 3, 3]
    for model, alone in zip(together, [m.fit(X, y) for m in baselines()]):
        assert model.n_iter_ == alone.n_iter_
        assert model.n_params_ == alone.n_params_
        np.testing.assert_allclose(
            model.predict_proba(X), alone.predict_proba(X), rtol=0, atol=1e-5
        )


def test_a_failing_fit_raises_after_the_others_end(cancer):
    X, y = cancer
    good = DenseMLPClassifier(random_state=0, **RECIPE)
    bad = DenseMLPClassifier(hidden_layer_sizes=(0,), **RECIPE)
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        fit_together([good, bad], X, y)
    assert good.score(X, y) > 0.9


def test_fit_time_is_the_fits_own(cancer):
    X, y = cancer
    start = time.perf_counter()
    fitted = fit_together(_estimators(), X, y)
    wall = time.perf_counter() - start
    times = [estimator.fit_time_ for estimator in fitted]
    assert all(0 < t for t in times)
    assert sum(times) <= wall


def test_outside_fit_together_fit_trains_alone(cancer, population_sizes):
    X, y = cancer
    DenseMLPClassifier(random_state=0, **RECIPE).fit(X, y)
    assert population_sizes == []


def test_a_refit_after_fit_together_continues_as_usual(cancer):
    X, y = cancer
    (model,) = fit_together(
        [DenseMLPClassifier(random_state=0, warm_start=True, **RECIPE)], X, y
    )
    n_iter = model.n_iter_
    model.fit(X, y)
    assert model.n_iter_ > n_iter
    assert len(model.loss_curve_) == model.n_iter_
