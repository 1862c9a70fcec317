"""Every Python snippet of the documentation runs as written.

The pages under ``doc/`` and the README are read as a newcomer reads them:
the Python blocks of a page run in order, in one fresh namespace per page,
as if pasted into a new interpreter one after the other. How a page marks
its blocks:

* ``.. code-block:: python`` (a README fence ````` ```python `````) runs;
* with the option ``:class: no-run`` it is shown but not run (it needs
  something a test cannot have, such as a dask scheduler's address); the
  option must say why in the text around it;
* ``.. code-block:: text`` with ``:class: output`` right after a Python block
  is that block's output: what the block prints must match it, with
  ``...`` standing for any text (timings), as in a doctest;
* every other language (``bash``, ``text``, ``pycon``...) is shown only.

A bare literal block (a paragraph ending in ``::``) names no language, so
the reader cannot tell a Python snippet from a shell command or an output:
:func:`test_every_block_names_its_language` refuses them.
"""

from __future__ import annotations

import contextlib
import doctest
import io
import re
import sys
import textwrap
import warnings
from dataclasses import dataclass, field

import pytest
from doc_pages import PAGES, README, ROOT

# Packages of the optional extras: a page whose snippets import one of them is
# skipped where it is not installed (its snippets need that extra).
OPTIONAL = ("pandas", "matplotlib", "onnx", "onnxruntime", "onnxscript", "dask", "rich")

_DIRECTIVE = re.compile(r"^(?P<indent>\s*)\.\. code-block::\s*(?P<language>\S*)\s*$")
_OPTION = re.compile(r"^\s*:(?P<name>[\w-]+):\s*(?P<value>.*)$")
_FENCE = re.compile(r"^```(?P<language>\S*)\s*$")


@dataclass
class Block:
    """One code block of a page."""

    language: str
    code: str
    line: int
    classes: tuple = ()
    output: Block | None = field(default=None, repr=False)

    @property
    def runs(self):
        return self.language == "python" and "no-run" not in self.classes

    @property
    def is_output(self):
        return self.language == "text" and "output" in self.classes


def _indent(line):
    return len(line) - len(line.lstrip())


def rst_blocks(text):
    """The ``code-block`` directives of an reStructuredText page, in order."""
    lines = text.splitlines()
    blocks, i = [], 0
    while i < len(lines):
        match = _DIRECTIVE.match(lines[i])
        if not match:
            i += 1
            continue
        indent = len(match["indent"])
        language, classes = match["language"], ()
        i += 1
        while i < len(lines) and _OPTION.match(lines[i]) and lines[i].strip():
            option = _OPTION.match(lines[i])
            if option["name"] == "class":
                classes = tuple(option["value"].split())
            i += 1
        while i < len(lines) and not lines[i].strip():
            i += 1
        start, body = i + 1, []  # the line number of the first line of code
        while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > indent):
            body.append(lines[i])
            i += 1
        code = textwrap.dedent("\n".join(body)).strip("\n") + "\n"
        blocks.append(Block(language, code, start, classes))
    return _pair_outputs(blocks)


def markdown_blocks(text):
    """The fenced code blocks of a Markdown page, in order.

    A fence ````` ```text ````` preceded by an HTML comment
    ``<!-- output -->`` is the output of the Python block before it.
    """
    lines = text.splitlines()
    blocks, i = [], 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        previous = lines[i - 1].strip() if i else ""
        classes = ("output",) if previous == "<!-- output -->" else ()
        if previous == "<!-- no-run -->":
            classes = ("no-run",)
        start, body = i + 1, []
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        i += 1
        blocks.append(Block(match["language"], "\n".join(body) + "\n", start, classes))
    return _pair_outputs(blocks)


def _pair_outputs(blocks):
    """Attach each output block to the Python block just before it."""
    kept = []
    for block in blocks:
        if block.is_output:
            if not kept or not kept[-1].runs or kept[-1].output is not None:
                raise ValueError(
                    f"line {block.line}: an output block must follow a Python "
                    "block that runs"
                )
            kept[-1].output = block
        else:
            kept.append(block)
    return kept


def page_blocks(path):
    text = path.read_text(encoding="utf-8")
    return markdown_blocks(text) if path.suffix == ".md" else rst_blocks(text)


def _name(path):
    return str(path.relative_to(ROOT))


RUNNABLE = [p for p in [*PAGES, README] if any(b.runs for b in page_blocks(p))]


def test_pages_have_snippets():
    names = {_name(p) for p in RUNNABLE}
    for page in (
        "README.md",
        "doc/index.rst",
        "doc/quick_start.rst",
        "doc/user_guide.rst",
        "doc/study.rst",
    ):
        assert page in names, f"{page} has no Python block that runs"


def test_extraction():
    text = textwrap.dedent(
        """\
        Intro.

        .. code-block:: python

           x = 1
           if x:
               print(x)

        .. code-block:: text
           :class: output

           1

        .. code-block:: python
           :class: no-run

           client = Client("scheduler:8786")

        .. code-block:: bash

           make test
        """
    )
    first, shown, shell = rst_blocks(text)
    assert first.runs and first.code == "x = 1\nif x:\n    print(x)\n"
    assert first.output.code == "1\n"
    assert not shown.runs and shown.classes == ("no-run",)
    assert not shell.runs and shell.language == "bash"
    fenced = markdown_blocks(
        "```python\nprint(2)\n```\n<!-- output -->\n```text\n2\n```\n"
    )
    assert len(fenced) == 1 and fenced[0].output.code == "2\n"
    with pytest.raises(ValueError, match="must follow"):
        rst_blocks(".. code-block:: text\n   :class: output\n\n   1\n")


def _check_output(block, printed, where):
    checker = doctest.OutputChecker()
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    if not checker.check_output(block.output.code, printed, flags):
        pytest.fail(
            f"{where}: the block prints\n{printed}\nbut the page shows\n"
            f"{block.output.code}"
        )


@pytest.mark.parametrize("page", RUNNABLE, ids=[_name(p) for p in RUNNABLE])
def test_snippets_run(page, tmp_path, monkeypatch):
    blocks = [b for b in page_blocks(page) if b.runs]
    source = "".join(b.code for b in blocks)
    for package in OPTIONAL:
        if re.search(rf"^\s*(from|import) {package}\b", source, re.MULTILINE):
            pytest.importorskip(package)
    # Snippets that write files (an exported model) write them here.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace = {"__name__": "__main__"}
    try:
        for block in blocks:
            where = f"{_name(page)}, line {block.line}"
            code = compile(block.code, where, "exec")
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed), warnings.catch_warnings():
                warnings.simplefilter("default")
                exec(code, namespace)
            if block.output is not None:
                _check_output(block, printed.getvalue(), where)
    finally:
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")


@pytest.mark.parametrize(
    "page", [*PAGES, README], ids=[_name(p) for p in [*PAGES, README]]
)
def test_every_block_names_its_language(page):
    """No bare ``::`` literal blocks: each block says whether it is Python."""
    if page.suffix == ".md":
        fences = [
            line.strip()[3:]
            for line in page.read_text(encoding="utf-8").splitlines()
            if line.startswith("```")
        ]
        # Fences open and close in turn: every opening one names a language.
        assert all(fences[::2]), f"{_name(page)}: a code fence names no language"
        return
    lines = page.read_text(encoding="utf-8").splitlines()
    literal = [
        i + 1
        for i, line in enumerate(lines)
        if line.rstrip().endswith("::")
        and not line.lstrip().startswith("..")
        and not re.match(r"^\s*:\w[\w-]*:", line)
    ]
    assert not literal, (
        f"{_name(page)}: literal blocks without a language at lines {literal}; "
        "use '.. code-block:: python' (it runs) or another language"
    )


#: The widest code line a page shows without a scroll bar, in characters
#: (the theme's content column at its default width).
WIDEST = 79


@pytest.mark.parametrize("page", PAGES, ids=[_name(p) for p in PAGES])
def test_code_fits_the_page(page):
    """No code line runs past the right edge of the page."""
    long = [
        f"line {block.line + i}: {len(line)} characters"
        for block in page_blocks(page)
        for i, line in enumerate(block.code.splitlines())
        if len(line) > WIDEST
    ]
    assert not long, f"{_name(page)}: code lines wider than {WIDEST}: {long}"
