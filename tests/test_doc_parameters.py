"""Every parameter the documentation names exists, with the default it gives.

A reader copies ``selection_tolerance=0.01`` from a sentence, or a row of a
parameter table, into a call: the name must be a parameter of the estimator
the text is about, or the call raises ``TypeError``. Checked here:

* every call written in the prose, ``Estimator(name=...)`` or
  ``function(..., name=...)``: each keyword is a parameter of that callable;
* every bare ``name=value`` in the prose: a parameter of the estimators of
  the section it stands in (:data:`SECTIONS`; elsewhere, of some estimator
  or public function of the library);
* every row of a table whose first column is headed "parameter": its names
  are parameters of the section's estimators (or of those a column headed
  "estimators" names), and a "default" column gives their true defaults;
* the names the changelog lists as renamed appear nowhere else.

The Python blocks themselves run in ``test_doc_snippets.py``.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re

import pytest
import sklearn.model_selection
import sklearn.neural_network
from doc_pages import DOC, PAGES, README, ROOT

import sklearn_rcloud
from sklearn_rcloud import presets

CHANGELOG = DOC / "changelog.rst"

ESTIMATORS = {
    name: getattr(sklearn_rcloud, name)
    for name in sklearn_rcloud.__all__
    if name.endswith(("Classifier", "Regressor"))
}
# Modules whose public functions and classes a page may call by name.
_MODULES = (
    "sklearn_rcloud",
    "sklearn_rcloud.study",
    "sklearn_rcloud.plotting",
    "sklearn_rcloud.export",
    "sklearn_rcloud.engine",
    "sklearn_rcloud.search",
    "sklearn_rcloud.proxies",
    "sklearn_rcloud.datasets",
    "sklearn_rcloud.init",
)
# Callables of other libraries the pages call in their prose.
_OTHERS = {
    "MLPClassifier": sklearn.neural_network.MLPClassifier,
    "MLPRegressor": sklearn.neural_network.MLPRegressor,
    "GridSearchCV": sklearn.model_selection.GridSearchCV,
    "train_test_split": sklearn.model_selection.train_test_split,
}

#: Sections about one family of estimators (by their ``.. _label:``): a bare
#: ``name=value`` there must be a parameter of one of these.
SECTIONS = {
    "random_cloud": ("RandomCloudClassifier",),
    "random_cloud_deviations": ("RandomCloudClassifier",),
    "training_recipe": ("DenseMLPClassifier",),
    "pruning_baselines": ("MagnitudePruningClassifier", "RandomPruningClassifier"),
    "naswot": ("NASWOTSearchClassifier",),
    "naswot_deviations": ("NASWOTSearchClassifier",),
    "proxies": (
        "RandomCloudClassifier",
        "NASWOTSearchClassifier",
        "RandomSearchSparseClassifier",
    ),
    "sparse_search": ("RandomSearchSparseClassifier", "RandomSparseClassifier"),
    "saep": ("SAEPEnsembleClassifier",),
    "regression": (
        "RandomCloudRegressor",
        "DenseMLPRegressor",
        "SAEPEnsembleRegressor",
        "RandomSearchSparseRegressor",
    ),
}
#: Sections whose parameter tables are about one estimator although their
#: prose is about every one: the training parameters, shared by all.
TABLE_SECTIONS = {"mlp_dropin": ("DenseMLPClassifier",)}
#: How a table's "estimators" column names them.
FAMILIES = {
    "Random Cloud": ("RandomCloudClassifier",),
    "NASWOT": ("NASWOTSearchClassifier",),
    "random search over sparse sub-networks": ("RandomSearchSparseClassifier",),
    "pruning baselines": ("MagnitudePruningClassifier", "RandomPruningClassifier"),
    "SAEP": ("SAEPEnsembleClassifier",),
}


def _parameters(target):
    """The keyword names ``target`` (class or function) accepts, or None for any."""
    signature = inspect.signature(target)
    if any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values()):
        return None
    return set(signature.parameters) - {"self"}


def _callables():
    found = dict(_OTHERS)
    for module_name in _MODULES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            if callable(value) and not (
                inspect.isclass(value) and issubclass(value, BaseException)
            ):
                found.setdefault(name, value)
    # Methods every estimator has, written bare in the prose.
    for method in ("fit", "to_onnx", "to_torch", "set_callbacks"):
        found.setdefault(method, getattr(sklearn_rcloud.DenseMLPClassifier, method))
    return found


CALLABLES = _callables()
ANY_PARAMETER = set().union(
    *(_parameters(e) for e in ESTIMATORS.values()),
    *(p for p in map(_parameters, CALLABLES.values()) if p is not None),
)


def _keywords_of(name):
    """What ``name(...)`` accepts; ``paper_params`` overrides Random Cloud's."""
    if name == "paper_params":
        return _parameters(ESTIMATORS["RandomCloudClassifier"]) | {"random_state"}
    if name in CALLABLES:
        return _parameters(CALLABLES[name])
    module, _, attribute = name.rpartition(".")
    if module:
        try:
            return _parameters(getattr(importlib.import_module(module), attribute))
        except (ImportError, AttributeError):
            pass
    raise KeyError(name)


# -- reading the pages ----------------------------------------------------------

_LITERAL_RST = re.compile(r"``(.+?)``")
_LITERAL_MD = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
_LABEL = re.compile(r"^\.\. _([\w-]+):\s*$")
_UNDERLINE = re.compile(r"^([=\-~^])\1{2,}\s*$")
_CALL = re.compile(r"^(?P<name>[A-Za-z_][\w.]*)\(.*\)$", re.DOTALL)
_KWARG = re.compile(r"^(?P<name>[a-z_]\w*)=(?!=)")


def _prose_lines(path):
    """``(line number, text, section label)`` of the prose, code blocks left out.

    The label is the one of the section the line stands in: a heading right
    after ``.. _label:`` opens it, any other heading of the two top levels
    closes it, and a lower heading keeps it.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    label, pending, skip_indent, levels = None, None, None, []
    out = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        if skip_indent is not None:
            if not stripped or len(line) - len(line.lstrip()) > skip_indent:
                continue
            skip_indent = None
        if re.match(r"^\s*\.\. (code-block|math)::", line) or (
            stripped.endswith("::") and not stripped.startswith("..")
        ):
            skip_indent = len(line) - len(line.lstrip())
            continue
        match = _LABEL.match(line)
        if match:
            pending = match[1]
            continue
        underline = _UNDERLINE.match(lines[i + 1]) if i + 1 < len(lines) else None
        if underline and stripped and len(lines[i + 1].strip()) >= len(stripped):
            char = underline[1]
            if char not in levels:
                levels.append(char)
            if pending:
                label = pending
            elif levels.index(char) <= 1:
                label = None
            pending = None
            continue
        if stripped and not _UNDERLINE.match(line):
            pending = None
        out.append((i + 1, line, label))
    return out


def _literals(path):
    """``(line, literal, label)`` of every inline literal of the prose."""
    if path.suffix == ".md":
        text, found, in_fence = path.read_text(encoding="utf-8"), [], False
        for number, line in enumerate(text.splitlines(), 1):
            if line.startswith("```"):
                in_fence = not in_fence
                continue
            if not in_fence:
                found += [(number, m[1], None) for m in _LITERAL_MD.finditer(line)]
        return found
    # Literals may wrap over two lines: join each paragraph first.
    found = []
    for number, line, label in _prose_lines(path):
        found += [(number, m[1], label) for m in _LITERAL_RST.finditer(line)]
    return found


def _mentions(path):
    """Every ``(line, callable or None, keyword, label)`` the prose names."""
    for number, literal, label in _literals(path):
        literal = " ".join(literal.split())
        call = _CALL.match(literal)
        if call:
            try:
                node = ast.parse(literal, mode="eval").body
            except SyntaxError:
                continue
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    if keyword.arg:
                        yield number, call["name"], keyword.arg, label
            continue
        kwarg = _KWARG.match(literal)
        if kwarg:
            for part in literal.split(","):
                match = _KWARG.match(part.strip())
                if match:
                    yield number, None, match["name"], label


def _list_tables(path):
    """``(line, caption, rows, label)`` of every list-table, rows of cells."""
    lines = path.read_text(encoding="utf-8").splitlines()
    labels = {number: label for number, _, label in _prose_lines(path)}
    tables, i = [], 0
    while i < len(lines):
        match = re.match(r"^(\s*)\.\. list-table::(.*)$", lines[i])
        if not match:
            i += 1
            continue
        start, indent, rows = i + 1, len(match[1]), []
        label = next((labels[n] for n in range(start, 0, -1) if n in labels), None)
        i += 1
        while i < len(lines) and (
            not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent
        ):
            text = lines[i].strip()
            if text.startswith("* - "):
                rows.append([text[4:]])
            elif text.startswith("- ") and rows:
                rows[-1].append(text[2:])
            elif text and rows and not text.startswith(":"):
                rows[-1][-1] += " " + text
            i += 1
        tables.append((start, match[2].strip(), rows, label))
    return tables


def _names_in(cell):
    return [m[1] for m in _LITERAL_RST.finditer(cell)]


def _split_values(cell):
    """A default cell's values: commas outside brackets separate them."""
    parts, depth, current = [], 0, ""
    for char in cell:
        depth += char in "([{"
        depth -= char in ")]}"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    values = []
    for part in parts:
        part = re.sub(r"\s*\(.*\)\s*$", "", part.strip())  # a comment in brackets
        values.append(part.replace("``", "").strip())
    return values


# -- the tests ------------------------------------------------------------------


def _all_pages():
    return [*PAGES, README]


def _id(path):
    return str(path.relative_to(ROOT))


def test_mentions_are_found():
    guide = DOC / "user_guide.rst"
    mentions = list(_mentions(guide))
    assert (None, "selection_tolerance", "random_cloud") in {
        (c, k, lab) for _, c, k, lab in mentions
    }
    assert any(c == "RandomCloudClassifier" and k == "proxy" for _, c, k, _ in mentions)
    tables = _list_tables(guide)
    assert any(rows and rows[0][0] == "parameter" for _, _, rows, _ in tables)


# The changelog names the parameters that were renamed: it is not checked.
@pytest.mark.parametrize("page", [p for p in _all_pages() if p != CHANGELOG], ids=_id)
def test_keywords_in_prose_exist(page):
    wrong = []
    for number, name, keyword, label in _mentions(page):
        if name is not None:
            try:
                accepted = _keywords_of(name)
            except KeyError:
                wrong.append(f"line {number}: {name}() is not a known callable")
                continue
            if accepted is not None and keyword not in accepted:
                wrong.append(f"line {number}: {name}() has no parameter {keyword!r}")
        elif label in SECTIONS:
            owners = SECTIONS[label]
            if not any(keyword in _parameters(ESTIMATORS[o]) for o in owners):
                wrong.append(
                    f"line {number}: {keyword!r} is not a parameter of "
                    f"{' or '.join(owners)} (section {label!r})"
                )
        elif keyword not in ANY_PARAMETER:
            wrong.append(f"line {number}: {keyword!r} is a parameter of nothing")
    assert not wrong, f"{_id(page)}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_parameter_tables(page):
    wrong = []
    for number, _caption, rows, label in _list_tables(page):
        if not rows or rows[0][0].strip().lower() != "parameter":
            continue
        header = [cell.strip().lower() for cell in rows[0]]
        default = next(
            (i for i, h in enumerate(header) if h.startswith("default")), None
        )
        family = header.index("estimators") if "estimators" in header else None
        for row in rows[1:]:
            names = _names_in(row[0])
            if family is not None:
                owners = [
                    e
                    for words, estimators in FAMILIES.items()
                    if words in row[family]
                    for e in estimators
                ]
            else:
                owners = list(
                    TABLE_SECTIONS.get(label, SECTIONS.get(label, ESTIMATORS))
                )
            where = f"table at line {number}, row {row[0]!r}"
            if not owners:
                wrong.append(f"{where}: names no estimator")
                continue
            if family is not None:
                # A row of several names for several estimators: each name
                # belongs to one of them, and each of them has one of the names.
                has = {o: set(names) & _parameters(ESTIMATORS[o]) for o in owners}
                stray = set(names) - set().union(*has.values())
                wrong += [
                    f"{where}: {n!r} is a parameter of none of {owners}"
                    for n in sorted(stray)
                ]
                wrong += [
                    f"{where}: {o} has none of {names}" for o in owners if not has[o]
                ]
                continue
            missing = {
                name: [o for o in owners if name not in _parameters(ESTIMATORS[o])]
                for name in names
            }
            missing = {name: absent for name, absent in missing.items() if absent}
            for name, absent in missing.items():
                wrong.append(f"{where}: {name!r} is not a parameter of {absent}")
            if default is None or missing:
                continue
            values = _split_values(row[default])
            if len(values) != len(names):
                wrong.append(f"{where}: {len(names)} names but defaults {values}")
                continue
            for name, text in zip(names, values):
                true = ESTIMATORS[owners[0]]().get_params()[name]
                try:
                    given = ast.literal_eval(text)
                except (ValueError, SyntaxError):
                    wrong.append(f"{where}: default of {name!r} reads {text!r}")
                    continue
                if given != true:
                    wrong.append(f"{where}: {name!r} defaults to {true!r}, not {text}")
    assert not wrong, f"{_id(page)}:\n" + "\n".join(wrong)


def _renamed():
    """``(before, now)`` pairs of the changelog's table of renamed parameters."""
    for _, caption, rows, _ in _list_tables(CHANGELOG):
        if caption.lower().startswith("renamed"):
            for row in rows[1:]:
                for before in _names_in(row[0]):
                    yield before, _names_in(row[1])


def test_changelog_lists_renames():
    renamed = dict(_renamed())
    assert renamed.get("scorer") == ["proxy"]
    assert "finetune_epochs" in renamed
    for before, now in renamed.items():
        for name in now:
            assert name in ANY_PARAMETER, f"{before} became {name}, which is nothing"


@pytest.mark.parametrize("page", _all_pages(), ids=_id)
def test_renamed_parameters_are_gone(page):
    if page == CHANGELOG:
        return
    before = {name for name, _ in _renamed()}
    text = page.read_text(encoding="utf-8")
    found = sorted(
        name
        for name in before
        if re.search(rf"`{re.escape(name)}[`=(]", text)
        or re.search(rf"\b{re.escape(name)}=", text)
    )
    assert not found, f"{_id(page)} still names {found}, renamed (see the changelog)"


def test_paper_params_is_checked_against_random_cloud():
    accepted = _keywords_of("paper_params")
    assert "selection" in accepted and "scorer" not in accepted
    assert callable(presets.paper_params)
