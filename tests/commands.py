"""Running the project's command lines as a user does, from the project's root."""

from __future__ import annotations

import subprocess
import sys

from sd_model.paths import ROOT


def run_module(package: str, *args, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m package args...`` in the project's root; the finished process, its output as text."""
    command = [sys.executable, "-m", package, *map(str, args)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
