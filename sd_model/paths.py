"""Where the model, its metadata, scenarios and reference data live (the translation cache: :mod:`engine.cache`)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = ROOT / "models"
MODEL_FILE = MODELS_DIR / "relocation.mdl"
METADATA_FILE = MODELS_DIR / "model.toml"
SCENARIOS_DIR = MODELS_DIR / "scenarios"
REFERENCE_DIR = ROOT / "data" / "reference"


def beside(mdl_file: str | Path, name: str) -> Path:
    """The file ``name`` in the folder of ``mdl_file``: where a model keeps its metadata (``model.toml``),
    targets, calibration, loops, scenarios and stories (``models/`` for the project's model)."""
    return Path(mdl_file).resolve().parent / name
