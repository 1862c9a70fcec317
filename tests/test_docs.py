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
    html = tmp_path / "html"
    for page in (
        "index",
        "install",
        "quick_start",
        "api",
        "user_guide",
        "auto_examples/index",
        "studies",
        "benchmarks",
        "changelog",
    ):
        assert (html / f"{page}.html").is_file()
    # The benchmark tables are published from benchmarks/README.md.
    benchmarks = (html / "benchmarks.html").read_text(encoding="utf-8")
    assert "cost_anatomy.py" in benchmarks and "<table" in benchmarks
    # The pages read offline: maths is MathML, no script fetched from a CDN.
    guide = (html / "user_guide.html").read_text(encoding="utf-8")
    assert "<math" in guide
    for page in html.rglob("*.html"):
        text = page.read_text(encoding="utf-8").lower()
        assert "mathjax" not in text, f"{page.name} loads MathJax"
        assert "cdn.jsdelivr" not in text, f"{page.name} loads a script from a CDN"
