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
# The regression files (numeric target) and their loaders.
REGRESSION_FILES = {
    "concrete.csv": datasets.load_concrete,
    "energy_efficiency.csv": datasets.load_energy_efficiency,
    "airfoil_self_noise.csv": datasets.load_airfoil_self_noise,
    "abalone.csv": datasets.load_abalone,
    "wine_quality_red.csv": datasets.load_wine_quality_red,
}
ALL_FILES = sorted({**FILES, **REGRESSION_FILES})
DATA = resources.files("sklearn_rcloud.datasets").joinpath("data")
CHECKSUMS = json.loads(DATA.joinpath("CHECKSUMS.json").read_text())
SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def test_every_bundled_csv_has_a_loader_and_a_checksum():
    csvs = {p.name for p in DATA.iterdir() if p.name.endswith(".csv")}
    assert csvs == set(CHECKSUMS) == set(ALL_FILES)


@pytest.mark.parametrize("name", ALL_FILES)
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


@pytest.mark.skipif(
    not (SHARED / "regression").is_dir(),
    reason="../shared/datasets/regression not beside the repo",
)
@pytest.mark.parametrize("name", sorted(REGRESSION_FILES))
def test_regression_checksums_agree_with_the_shared_manifest(name):
    manifest = json.loads((SHARED / "regression" / "MANIFEST.json").read_text())
    expected = manifest["files"][name]
    assert CHECKSUMS[name]["sha256"] == expected["sha256"]
    assert CHECKSUMS[name]["rows"] == expected["rows"]
    assert CHECKSUMS[name]["n_features"] == expected["features"]
    assert CHECKSUMS[name]["categorical"] == expected["categorical"]
    assert CHECKSUMS[name]["missing_cells"] == expected["missing_cells"]
    content = (SHARED / "regression" / name).read_bytes()
    assert DATA.joinpath(name).read_bytes() == content


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


@pytest.mark.parametrize("name", sorted(REGRESSION_FILES))
def test_regression_loader_shapes_dtypes_and_target(name):
    loader = REGRESSION_FILES[name]
    bunch = loader()
    expected = CHECKSUMS[name]
    assert bunch.data.shape == (expected["rows"], expected["n_features"])
    assert len(bunch.feature_names) == expected["n_features"]
    assert bunch.categorical_features == expected["categorical"]
    assert "target_names" not in bunch
    assert bunch.target.dtype == np.float64
    assert bunch.target.min() == expected["target_min"]
    assert bunch.target.max() == expected["target_max"]
    assert bunch.target.mean() == pytest.approx(expected["target_mean"], abs=1e-6)
    assert "Licence: CC BY 4.0" in bunch.DESCR
    assert bunch.filename == name
    if expected["categorical"]:
        assert bunch.data.dtype == object
    else:
        assert bunch.data.dtype == np.float64
    numeric = [
        i
        for i, column in enumerate(bunch.feature_names)
        if column not in expected["categorical"]
    ]
    values = bunch.data[:, numeric].astype(np.float64)
    assert np.isnan(values).sum() == expected["missing_cells"] == 0
    assert not np.isnan(bunch.target).any()
    X, y = loader(return_X_y=True)
    np.testing.assert_array_equal(y, bunch.target)
    assert X.shape == bunch.data.shape


def test_abalone_keeps_sex_as_strings():
    bunch = datasets.load_abalone()
    assert list(bunch.feature_names[:2]) == ["sex", "length"]
    sex = bunch.data[:, 0]
    assert all(isinstance(value, str) for value in sex)
    values, counts = np.unique(sex.astype(str), return_counts=True)
    assert dict(zip(values, counts)) == {"F": 1307, "I": 1342, "M": 1528}
    assert isinstance(bunch.data[0, 1], float)
    assert bunch.data[0, 1] == 0.455
    assert bunch.target[0] == 15.0


@pytest.mark.parametrize("name", sorted(REGRESSION_FILES))
def test_regression_as_frame(name):
    pd = pytest.importorskip("pandas")
    bunch = REGRESSION_FILES[name](as_frame=True)
    expected = CHECKSUMS[name]
    assert bunch.frame.shape == (expected["rows"], expected["n_features"] + 1)
    assert list(bunch.frame.columns)[-1] == "target"
    assert bunch.target.dtype == np.float64
    assert bunch.frame.isna().sum().sum() == expected["missing_cells"] == 0
    for column in bunch.data.columns:
        if column in expected["categorical"]:
            assert isinstance(bunch.data[column].dtype, pd.CategoricalDtype)
        else:
            assert bunch.data[column].dtype == np.float64
    X, y = REGRESSION_FILES[name](as_frame=True, return_X_y=True)
    assert X.shape == bunch.data.shape and y.name == "target"


def test_abalone_frame_has_the_three_sexes():
    pytest.importorskip("pandas")
    X, _ = datasets.load_abalone(as_frame=True, return_X_y=True)
    assert sorted(X["sex"].cat.categories) == ["F", "I", "M"]
