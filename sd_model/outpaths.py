"""Check, before any work, that an output file or folder can be written; one-line errors otherwise."""

from __future__ import annotations

import tempfile
from pathlib import Path


class OutputPathError(ValueError):
    """An output path that cannot be written; the message names the path and why."""


def _probe(folder: Path, path: Path) -> None:
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise OutputPathError(f"cannot write {path}: {err.strerror or err}") from None


def writable_file(path: str | Path) -> Path:
    """``path`` if a file can be written there (its folder exists and takes files), else :class:`OutputPathError`."""
    path = Path(path)
    if path.is_dir():
        raise OutputPathError(f"cannot write {path}: it is a folder")
    if not path.parent.is_dir():
        raise OutputPathError(f"cannot write {path}: folder {path.parent} does not exist")
    _probe(path.parent, path)
    return path


def writable_folder(path: str | Path) -> Path:
    """``path``, created if missing, if files can be written in it; else :class:`OutputPathError`."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputPathError(f"cannot create folder {path}: {err.strerror or err}") from None
    _probe(path, path)
    return path
