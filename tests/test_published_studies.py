"""The published study tables are the current defaults' records, and only theirs.

Each study page includes a table drawn from the records committed beside it
(``doc/study/{stem}_records.csv[.gz]``). The command line reuses records made
under the same configuration, so the committed ones must be exactly those its
defaults would make today: the default datasets, every fold (or topology), the
default configuration's key; and the committed table must be the one they
give. A changed default or dataset list fails here until the study is run
again and its table published.
"""

import csv
import gzip
import importlib.util
import shutil
from pathlib import Path

import pytest

from sklearn_rcloud.study import _cli
from sklearn_rcloud.study._experiments import _proxies, _saep, _sparsity

STUDY_DOC = Path(__file__).resolve().parent.parent / "doc" / "study"

#: stem -> (records file, module, default config, default datasets, runner,
#: the function that trains or evaluates, refused when everything is cached)
STUDIES = {
    "proxy": (
        "proxy_records.csv",
        _proxies,
        _proxies.ProxyStudyConfig(),
        _cli.PROXY_STUDY_DATASETS,
        _proxies.run_proxy_study,
        "_evaluate_topology",
    ),
    "sparsity": (
        "sparsity_records.csv.gz",
        _sparsity,
        _sparsity.SparsityStudyConfig(),
        _cli.SPARSITY_STUDY_DATASETS,
        _sparsity.run_sparsity_study,
        "_run_fold",
    ),
    "saep": (
        "saep_records.csv.gz",
        _saep,
        _saep.SAEPStudyConfig(),
        _cli.SAEP_STUDY_DATASETS,
        _saep.run_saep_study,
        "_run_fold",
    ),
}


def _records_copy(name, tmp_path):
    """The committed records as a plain CSV the study can reuse."""
    source = STUDY_DOC / name
    target = tmp_path / name.removesuffix(".gz")
    if name.endswith(".gz"):
        target.write_bytes(gzip.decompress(source.read_bytes()))
    else:
        shutil.copyfile(source, target)
    return target


def _read(name, tmp_path):
    with open(_records_copy(name, tmp_path), newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("stem", list(STUDIES))
def test_committed_records_are_the_defaults_records(stem, tmp_path):
    name, _, config, datasets, _, _ = STUDIES[stem]
    records = _read(name, tmp_path)
    assert {r["config"] for r in records} == {config.key}
    assert sorted({r["dataset"] for r in records}) == sorted(datasets)
    for dataset in datasets:
        rows = [r for r in records if r["dataset"] == dataset]
        if stem == "proxy":
            units = {int(r["index"]) for r in rows}
            assert units == set(range(config.n_topologies)), dataset
        else:
            units = {int(r["fold"]) for r in rows}
            assert units == set(range(config.n_folds * config.n_repeats)), dataset


def _to_rst():
    spec = importlib.util.spec_from_file_location("to_rst", STUDY_DOC / "to_rst.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.to_rst


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
    name, module, config, datasets, run, trainer = STUDIES[stem]

    def refuse(*args, **kwargs):
        raise AssertionError(f"the committed {stem} records are incomplete")

    monkeypatch.setattr(module, trainer, refuse)
    result = run(list(datasets), config, records_path=_records_copy(name, tmp_path))
    published = (STUDY_DOC / f"{stem}_results.rst").read_text()
    assert _to_rst()(result.to_markdown()) == published
