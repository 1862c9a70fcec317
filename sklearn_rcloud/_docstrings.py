"""Docstring sections written once, and the substitution that fills them in.

A docstring names a shared section by a line holding only ``{name}``;
:func:`fill` replaces that line by the section, indented as the line was
(imbalanced-learn's ``Substitution``, by whole lines, so that the braces of
numpydoc's ``{'a', 'b'}`` need no escaping).
"""

from __future__ import annotations

import textwrap

__all__ = ["DATA_ATTRIBUTES", "REGRESSION_DATA_ATTRIBUTES", "fill", "substitute"]

#: What every fitted classifier records about its training data.
DATA_ATTRIBUTES = """\
classes_ : ndarray of shape (n_classes,)
    Class labels.
n_features_in_ : int
    Number of features seen during fit.
feature_names_in_ : ndarray of shape (`n_features_in_`,)
    Names of features seen during fit, when ``X`` has string column names."""

#: What every fitted regressor records about its training data.
REGRESSION_DATA_ATTRIBUTES = """\
target_mean_, target_scale_ : ndarray of shape (n_outputs,)
    Mean and standard deviation of each target column over the (weighted)
    training rows: ``fit`` trains on ``(y - target_mean_) / target_scale_``
    and ``predict`` maps the outputs back (a constant column has scale 1).
n_features_in_ : int
    Number of features seen during fit.
feature_names_in_ : ndarray of shape (`n_features_in_`,)
    Names of features seen during fit, when ``X`` has string column names."""


def fill(docstring, **sections):
    """``docstring`` with each line ``{name}`` replaced by ``sections[name]``.

    Raises
    ------
    ValueError
        When a section is given that the docstring does not name: a
        misspelt placeholder would otherwise stay in the rendered docs.
    """
    lines, used = [], set()
    for line in docstring.splitlines():
        key = line.strip()
        name = key[1:-1]
        if key.startswith("{") and key.endswith("}") and name in sections:
            indent = line[: len(line) - len(line.lstrip())]
            text = textwrap.dedent(sections[name]).strip("\n")
            lines.append(textwrap.indent(text, indent))
            used.add(name)
        else:
            lines.append(line)
    unused = sorted(set(sections) - used)
    if unused:
        raise ValueError(f"The docstring has no line {{{unused[0]}}} to fill.")
    return "\n".join(lines) + ("\n" if docstring.endswith("\n") else "")


def substitute(**sections):
    """Decorator: :func:`fill` the decorated object's docstring."""

    def decorate(obj):
        obj.__doc__ = fill(obj.__doc__, **sections)
        return obj

    return decorate
