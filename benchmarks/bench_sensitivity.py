"""Benchmark: Sobol' (all parameters, N=1024, first and total order, four KPIs, every year) and a
Morris screening of all parameters, end to end with all files written, against a reference batch
of 10,000 runs measured in the same process.

    .venv/bin/python benchmarks/bench_sensitivity.py [--n 1024]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

import numpy as np

import sd_model
import sensitivity


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1024)
    args = parser.parse_args()
    table = sd_model.parameters()
    rng = np.random.default_rng(0)
    samples = rng.uniform([p.low for p in table], [p.high for p in table], size=(10_000, len(table)))
    sd_model.run_batch(samples[:100], progress=False)
    start = time.perf_counter()
    sd_model.run_batch(samples, progress=False)
    reference = time.perf_counter() - start
    rows = [("run_batch of 10,000 runs (reference)", reference, 10_000)]
    with tempfile.TemporaryDirectory() as tmp:
        for method, n in (("sobol", args.n), ("morris", None)):
            start = time.perf_counter()
            ds = sensitivity.run_analysis(method, n=n, out=f"{tmp}/{method}", progress=False)
            rows.append(
                (
                    f"{method} end to end (files, charts)",
                    time.perf_counter() - start,
                    json.loads(ds.attrs["manifest"])["runs"],
                )
            )
    print(f"{'what':44s} {'runs':>8s} {'seconds':>9s} {'x reference':>12s}")
    for name, seconds, runs in rows:
        print(f"{name:44s} {runs:8d} {seconds:9.2f} {seconds / reference:12.1f}")
    print("targets: sobol <= 60 s, morris < 10 s")


if __name__ == "__main__":
    main()
