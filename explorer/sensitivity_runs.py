"""Sensitivity results the explorer can show: the bundled ones and a modeller's own runs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sensitivity.bundle import BUNDLE, BUNDLED_DIR


@dataclass(frozen=True)
class SensitivityRun:
    """One folder written by :func:`sensitivity.run_analysis`: its manifest and where it is."""

    folder: Path
    manifest: dict
    bundled: bool
    indices: pd.DataFrame = field(repr=False, compare=False)  # read (and checked) once, by find_runs

    @property
    def label(self) -> str:
        origin = "bundled" if self.bundled else self.folder.name
        return f"{self.manifest['method']} (N = {self.manifest['n']}, {origin})"


#: The columns of ``indices.csv`` the Sensitivity page reads.
INDEX_COLUMNS = ("output", "year", "parameter", "index", "value", "conf")
#: The keys of ``manifest.json`` it reads.
MANIFEST_KEYS = ("method", "n", "created")


def read_indices(folder: Path) -> pd.DataFrame:
    """A run's ``indices.csv``; ``ValueError`` in one line when it is missing, empty, half written or
    lacks a column the page reads."""
    path = Path(folder) / "indices.csv"
    try:
        indices = pd.read_csv(path)
    except FileNotFoundError:
        raise ValueError("no indices.csv (the run did not finish?)") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise ValueError(f"indices.csv cannot be read: {' '.join(str(err).split())[:160]}") from None
    missing = [c for c in INDEX_COLUMNS if c not in indices.columns]
    if missing:
        raise ValueError(f"indices.csv has no column {missing[0]!r}")
    if indices.empty:
        raise ValueError("indices.csv holds no rows")
    gaps = indices[["output", "year", "parameter", "index"]].isna().any(axis=1).to_numpy().nonzero()[0]
    if gaps.size:
        raise ValueError(f"indices.csv, line {int(gaps[0]) + 2}: fields missing (half written?)")
    if not pd.api.types.is_numeric_dtype(indices["year"]) or not pd.api.types.is_numeric_dtype(indices["value"]):
        raise ValueError("indices.csv: 'year' and 'value' must be numbers")
    return indices


def find_runs(folder: Path | None, bundled: Path = BUNDLED_DIR) -> tuple[list[SensitivityRun], dict[str, str]]:
    """A modeller's runs in ``folder`` (newest first), then the bundled ones, and the problem of each
    run folder that cannot be shown (by folder name): listed as unreadable, never an error on the page."""
    runs, unreadable = [], {}
    for base, is_bundled in ((folder, False), (bundled, True)):
        if base is None or not Path(base).is_dir():
            continue
        manifests = list(Path(base).glob("*/manifest.json"))
        if is_bundled:  # in the order of the bundle
            manifests.sort(key=lambda p: list(BUNDLE).index(p.parent.name) if p.parent.name in BUNDLE else len(BUNDLE))
        else:  # newest first
            manifests.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        for path in manifests:
            try:
                manifest = json.loads(path.read_text(encoding="utf-8"))
                if not isinstance(manifest, dict) or not set(MANIFEST_KEYS) <= set(manifest):
                    raise ValueError(f"manifest.json lacks one of {', '.join(MANIFEST_KEYS)}")
                indices = read_indices(path.parent)
            except (OSError, ValueError) as err:  # json's errors are ValueErrors
                unreadable[path.parent.name] = str(err).splitlines()[0][:200]
                continue
            runs.append(SensitivityRun(path.parent, manifest, is_bundled, indices))
    return runs, unreadable
