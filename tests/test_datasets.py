import hashlib
import json
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from sklearn_rcloud import datasets

LOADERS = {
    "sonar": datasets.load_sonar,
    "ionosphere": datasets.load_ionosphere,
    "pima_diabetes": datasets.load_pima_diabetes,
    "banknote": datasets.load_banknote,
}
DATA = resources.files("sklearn_rcloud.datasets").joinpath("data")
CHECKSUMS = json.loads(DATA.joinpath("CHECKSUMS.json").read_text())
SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def test_every_bundled_csv_has_a_loader_and_a_checksum():
    csvs = {p.name for p in DATA.iterdir() if p.name.endswith(".csv")}
    assert csvs == set(CHECKSUMS) == {f"{name}.csv" for name in LOADERS}


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_bundled_csv_matches_its_checksum(name):
    content = DATA.joinpath(f"{name}.csv").read_bytes()
    assert hashlib.sha256(content).hexdigest() == CHECKSUMS[f"{name}.csv"]["sha256"]


@pytest.mark.skipif(
    not SHARED.is_dir(), reason="../shared/datasets not beside the repo"
)
@pytest.mark.parametrize("name", sorted(LOADERS))
def test_checksums_agree_with_the_shared_manifest(name):
    manifest = json.loads((SHARED / "MANIFEST.json").read_text())["files"]
    assert CHECKSUMS[f"{name}.csv"]["sha256"] == manifest[f"{name}.csv"]["sha256"]


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_loader_shapes_and_classes(name):
    bunch = LOADERS[name]()
    expected = CHECKSUMS[f"{name}.csv"]
    assert bunch.data.shape == (expected["rows"], expected["n_features"])
    assert bunch.data.dtype == np.float64
    labels, counts = np.unique(bunch.target, return_counts=True)
    assert {str(k): int(v) for k, v in zip(labels, counts)} == expected["class_counts"]
    assert len(bunch.feature_names) == expected["n_features"]
    assert "Licence" in bunch.DESCR
    X, y = LOADERS[name](return_X_y=True)
    np.testing.assert_array_equal(X, bunch.data)


def test_as_frame():
    pytest.importorskip("pandas")
    bunch = datasets.load_banknote(as_frame=True)
    assert list(bunch.data.columns) == ["variance", "skewness", "curtosis", "entropy"]
    assert bunch.frame.shape == (1372, 5)
    assert bunch.target.name == "target"
