"""Photograph every page of the built documentation with headless Chromium.

Run by ``make screenshots`` from the root of the repository, after the docs
are built; not part of the test suite or CI (it needs a browser). Look at the
pictures before a release: clipped figures, code cut at the right edge,
tables that overflow, maths left as raw LaTeX.

Usage::

    python doc/screenshots.py [--html doc/_build/html] [--out DIR]
                              [--width 1400] [--height 3000] [PATTERN ...]

Each page is rendered at ``--width`` by ``--height`` CSS pixels (the top of
a long page; raise ``--height`` to see more of it) into ``DIR``, one PNG per
page, named after its path. PATTERNs (shell-style, e.g. ``'user_guide*'``)
choose the pages; by default every page except Sphinx's own (search, index).
"""

from __future__ import annotations

import argparse
import fnmatch
import shutil
import subprocess
import sys
from pathlib import Path

# Pages Sphinx writes for itself, not pages of the documentation.
SKIPPED = ("search.html", "genindex.html", "py-modindex.html")
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_browser():
    """The first Chromium-like browser on the PATH, or None."""
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def pages(html_dir, patterns=()):
    """The HTML pages of ``html_dir`` to photograph, sorted."""
    found = []
    for path in sorted(html_dir.rglob("*.html")):
        relative = path.relative_to(html_dir).as_posix()
        if relative.startswith("_") or relative in SKIPPED:
            continue
        if patterns and not any(fnmatch.fnmatch(relative, p) for p in patterns):
            continue
        found.append(path)
    return found


def photograph(browser, page, picture, width, height):
    """Render ``page`` into the PNG ``picture``; returns the browser's exit code."""
    command = [
        browser,
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        "--run-all-compositor-stages-before-draw",
        "--virtual-time-budget=3000",
        f"--window-size={width},{height}",
        f"--screenshot={picture}",
        page.resolve().as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    return done.returncode


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("patterns", nargs="*", help="pages to photograph")
    parser.add_argument("--html", type=Path, default=Path("doc/_build/html"))
    parser.add_argument("--out", type=Path, default=Path("doc/_build/screenshots"))
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=3000)
    args = parser.parse_args(argv)

    browser = find_browser()
    if browser is None:
        sys.exit(
            "No Chromium found (tried " + ", ".join(BROWSERS) + "); on Debian "
            "or Ubuntu: apt-get install -y chromium"
        )
    if not (args.html / "index.html").is_file():
        sys.exit(f"No built documentation in {args.html}: run 'make docs' first.")
    args.out.mkdir(parents=True, exist_ok=True)
    failed = []
    chosen = pages(args.html, args.patterns)
    for number, page in enumerate(chosen, 1):
        name = page.relative_to(args.html).with_suffix("").as_posix()
        picture = args.out / (name.replace("/", "__") + ".png")
        code = photograph(browser, page, picture, args.width, args.height)
        if code != 0 or not picture.is_file():
            failed.append(name)
        print(f"[{number}/{len(chosen)}] {picture}", flush=True)
    if failed:
        sys.exit(f"{len(failed)} pages failed: {', '.join(failed)}")
    print(f"{len(chosen)} pages photographed into {args.out}.")


if __name__ == "__main__":
    main()
