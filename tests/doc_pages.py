"""The hand-written documentation pages the doc tests read."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "doc"
# Folders of generated pages or templates, not pages written by hand.
_GENERATED = ("_build", "auto_examples", "gen_modules", "_templates")
PAGES = sorted(
    path
    for path in DOC.rglob("*.rst")
    if not any(part in _GENERATED for part in path.relative_to(DOC).parts)
)
README = ROOT / "README.md"
