"""How many ordinary Vensim test models the fast engine runs equal to PySD (issue 15's targets).

Usage::

    git clone https://github.com/SDXorg/test-models   # any folder of construct-level .mdl files
    python benchmarks/engine_coverage.py test-models/tests [--csv coverage.csv]

Each model goes through :func:`sd_model.check.check_model`: PySD's own run against the generated
loop (two runs in one batch), every column at every saved time. Models PySD itself cannot run are
left out of the shares. Prints one line per model and the shares with and without subscripts;
exits 1 if any model differs from PySD or crashes the engine (the engine must give PySD's numbers
or refuse by name).
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="folder searched for .mdl files (recursively)")
    parser.add_argument("--csv", type=Path, help="write the per-model table here")
    args = parser.parse_args(argv)
    rows = []
    for mdl in sorted(args.folder.rglob("*.mdl")):
        start = time.perf_counter()
        try:
            check = check_model(mdl)
            row = {"status": check.status, "subscripted": check.subscripted, "detail": check.detail}
        except Exception as err:  # an engine bug: counted, shown, and the script fails
            row = {"status": "crashed", "subscripted": None, "detail": f"{type(err).__name__}: {err}"}
            traceback.print_exc()
        row |= {"model": str(mdl.relative_to(args.folder)), "seconds": round(time.perf_counter() - start, 2)}
        rows.append(row)
        print(
            f"{row['status']:10s} {row['model']}" + (f"  ({row['detail'][:100]})" if row["detail"] else ""), flush=True
        )
    table = pd.DataFrame(rows)
    if args.csv:
        table.to_csv(args.csv, index=False)
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
    bad = table[table["status"].isin(["differs", "crashed"])]
    print(f"differ or crash: {len(bad)}" + "".join(f"\n  {r.model}: {r.detail}" for r in bad.itertuples()))
    refusals = runnable[runnable["status"] == "refused"]
    if len(refusals):
        print("refusals:\n" + "\n".join(f"  {r.model}: {r.detail[:110]}" for r in refusals.itertuples()))
    return 0 if ok and bad.empty else 1


if __name__ == "__main__":
    sys.exit(main())
