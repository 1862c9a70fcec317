"""The published study tables are the current defaults' records, and only theirs.

Each study page includes a table drawn from the records committed beside it
(``doc/study/{stem}_records.csv[.gz]``). The command line reuses records made
under the same configuration, so the committed ones must be exactly those its
defaults would make today: the default datasets, every fold (or topology), the
default configuration's key; and the committed table must be the one they
give. A changed default or dataset list fails here until the study is run
again and its table published.
"""

import gzip
import importlib.util
import shutil
from pathlib import Path
from typing import NamedTuple

import pytest

from sklearn_rcloud.study import STUDY_DATASETS, CVProtocol, _cli, read_records
from sklearn_rcloud.study._experiments import _proxies, _saep, _sparsity

STUDY_DOC = Path(__file__).resolve().parent.parent / "doc" / "study"


class Study(NamedTuple):
    records: str  # the committed file in doc/study
    module: object
    config: object  # the default configuration
    datasets: tuple  # the command line's default datasets
    run: object
    read: object
    #: What trains or evaluates; refused when every record is cached.
    trainer: str
    #: The record field numbering a dataset's runs, and how many it has.
    unit: str
    n_units: int


def _folded(config):
    return config.n_folds * config.n_repeats


_PROXY = _proxies.ProxyStudyConfig()
_SPARSITY = _sparsity.SparsityStudyConfig()
_SAEP = _saep.SAEPStudyConfig()
STUDIES = {
    "proxy": Study(
        "proxy_records.csv",
        _proxies,
        _PROXY,
        _cli.PROXY_STUDY_DATASETS,
        _proxies.run_proxy_study,
        _proxies.read_proxy_records,
        "_evaluate_topology",
        "index",
        _PROXY.n_topologies,
    ),
    "sparsity": Study(
        "sparsity_records.csv.gz",
        _sparsity,
        _SPARSITY,
        _cli.SPARSITY_STUDY_DATASETS,
        _sparsity.run_sparsity_study,
        _sparsity.read_sparsity_records,
        "_run_fold",
        "fold",
        _folded(_SPARSITY),
    ),
    "saep": Study(
        "saep_records.csv.gz",
        _saep,
        _SAEP,
        _cli.SAEP_STUDY_DATASETS,
        _saep.run_saep_study,
        _saep.read_saep_records,
        "_run_fold",
        "fold",
        _folded(_SAEP),
    ),
}


def _records_copy(name, tmp_path):
    """The committed records as a plain CSV the study can reuse and extend."""
    source = STUDY_DOC / name
    target = tmp_path / name.removesuffix(".gz")
    if name.endswith(".gz"):
        target.write_bytes(gzip.decompress(source.read_bytes()))
    else:
        shutil.copyfile(source, target)
    return target


@pytest.mark.parametrize("stem", list(STUDIES))
def test_committed_records_are_the_defaults_records(stem):
    study = STUDIES[stem]
    records = study.read(STUDY_DOC / study.records)
    assert {r["config"] for r in records} == {study.config.key}
    assert sorted({r["dataset"] for r in records}) == sorted(study.datasets)
    for dataset in study.datasets:
        units = {int(r[study.unit]) for r in records if r["dataset"] == dataset}
        assert units == set(range(study.n_units)), dataset


def _to_rst_module():
    spec = importlib.util.spec_from_file_location("to_rst", STUDY_DOC / "to_rst.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "stem",
    [
        # Its table bootstraps 1,000 resamples of every correlation: minutes.
        pytest.param("proxy", marks=pytest.mark.slow),
        "sparsity",
        "saep",
    ],
)
def test_committed_table_is_drawn_from_the_committed_records(
    stem, tmp_path, monkeypatch
):
    study = STUDIES[stem]

    def refuse(*args, **kwargs):
        raise AssertionError(f"the committed {stem} records are incomplete")

    monkeypatch.setattr(study.module, study.trainer, refuse)
    result = study.run(
        list(study.datasets),
        study.config,
        records_path=_records_copy(study.records, tmp_path),
    )
    published = (STUDY_DOC / f"{stem}_results.rst").read_text()
    assert _to_rst_module().to_rst(result.to_markdown()) == published


@pytest.mark.parametrize(
    "stem, methods",
    [
        ("paper", ["full", "random_cloud", "magnitude", "random"]),
        ("search_quick", ["full", "random_cloud", "naswot", "area"]),
        ("cv", None),
    ],
)
def test_committed_protocol_table_is_drawn_from_the_committed_runs(stem, methods):
    to_rst = _to_rst_module()
    markdown = to_rst.study_tables(STUDY_DOC / f"{stem}_runs.csv", methods)
    published = (STUDY_DOC / f"{stem}_results.rst").read_text()
    assert to_rst.to_rst(markdown) == published


def test_committed_cv_runs_are_every_fold_of_every_study_dataset():
    records = read_records(STUDY_DOC / "cv_runs.csv")
    protocol = CVProtocol()
    n_runs = protocol.n_splits * protocol.n_repeats
    methods = ["full", "random_cloud", "magnitude", "random"]
    assert {r["protocol"] for r in records} == {"cv"}
    assert sorted({r["dataset"] for r in records}) == sorted(STUDY_DATASETS)
    for dataset in STUDY_DATASETS:
        for method in methods:
            splits = [
                int(r["split"])
                for r in records
                if r["dataset"] == dataset and r["method"] == method
            ]
            assert sorted(splits) == list(range(n_runs)), (dataset, method)
    assert not any(r["error"] for r in records)
