"""Benchmark: the compiled engine (LLVM IR from the trace) against Numba's kernel and the NumPy loop.

Prints, for ``models/relocation.mdl`` (or ``--mdl``):

- the compile: a fresh process with an empty kernel cache (translation cached), the first run
  compiling the kernel; then a fresh process loading it from the disk cache; for each compiler
  (``SD_MODEL_COMPILER``: ``llvm``, the default, and ``numba``);
- one run (``Model.run``, median of ``--loops``) and batches of ``--sizes`` runs (``run_batch``, every
  parameter varied over its bounds by a Latin hypercube, the KPIs kept), compiled and NumPy, each with
  its ratio to the compiled path and the runs per second;
- the peak memory of the largest compiled batch (tracemalloc) and the largest relative difference
  between the two paths on it;
- ``--every-output N``: N runs (default 100,000) keeping every output of the model, compiled: seconds,
  the result's size and the peak memory (tracemalloc: every NumPy array the batch allocates).

    .venv/bin/python benchmarks/bench_engine.py [--sizes 10000,100000] [--loops 200] [--every-output N] [--mdl PATH]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import qmc

import sd_model
from engine import compiled, llvm
from engine.cache import cache_dir
from sd_model.paths import ROOT


def samples(model: sd_model.Model, n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` Latin-hypercube draws of every parameter with a finite range."""
    table = [p for p in model.parameters if np.isfinite(p.low) and np.isfinite(p.high) and p.low < p.high]
    unit = qmc.LatinHypercube(d=len(table), seed=seed).random(n)
    return pd.DataFrame({p.name: p.low + unit[:, j] * (p.high - p.low) for j, p in enumerate(table)})


def first_run_seconds(mdl: Path, cache: Path, compiler: str) -> float:
    """Seconds of a fresh process's first ``Model.run`` with the kernel cache ``cache`` (timed inside)."""
    code = (
        "import time, sd_model\n"
        f"m = sd_model.load_model({str(mdl)!r})\n"
        "t = time.perf_counter(); m.run(); print(time.perf_counter() - t)"
    )
    env = os.environ | {"SD_MODEL_CACHE": str(cache), "SD_MODEL_COMPILER": compiler}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return float(done.stdout.split()[-1])


def compile_figures(mdl: Path, compiler: str) -> tuple[float, float]:
    """(cold first run, warm first run): a copy of the translation cache without kernels, then with."""
    with tempfile.TemporaryDirectory() as folder:
        cache = Path(folder) / "cache"
        shutil.copytree(cache_dir(), cache, ignore=shutil.ignore_patterns(compiled.KERNELS, llvm.OBJECTS))
        return first_run_seconds(mdl, cache, compiler), first_run_seconds(mdl, cache, compiler)


def one_run(model: sd_model.Model, loops: int, engine: str) -> float:
    """Median seconds of one ``Model.run`` with ``SD_MODEL_ENGINE=engine``."""
    os.environ["SD_MODEL_ENGINE"] = engine
    model.run()
    times = []
    for _ in range(loops):
        start = time.perf_counter()
        model.run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def batch(model: sd_model.Model, frame: pd.DataFrame, engine: str):
    """(seconds, result) of one ``run_batch`` of ``frame`` with ``SD_MODEL_ENGINE=engine``."""
    os.environ["SD_MODEL_ENGINE"] = engine
    start = time.perf_counter()
    result = sd_model.run_batch(frame, model=model, progress=False)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mdl", default=str(sd_model.MODEL_FILE))
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--loops", type=int, default=200)
    parser.add_argument("--every-output", type=int, default=100_000, help="runs keeping every output (0: skip)")
    args = parser.parse_args()
    model = sd_model.load_model(args.mdl)
    model.run()  # translated and compiled once before anything is timed
    for compiler in ("llvm", "numba"):
        cold, warm = compile_figures(Path(args.mdl), compiler)
        print(f"{Path(args.mdl).name}, {compiler}: first run in a fresh process {cold:.2f} s compiling the kernel, "
              f"{warm:.2f} s with it cached on disk")  # fmt: skip
    compiled, numpy_loop = one_run(model, args.loops, "compiled"), one_run(model, max(args.loops // 10, 5), "numpy")
    print(f"one run: compiled {compiled * 1e3:.3f} ms, NumPy loop {numpy_loop * 1e3:.2f} ms "
          f"({numpy_loop / compiled:.1f}x the compiled path)")  # fmt: skip
    for n in [int(s) for s in args.sizes.split(",")]:
        frame = samples(model, n, seed=n)
        tracemalloc.start()
        fast, result = batch(model, frame, "compiled")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        slow, reference = batch(model, frame, "numpy")
        worst = max(
            float(np.nanmax(np.abs(result[k] - reference[k]) / np.maximum(np.abs(reference[k]), 1e-300)))
            for k in result.data_vars
        )
        print(f"{n:,} runs: compiled {fast:.3f} s ({n / fast:,.0f} runs/s), NumPy loop {slow:.2f} s "
              f"({slow / fast:.1f}x); peak memory {peak / 2**20:,.0f} MiB; "
              f"largest relative difference {worst:.1e}")  # fmt: skip
    if args.every_output:
        every_output(model, args.every_output)
    os.environ.pop("SD_MODEL_ENGINE", None)


def every_output(model: sd_model.Model, n: int) -> None:
    """``n`` compiled runs keeping every output: seconds, the result's size and the peak memory."""
    frame = samples(model, n, seed=1)
    os.environ["SD_MODEL_ENGINE"] = "compiled"
    tracemalloc.start()
    start = time.perf_counter()
    result = sd_model.run_batch(frame, model=model, outputs=list(model.output_names), progress=False)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    size = sum(v.nbytes for v in result.data_vars.values())
    print(f"{n:,} runs of every output ({len(result.data_vars)}): {seconds:.2f} s; result {size / 2**20:,.0f} MiB, "
          f"peak memory {peak / 2**20:,.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
