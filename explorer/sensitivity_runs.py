"""Sensitivity results the explorer can show: the bundled ones and a modeller's own runs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sensitivity.bundle import BUNDLE, BUNDLED_DIR


@dataclass(frozen=True)
class SensitivityRun:
    """One folder written by :func:`sensitivity.run_analysis`: its manifest and where it is."""

    folder: Path
    manifest: dict
    bundled: bool

    @property
    def label(self) -> str:
        origin = "bundled" if self.bundled else self.folder.name
        return f"{self.manifest['method']} (N = {self.manifest['n']}, {origin})"


def find_runs(folder: Path | None, bundled: Path = BUNDLED_DIR) -> list[SensitivityRun]:
    """A modeller's runs in ``folder`` (newest first), then the bundled ones; unreadable folders skipped."""
    runs = []
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
            except (OSError, ValueError):
                continue
            if (path.parent / "indices.csv").is_file() and {"method", "n", "created"} <= set(manifest):
                runs.append(SensitivityRun(path.parent, manifest, is_bundled))
    return runs
