"""Sphinx configuration of the sklearn_rcloud documentation.

Build with ``make html`` from this folder (``pip install -e ".[docs]"`` first).
The quick-start gallery is executed during the build, on the CPU.
"""

from __future__ import annotations

import os
import sys
from datetime import date

# Import the package from the source tree even when it is not installed, and
# this folder's helpers (_gallery_order, _mathml).
sys.path.insert(0, os.path.abspath(".."))
sys.path.insert(0, os.path.abspath("."))

import sphinx_gallery  # noqa: E402
from _mathml import add_mathml_renderer  # noqa: E402

import sklearn_rcloud  # noqa: E402

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
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    # Reads benchmarks/README.md, which benchmarks.rst includes: the tables
    # are published from the file the scripts' results are written into.
    "myst_parser",
]
# Markdown only through that include: no page of the site is a .md file.
source_suffix = {".rst": "restructuredtext"}
# benchmarks.rst gives the page its title and includes the README from its
# first "##" section on, so the included headings start at H2 on purpose.
suppress_warnings = ["myst.header"]

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
    # The quick start first (sphinx-gallery's default puts the longest last).
    "within_subsection_order": "_gallery_order.QuickStartFirst",
}
if tuple(int(p) for p in sphinx_gallery.__version__.split(".")[:2]) >= (0, 18):
    # No sg_execution_times.rst next to this file (it is not a page to keep).
    sphinx_gallery_conf["write_computation_times"] = False

# -- HTML --------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sklearn_rcloud {version}"
html_static_path = ["_static"]
# Study tables: numeric cells on one line, wide tables scroll (see the file);
# the output of a snippet set apart from its code.
html_css_files = ["tables.css", "output.css", "maths.css"]
html_theme_options = {
    "show_toc_level": 2,
    "navigation_with_keys": False,
    # The navbar shows the top-level pages of index.rst's toctree in order:
    # install, quick start, user guide, API, examples, studies, benchmarks;
    # the rest (architecture, changelog) under "More".
    "header_links_before_dropdown": 7,
    # The search as a button, so that the seven links fit on one line.
    "navbar_persistent": ["search-button"],
}
# Maths as MathML, which browsers render without a script (see _mathml.py):
# the pages read offline, where MathJax from a CDN would leave raw LaTeX.
html_math_renderer = "mathml"

html_show_sourcelink = False
# The theme's left sidebar lists a page's sibling pages: empty on the pages
# of the top level, whose content column it only narrows. (By page name:
# a page matching two patterns is a warning.)
html_sidebars = {
    page: []
    for page in (
        "index",
        "install",
        "quick_start",
        "user_guide",
        "api",
        "benchmarks",
        "architecture",
        "changelog",
    )
}


def setup(app):
    add_mathml_renderer(app)
