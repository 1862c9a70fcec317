import hashlib
import json
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from sklearn_rcloud import datasets

# Each bundled file and the loader call that reads exactly that file.
FILES = {
    "sonar.csv": (datasets.load_sonar, {}),
    "ionosphere.csv": (datasets.load_ionosphere, {}),
    "pima_diabetes.csv": (datasets.load_pima_diabetes, {}),
    "banknote.csv": (datasets.load_banknote, {}),
    "optdigits_train.csv": (datasets.load_optdigits, {"subset": "train"}),
    "optdigits_test.csv": (datasets.load_optdigits, {"subset": "test"}),
    "adult_train.csv": (datasets.load_adult, {"subset": "train"}),
    "adult_test.csv": (datasets.load_adult, {"subset": "test"}),
}
DATA = resources.files("sklearn_rcloud.datasets").joinpath("data")
CHECKSUMS = json.loads(DATA.joinpath("CHECKSUMS.json").read_text())
SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def test_every_bundled_csv_has_a_loader_and_a_checksum():
    csvs = {p.name for p in DATA.iterdir() if p.name.endswith(".csv")}
    assert csvs == set(CHECKSUMS) == set(FILES)


@pytest.mark.parametrize("name", sorted(FILES))
def test_bundled_csv_matches_its_checksum(name):
    content = DATA.joinpath(name).read_bytes()
    assert hashlib.sha256(content).hexdigest() == CHECKSUMS[name]["sha256"]


@pytest.mark.skipif(
    not SHARED.is_dir(), reason="../shared/datasets not beside the repo"
)
@pytest.mark.parametrize("name", sorted(FILES))
def test_checksums_agree_with_the_shared_manifest(name):
    manifest = json.loads((SHARED / "MANIFEST.json").read_text())["files"]
    assert CHECKSUMS[name]["sha256"] == manifest[name]["sha256"]


@pytest.mark.parametrize("name", sorted(FILES))
def test_loader_shapes_and_classes(name):
    loader, kwargs = FILES[name]
    bunch = loader(**kwargs)
    expected = CHECKSUMS[name]
    assert bunch.data.shape == (expected["rows"], expected["n_features"])
    labels, counts = np.unique(bunch.target, return_counts=True)
    assert {str(k): int(v) for k, v in zip(labels, counts)} == expected["class_counts"]
    assert len(bunch.feature_names) == expected["n_features"]
    assert "Licence" in bunch.DESCR
    X, y = loader(return_X_y=True, **kwargs)
    np.testing.assert_array_equal(y, bunch.target)
    assert X.shape == bunch.data.shape


def test_numeric_loaders_return_floats():
    assert datasets.load_sonar().data.dtype == np.float64
    assert datasets.load_optdigits(subset="test").data.dtype == np.float64


def test_optdigits_test_subset_is_scikit_learns_digits():
    from sklearn.datasets import load_digits

    X, y = datasets.load_optdigits(subset="test", return_X_y=True)
    X_sk, y_sk = load_digits(return_X_y=True)
    np.testing.assert_array_equal(X, X_sk)
    np.testing.assert_array_equal(y, y_sk)


def test_all_subset_concatenates_train_then_test():
    train = datasets.load_optdigits(subset="train")
    test = datasets.load_optdigits(subset="test")
    both = datasets.load_optdigits(subset="all")
    np.testing.assert_array_equal(both.data, np.vstack([train.data, test.data]))
    with pytest.raises(ValueError, match="subset must be one of"):
        datasets.load_adult(subset="validation")


def test_adult_keeps_categoricals_and_missing_values():
    bunch = datasets.load_adult()
    assert bunch.categorical_features == list(datasets._base.ADULT_CATEGORICAL)
    columns = list(bunch.feature_names)
    workclass = bunch.data[:, columns.index("workclass")]
    assert workclass[0] == "State-gov"
    missing = [isinstance(v, float) and np.isnan(v) for v in workclass]
    assert sum(missing) == 1836
    assert isinstance(bunch.data[0, columns.index("age")], float)
    assert set(bunch.target_names) == {"<=50K", ">50K"}


def test_adult_as_frame_types_columns():
    pytest.importorskip("pandas")
    frame = datasets.load_adult(subset="test", as_frame=True).frame
    assert frame.shape == (16281, 15)
    assert str(frame["race"].dtype) == "category"
    assert frame["age"].dtype == np.float64
    assert frame.dropna().shape[0] == 15060


def test_as_frame():
    pytest.importorskip("pandas")
    bunch = datasets.load_banknote(as_frame=True)
    assert list(bunch.data.columns) == ["variance", "skewness", "curtosis", "entropy"]
    assert bunch.frame.shape == (1372, 5)
    assert bunch.target.name == "target"
