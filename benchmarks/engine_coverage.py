"""How many ordinary Vensim test models the fast engine runs equal to PySD (issue 15's targets).

Usage::

    git clone https://github.com/SDXorg/test-models
    python benchmarks/engine_coverage.py test-models [--csv coverage.csv]   # its tests/ and samples/
    python benchmarks/engine_coverage.py test-models/tests other/folder      # any folders of .mdl files

Each model goes through :func:`sd_model.check.check_model`: PySD's own run against the engine's
default path (the compiled kernel; ``SD_MODEL_ENGINE=numpy`` for the NumPy loop), two runs in one
batch, every column at every saved time. Models PySD itself cannot run are left out of the shares.
Prints one line per model, a table per folder (equal, refused, differs, crashed, PySD fails) and the
shares with and without subscripts, and how many ran compiled; exits 1 if any model differs from PySD or
crashes the engine (the engine must give PySD's numbers or refuse by name, with a ``NotImplementedError``
of one line), or when a share misses its target (:data:`TARGETS`, :data:`COMPILED_TARGET`).
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

import pandas as pd

from sd_model.check import check_model

TARGETS = {False: 0.80, True: 0.50}  # share equal to PySD: without subscripts, with subscripts
#: Share of the models the engine runs that run compiled (the rest fall back to the NumPy loop, by name).
COMPILED_TARGET = 0.95
#: The folders of SDXorg/test-models checked when its clone is given.
SUBFOLDERS = ("tests", "samples")
STATUSES = ("equal", "refused", "differs", "crashed", "pysd-fails")


def folders(paths: list[Path]) -> list[Path]:
    """The folders to search: a clone of SDXorg/test-models stands for its :data:`SUBFOLDERS`."""
    found = []
    for path in paths:
        parts = [path / name for name in SUBFOLDERS if (path / name).is_dir()]
        found += parts if len(parts) == len(SUBFOLDERS) else [path]
    return found


def check_row(mdl: Path) -> dict:
    """One model's verdict; an exception other than a refusal is a crash (an engine bug), its traceback shown."""
    start = time.perf_counter()
    try:
        check = check_model(mdl)
        row = {"status": check.status, "subscripted": check.subscripted, "detail": check.detail}
        row["compiled"] = check.compiled if check.status in ("equal", "differs") else ""
        if check.status == "refused" and (not check.detail or "\n" in check.detail):
            row["status"] = "crashed"  # a refusal must name its construct in one line
    except Exception as err:
        row = {"status": "crashed", "subscripted": None, "detail": f"{type(err).__name__}: {err}", "compiled": ""}
        traceback.print_exc()
    return row | {"seconds": round(time.perf_counter() - start, 2)}


def summary(table: pd.DataFrame) -> bool:
    """Print the table per folder and the shares; True when the shares meet :data:`TARGETS`."""
    counts = table.groupby("folder")["status"].value_counts().unstack(fill_value=0)
    print(counts.reindex(columns=list(STATUSES), fill_value=0).to_string())
    print()
    runnable = table[table["status"] != "pysd-fails"]
    print(f"{len(table)} models; PySD runs {len(runnable)}; {len(table) - len(runnable)} left out (PySD fails on them)")
    ok = True
    for subscripted, target in TARGETS.items():
        group = runnable[runnable["subscripted"] == subscripted]
        counts = group["status"].value_counts()
        share = counts.get("equal", 0) / max(len(group), 1)
        label = "with subscripts" if subscripted else "without subscripts"
        print(
            f"{label:19s}: {counts.get('equal', 0)} of {len(group)} equal to PySD ({share:.0%}, target {target:.0%}), "
            f"{counts.get('refused', 0)} refused by name, {counts.get('differs', 0)} differ"
        )
        ok &= share >= target
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, nargs="+", help="folders searched for .mdl files (recursively)")
    parser.add_argument("--csv", type=Path, help="write the per-model table here")
    args = parser.parse_args(argv)
    rows = []
    for folder in folders(args.folder):
        for mdl in sorted(folder.rglob("*.mdl")):
            row = check_row(mdl) | {"folder": folder.name, "model": str(mdl.relative_to(folder))}
            rows.append(row)
            detail = f"  ({row['detail'][:100]})" if row["detail"] else ""
            print(f"{row['status']:10s} {row['folder']}/{row['model']}{detail}", flush=True)
    table = pd.DataFrame(rows)
    if args.csv:
        table.to_csv(args.csv, index=False)
    print()
    ok = summary(table)
    bad = table[table["status"].isin(["differs", "crashed"])]
    print(f"differ or crash: {len(bad)}" + "".join(f"\n  {r.folder}/{r.model}: {r.detail}" for r in bad.itertuples()))
    ran = table[table["compiled"] != ""]
    fell_back = ran[ran["compiled"] != "yes"]
    ok &= len(ran) - len(fell_back) >= COMPILED_TARGET * len(ran)
    print(
        f"compiled: {len(ran) - len(fell_back)} of the {len(ran)} models the engine runs "
        f"(target {COMPILED_TARGET:.0%}); the NumPy loop ran "
        f"{len(fell_back)}" + "".join(f"\n  {r.folder}/{r.model}: {r.compiled[:110]}" for r in fell_back.itertuples())
    )
    refusals = table[table["status"] == "refused"]
    if len(refusals):
        print("refusals:\n" + "\n".join(f"  {r.folder}/{r.model}: {r.detail[:110]}" for r in refusals.itertuples()))
    return 0 if ok and bad.empty else 1


if __name__ == "__main__":
    sys.exit(main())
