"""Studies and grid searches on a dask cluster give the serial results.

Everything parallel goes through joblib with no backend of its own, so
``joblib.parallel_config(backend="dask")`` moves the work onto a cluster. The
cluster here is local (two worker processes bound to 127.0.0.1); the tests are
skipped where ``dask.distributed`` is not installed (``pip install
"sklearn-rcloud[dask]"``).
"""

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sklearn_rcloud import DenseMLPClassifier, RandomCloudClassifier
from sklearn_rcloud.study import (
    PaperProtocol,
    ProxyStudyConfig,
    run_proxy_study,
    run_study,
)

pytestmark = pytest.mark.dask
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def dask_client():
    with (
        distributed.LocalCluster(
            host="127.0.0.1",
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _on_dask(function):
    with parallel_config(backend="dask"):
        return function()


def _study_methods():
    small = dict(hidden_layer_sizes=(8,), max_iter=20, learning_rate_init=0.01)
    return {
        "rc": RandomCloudClassifier(n_networks=5, n_jobs=2, **small),
        "dense": DenseMLPClassifier(**small),
    }


def test_study_on_dask_equals_the_serial_study(dask_client):
    def study(n_jobs):
        return run_study(
            ["iris"],
            _study_methods(),
            PaperProtocol(seeds=(1, 2)),
            n_jobs=n_jobs,
            verbose=0,
        )

    serial = study(1)
    on_dask = _on_dask(lambda: study(-1))
    assert len(on_dask.records) == len(serial.records) == 4
    for first, second in zip(serial.records, on_dask.records):
        assert (first["method"], first["seed"]) == (second["method"], second["seed"])
        assert first["accuracy"] == second["accuracy"]
        assert first["topology"] == second["topology"]
        assert first["error"] == second["error"] == ""


def test_proxy_study_on_dask_equals_the_serial_study(dask_client):
    config = ProxyStudyConfig(n_topologies=4, width_choices=(2, 4, 8), max_iter=20)

    def study(n_jobs):
        result = run_proxy_study(["iris"], config, n_jobs=n_jobs)
        return sorted(result.records, key=lambda record: record["index"])

    serial = study(1)
    on_dask = _on_dask(lambda: study(-1))
    assert [r["hidden_layer_sizes"] for r in on_dask] == [
        r["hidden_layer_sizes"] for r in serial
    ]
    for first, second in zip(serial, on_dask):
        assert first["test_accuracy"] == second["test_accuracy"]
        assert first["naswot"] == pytest.approx(second["naswot"], rel=1e-6)


def test_grid_search_on_dask_equals_the_serial_search(dask_client):
    X, y = load_iris(return_X_y=True)
    search = GridSearchCV(
        make_pipeline(
            MinMaxScaler(),
            RandomCloudClassifier(
                hidden_layer_sizes=(8,),
                max_iter=20,
                learning_rate_init=0.01,
                random_state=0,
            ),
        ),
        {
            "randomcloudclassifier__n_networks": [3, 6],
            "randomcloudclassifier__step": [1, 2],
        },
        cv=3,
    )
    serial = search.set_params(n_jobs=1).fit(X, y)
    serial_scores = serial.cv_results_["mean_test_score"].copy()
    serial_best = serial.best_params_
    on_dask = _on_dask(lambda: search.set_params(n_jobs=-1).fit(X, y))
    np.testing.assert_array_equal(on_dask.cv_results_["mean_test_score"], serial_scores)
    assert on_dask.best_params_ == serial_best
