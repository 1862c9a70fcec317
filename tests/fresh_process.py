"""Run a test script in a fresh Python process.

For what a process does only once: its first imports, or torch's warnings
that fire once per process. The script gets this directory as ``argv[1]``
(to import the test helpers) and runs in it.
"""

import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).parent


def run_fresh(script):
    """The script's standard output; a failing script fails the test."""
    result = subprocess.run(
        [sys.executable, "-c", script, str(TESTS)],
        capture_output=True,
        text=True,
        cwd=TESTS,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout
