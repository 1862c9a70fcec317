"""The gallery examples run, and the documentation builds without a warning.

The examples are run here one by one (a failure names its example); the
Sphinx build then renders the pages without executing them again
(``plot_gallery=0``). ``make docs`` builds the site with the examples'
output.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("plot_*.py"))
# Optional dependencies an example needs beyond matplotlib (the docs extra).
NEEDS = {"plot_export": ("onnx", "onnxscript", "onnxruntime")}


def test_there_are_examples():
    assert len(EXAMPLES) >= 6


@pytest.mark.parametrize("example", EXAMPLES, ids=[path.stem for path in EXAMPLES])
def test_example_runs(example, tmp_path):
    for package in ("matplotlib", "pandas", *NEEDS.get(example.stem, ())):
        pytest.importorskip(package)
    environment = {**os.environ, "MPLBACKEND": "Agg"}
    completed = subprocess.run(
        [sys.executable, str(example)],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-5000:]
    assert completed.stdout.strip(), "an example should print what it shows"


def test_documentation_builds_without_warnings(tmp_path):
    for package in ("sphinx", "numpydoc", "sphinx_gallery", "pydata_sphinx_theme"):
        pytest.importorskip(package)
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            "-D",
            "plot_gallery=0",
            "-d",
            str(tmp_path / "doctrees"),
            str(ROOT / "doc"),
            str(tmp_path / "html"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert completed.returncode == 0, completed.stderr[-5000:]
    for page in ("index", "api", "user_guide", "auto_examples/index"):
        assert (tmp_path / "html" / f"{page}.html").is_file()
