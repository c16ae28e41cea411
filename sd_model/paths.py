"""Where the model, its metadata, scenarios, reference data and the translation cache live."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = ROOT / "models"
MODEL_FILE = MODELS_DIR / "relocation.mdl"
METADATA_FILE = MODELS_DIR / "model.toml"
SCENARIOS_DIR = MODELS_DIR / "scenarios"
REFERENCE_DIR = ROOT / "data" / "reference"


def cache_dir() -> Path:
    """Folder that holds translated models: ``$SD_MODEL_CACHE``, else ``$XDG_CACHE_HOME/sd_model``."""
    if os.environ.get("SD_MODEL_CACHE"):
        return Path(os.environ["SD_MODEL_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "sd_model"


def beside(mdl_file: str | Path, name: str) -> Path:
    """The file ``name`` in the folder of ``mdl_file``: where a model keeps its metadata (``model.toml``),
    targets, calibration, loops, scenarios and stories (``models/`` for the project's model)."""
    return Path(mdl_file).resolve().parent / name
