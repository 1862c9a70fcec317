"""Sphinx configuration of the sklearn_rcloud documentation.

Build with ``make html`` from this folder (``pip install -e ".[docs]"`` first).
The quick-start gallery is executed during the build, on the CPU.
"""

from __future__ import annotations

import os
import sys
from datetime import date

# Import the package from the source tree even when it is not installed.
sys.path.insert(0, os.path.abspath(".."))

import sklearn_rcloud  # noqa: E402
import sphinx_gallery  # noqa: E402

# -- Project -----------------------------------------------------------------
project = "sklearn_rcloud"
author = "sklearn_rcloud developers"
copyright = f"{date.today().year}, {author}"
version = sklearn_rcloud.__version__
release = sklearn_rcloud.__version__

# -- General -----------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
# study/*.rst are tables included by study.rst, not pages of their own.
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "study/*.rst"]
root_doc = "index"
default_role = "literal"

# -- autodoc / autosummary / numpydoc ------------------------------------------
autosummary_generate = True
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# -- intersphinx -------------------------------------------------------------
# Fetching the inventories needs network access, and a failed fetch is a
# warning that ``-W`` turns into an error: links to other projects' docs are
# therefore opt-in, with SKLEARN_RCLOUD_INTERSPHINX=1.
_INTERSPHINX_MAPPING = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable/", None),
    "sklearn": ("https://scikit-learn.org/stable/", None),
    "torch": ("https://docs.pytorch.org/docs/stable/", None),
    "skorch": ("https://skorch.readthedocs.io/en/stable/", None),
}
_use_intersphinx = os.environ.get("SKLEARN_RCLOUD_INTERSPHINX", "0") == "1"
intersphinx_mapping = _INTERSPHINX_MAPPING if _use_intersphinx else {}
intersphinx_timeout = 10

# -- sphinx-gallery ----------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "doc_module": ("sklearn_rcloud",),
    "backreferences_dir": "gen_modules/backreferences",
    "reference_url": {"sklearn_rcloud": None},
    "download_all_examples": False,
    "remove_config_comments": True,
}
if tuple(int(p) for p in sphinx_gallery.__version__.split(".")[:2]) >= (0, 18):
    # No sg_execution_times.rst next to this file (it is not a page to keep).
    sphinx_gallery_conf["write_computation_times"] = False

# -- HTML --------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sklearn_rcloud {version}"
html_static_path = ["_static"]
# Study tables: numeric cells on one line, wide tables scroll (see the file).
html_css_files = ["tables.css"]
html_theme_options = {
    "show_toc_level": 2,
    "navigation_with_keys": False,
}
html_show_sourcelink = False
