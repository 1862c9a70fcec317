"""Render the documentation's maths as MathML, with no script.

Sphinx's own HTML math renderers need either MathJax, a script loaded from a
CDN (an offline reader sees raw LaTeX such as ``\\(h\\)``), or LaTeX installed
on the build machine (``sphinx.ext.imgmath``). docutils converts LaTeX to
MathML itself, and every current browser renders MathML natively, so this
renderer needs neither.
"""

import html

from docutils import nodes
from docutils.utils.math.latex2mathml import tex2mathml
from sphinx.util import logging

logger = logging.getLogger(__name__)


def _mathml(node, latex, as_block):
    """MathML of ``latex``; LaTeX docutils cannot convert is a warning."""
    try:
        return tex2mathml(latex, as_block=as_block)
    except Exception as error:  # docutils raises SyntaxError and others
        logger.warning("cannot render %r as MathML: %s", latex, error, location=node)
        return f"<code>{html.escape(latex)}</code>"


def _visit_inline(translator, node):
    translator.body.append(_mathml(node, node.astext(), as_block=False))
    raise nodes.SkipNode


def _visit_block(translator, node):
    translator.body.append('<div class="math-block">')
    for part in node.astext().split("\n\n"):
        if part.strip():
            translator.body.append(_mathml(node, part, as_block=True))
    translator.body.append("</div>\n")
    raise nodes.SkipNode


def add_mathml_renderer(app):
    """Register the ``'mathml'`` HTML math renderer with the Sphinx ``app``."""
    app.add_html_math_renderer(
        "mathml",
        inline_renderers=(_visit_inline, None),
        block_renderers=(_visit_block, None),
    )
