"""Where the engine keeps what it derives from a model: PySD's translations and the compiled kernels."""

from __future__ import annotations

import os
import threading
from pathlib import Path


def cache_dir() -> Path:
    """Folder that holds translated models: ``$SD_MODEL_CACHE``, else ``$XDG_CACHE_HOME/sd_model``."""
    if os.environ.get("SD_MODEL_CACHE"):
        return Path(os.environ["SD_MODEL_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "sd_model"


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a file beside it: another process sees the old file or the whole new one."""
    partial = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    partial.write_bytes(data)
    partial.replace(path)
