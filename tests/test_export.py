"""Export to a probability module and to ONNX: ONNX Runtime must agree with us."""

import builtins
import json

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from small_estimators import ESTIMATOR_IDS, ESTIMATORS, make_small

from sklearn_rcloud import DenseMLPClassifier, RandomCloudClassifier
from sklearn_rcloud.export import onnx_classes, probability_module, to_onnx

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxscript")
ort = pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    labels = np.asarray(["setosa", "versicolor", "virginica"])[y]
    return StandardScaler().fit_transform(X), labels


def _run(model, X):
    session = ort.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {"X": np.asarray(X, dtype=np.float32)})[0]


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_onnx_runtime_predicts_what_the_estimator_predicts(estimator, iris):
    X, y = iris
    fitted = clone(estimator).set_params(random_state=0).fit(X, y)
    model = fitted.to_onnx()
    onnx.checker.check_model(model)
    probabilities = _run(model, X)
    np.testing.assert_allclose(probabilities, fitted.predict_proba(X), atol=1e-5)
    np.testing.assert_array_equal(
        onnx_classes(model)[probabilities.argmax(axis=1)], fitted.predict(X)
    )


def test_onnx_model_takes_any_number_of_rows_and_is_saved(iris, tmp_path):
    X, y = iris
    fitted = make_small(DenseMLPClassifier, random_state=0).fit(X, y)
    to_onnx(fitted, tmp_path / "model.onnx")
    model = onnx.load(tmp_path / "model.onnx")
    for rows in (X[:1], X[:7], np.tile(X, (3, 1))):
        np.testing.assert_allclose(
            _run(model, rows), fitted.predict_proba(rows), atol=1e-5
        )
    metadata = {prop.key: prop.value for prop in model.metadata_props}
    assert metadata["n_features_in"] == "4"
    assert [i.name for i in model.graph.input] == ["X"]
    assert [o.name for o in model.graph.output] == ["probabilities"]


def test_mse_loss_exports_normalised_sigmoids(iris):
    X, y = iris
    fitted = make_small(DenseMLPClassifier, loss="mse", random_state=0).fit(X, y)
    np.testing.assert_allclose(
        _run(to_onnx(fitted), X), fitted.predict_proba(X), atol=1e-5
    )


def test_pipeline_exports_its_last_step(iris):
    X, y = iris
    pipeline = make_pipeline(
        StandardScaler(), make_small(RandomCloudClassifier, random_state=0)
    ).fit(X, y)
    scaled = pipeline[:-1].transform(X)
    np.testing.assert_allclose(
        _run(to_onnx(pipeline), scaled), pipeline.predict_proba(X), atol=1e-5
    )


def test_probability_module_outputs_predict_proba(iris):
    X, y = iris
    fitted = make_small(DenseMLPClassifier, random_state=0).fit(X, y)
    module = probability_module(fitted)
    assert not module.training
    with torch.no_grad():
        out = module(torch.as_tensor(X, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(out, fitted.predict_proba(X), atol=1e-5)


def test_unfitted_estimator_is_not_exported():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        to_onnx(DenseMLPClassifier())


def test_missing_onnx_is_a_clear_import_error(iris, monkeypatch):
    X, y = iris
    fitted = make_small(DenseMLPClassifier, random_state=0).fit(X, y)
    real_import = builtins.__import__

    def without_onnxscript(name, *args, **kwargs):
        if name == "onnxscript":
            raise ImportError("No module named 'onnxscript'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_onnxscript)
    with pytest.raises(ImportError, match=r"sklearn-rcloud\[onnx\]"):
        fitted.to_onnx()


@pytest.mark.parametrize(
    "labels",
    [
        np.array([3, 7, 11]),
        np.array([1.0, 2.0, 4.0], dtype=np.float32),
        np.array(["setosa", "versicolor", "virginica"]),
        np.array(["setosa", "versicolor", "virginica"], dtype=object),
    ],
    ids=["int", "float32", "str", "object"],
)
def test_onnx_classes_come_back_with_their_dtype(labels, iris, tmp_path):
    X, y = iris
    codes = np.unique(y, return_inverse=True)[1]
    fitted = make_small(DenseMLPClassifier, random_state=0).fit(X, labels[codes])
    to_onnx(fitted, tmp_path / "model.onnx")
    model = onnx.load(tmp_path / "model.onnx")
    classes = onnx_classes(model)
    assert classes.dtype == fitted.classes_.dtype
    np.testing.assert_array_equal(classes, fitted.classes_)
    predicted = classes[_run(model, X).argmax(axis=1)]
    np.testing.assert_array_equal(predicted, fitted.predict(X))
    # Any ONNX consumer still finds the labels as strings.
    metadata = {prop.key: prop.value for prop in model.metadata_props}
    assert json.loads(metadata["classes"]) == [str(c) for c in fitted.classes_]


def test_onnx_classes_of_a_model_without_the_dtype_are_strings(iris):
    X, y = iris
    fitted = make_small(DenseMLPClassifier, random_state=0).fit(X, y)
    model = to_onnx(fitted)
    kept = [p for p in model.metadata_props if not p.key.startswith("classes_")]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    np.testing.assert_array_equal(onnx_classes(model), fitted.classes_.astype(str))
