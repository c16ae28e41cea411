"""The sensitivity results bundled with the repository, so that the explorer shows results for the
model as it is on a fresh clone: ``python -m sensitivity bundle`` regenerates them.

Each is an ordinary :func:`sensitivity.run_analysis` run (every parameter, the four KPIs, every
year, a fixed seed); only its tidy indices and manifest are kept, in ``data/sensitivity/METHOD/``.
A test fails when the manifest's model and parameter-table hashes no longer match the model.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from sd_model.paths import ROOT

from .pipeline import run_analysis

BUNDLED_DIR = ROOT / "data" / "sensitivity"
#: method -> base sample size: a Sobol' analysis and a Morris screening that run in seconds (the
#: explorer offers them in this order)
BUNDLE = {"sobol": 256, "morris": 64}
SEED = 20161231
KEPT = ("indices.csv", "manifest.json")


def write_bundle(folder: Path = BUNDLED_DIR, *, progress: bool = True) -> list[Path]:
    """Run every bundled analysis and keep its indices and manifest in ``folder/METHOD/``."""
    written = []
    with tempfile.TemporaryDirectory() as scratch:
        for method, n in BUNDLE.items():
            out = Path(scratch) / method
            run_analysis(method, n=n, seed=SEED, out=out, progress=progress)
            target = Path(folder) / method
            target.mkdir(parents=True, exist_ok=True)
            for name in KEPT:
                shutil.copyfile(out / name, target / name)
            written.append(target)
    return written
