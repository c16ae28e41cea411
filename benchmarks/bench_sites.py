"""Benchmark: the model split by site type and place against the unsplit model, measured in one run.

Prints, for ``models/sites/relocation_sites.mdl`` (3 places x 4 site types) and ``models/relocation.mdl``:
the first run in a fresh process with an empty kernel cache (the compile) and with it cached; one run
(``Model.run``, median of ``--loops``, every output back); ``--runs`` runs (``run_batch``, every bounded
parameter varied by a Latin hypercube, the headline outputs kept: provincial, and by site for the split
model). Ratios are split / unsplit, measured in the same process.

    .venv/bin/python benchmarks/bench_sites.py [--runs 10000] [--loops 50]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench_engine import compile_figures, one_run, samples

import sd_model
from sd_model import split

HEADLINES = ["relocated_population", "employment_rate", "urbanization_rate", "equity_income_per_capita", "fiscal_cost"]


def batch(model: sd_model.Model, n: int, outputs: list[str]) -> float:
    frame = samples(model, n, seed=n)
    sd_model.run_batch(frame.iloc[:50], model=model, outputs=outputs, progress=False)
    start = time.perf_counter()
    sd_model.run_batch(frame, model=model, outputs=outputs, progress=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--loops", type=int, default=50)
    args = parser.parse_args()
    figures = {}
    for label, mdl in (("unsplit", sd_model.MODEL_FILE), ("split", split.SPLIT_MDL)):
        model = sd_model.load_model(mdl)
        model.run()  # translated before the compile is timed
        outputs = HEADLINES + [o.name for o in model.outputs if o.vensim_name == "employment rate by site"]
        cold, warm = compile_figures(Path(mdl), "llvm")
        figures[label] = (cold, warm, one_run(model, args.loops, "compiled"), batch(model, args.runs, outputs))
        columns = sum(1 for _ in model.outputs)
        print(f"{label} ({Path(mdl).name}, {columns} outputs): first run {cold:.2f} s compiling, {warm:.2f} s cached; "
              f"one run {figures[label][2] * 1e3:.2f} ms; {args.runs:,} runs {figures[label][3]:.2f} s "
              f"({len(outputs)} outputs kept)")  # fmt: skip
    ratios = [s / u for s, u in zip(figures["split"], figures["unsplit"], strict=True)]
    print("split / unsplit: compile {:.1f}x, cached start {:.1f}x, one run {:.1f}x, batch {:.1f}x".format(*ratios))


if __name__ == "__main__":
    main()
