"""Benchmark: runs per second of sd_model.run, plain PySD and run_batch, measured in one run.

Prints absolute figures and ratios against the plain PySD loop measured in the same process, the
peak memory of the largest batch (tracemalloc) and the largest relative difference between
run_batch and sd_model.run on a sample.

    .venv/bin/python benchmarks/bench_batch.py [--sizes 1000,10000,100000] [--loops 20]
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
import warnings

import numpy as np
import pysd
from scipy.stats import qmc

import sd_model


def lhs(n: int, seed: int = 0) -> np.ndarray:
    table = sd_model.parameters()
    return qmc.scale(
        qmc.LatinHypercube(d=len(table), seed=seed).random(n), [p.low for p in table], [p.high for p in table]
    )


def timed(func, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--loops", type=int, default=20, help="runs in the sd_model.run and PySD loops")
    args = parser.parse_args()
    model = sd_model.default_model()
    names = [p.name for p in model.parameters]
    samples = lhs(args.loops, seed=1)
    params = [dict(zip(names, row, strict=True)) for row in samples]

    # Plain PySD on the same translation: its own loop and xarray lookups, full parameter dict each run.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = pysd.load(str(model.py_file))
        py_params = [{model.py_names[model.parameter_table[k].vensim_name]: v for k, v in p.items()} for p in params]
        columns = [o.vensim_name for o in model.outputs[:4]]
        plain.run(params=py_params[0], return_columns=columns)
        it = iter(py_params * 2)
        pysd_times = timed(lambda: plain.run(params=next(it), return_columns=columns), len(py_params))
    pysd_rate = 1 / statistics.median(pysd_times)

    sd_model.run()
    it = iter(params * 2)
    run_times = timed(lambda: sd_model.run(next(it)), len(params))
    run_rate = 1 / statistics.median(run_times)

    print(f"{'path':34s} {'runs':>8s} {'seconds':>9s} {'runs/s':>11s} {'x plain PySD':>13s}")
    print(
        f"{'plain pysd loop (median run)':34s} {len(params):8d} "
        f"{statistics.median(pysd_times):9.4f} {pysd_rate:11.1f} {1:13.1f}"
    )
    it = iter(params * 2)
    ref_times = timed(lambda: model.run_pysd(next(it)), len(params))
    ref_rate = 1 / statistics.median(ref_times)
    print(
        f"{'Model.run_pysd loop (PySD stepping)':34s} {len(params):8d} "
        f"{statistics.median(ref_times):9.4f} {ref_rate:11.1f} {ref_rate / pysd_rate:13.1f}"
    )
    print(
        f"{'sd_model.run loop (median run)':34s} {len(params):8d} "
        f"{statistics.median(run_times):9.4f} {run_rate:11.1f} {run_rate / pysd_rate:13.1f}"
    )
    sd_model.run_batch(lhs(100), progress=False)  # warm the engine
    peak = 0
    for size in (int(s) for s in args.sizes.split(",")):
        batch = lhs(size, seed=2)
        start = time.perf_counter()
        sd_model.run_batch(batch, progress=False)
        seconds = time.perf_counter() - start
        tracemalloc.start()  # a second, untimed pass: tracing allocations slows the run several times
        sd_model.run_batch(batch, progress=False)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rate = size / seconds
        print(
            f"{'run_batch':34s} {size:8d} {seconds:9.3f} {rate:11.0f} {rate / pysd_rate:13.0f}"
            f"   peak {peak / 2**20:.0f} MiB"
        )

    check = sd_model.run_batch(samples, outputs=model.output_names, progress=False)
    worst = 0.0
    for i, p in enumerate(params):
        frame = model.run_pysd(p)
        for output in model.output_names:
            a, b = check[output].values[i], frame[output].to_numpy()
            worst = max(worst, float(np.max(np.abs(a - b) / np.maximum(np.abs(b), np.finfo(float).tiny))))
    print(f"sd_model.run median: {statistics.median(run_times) * 1000:.1f} ms (target 20 ms)")
    print(
        f"largest relative difference run_batch vs PySD's own loop (Model.run_pysd) over {len(params)} runs "
        f"x {len(model.output_names)} outputs: {worst:.3g}"
    )


if __name__ == "__main__":
    main()
