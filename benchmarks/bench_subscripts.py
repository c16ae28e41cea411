"""Speed of the engine on a subscripted model: ``tests/models/ten_counties.mdl`` (10 counties).

Prints the time of 10,000 runs in one batch (issue 15's target: at most 2 s), against PySD's own
loop for one run of the same model and the project's model's 10,000-run batch, measured in the
same session (ratios, since machines are noisy). Every ranged parameter, each county's training
coverage among them, varies across the runs.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

import sd_model
from sd_model.paths import ROOT

RUNS = 10_000


def best_of(function, repeat: int = 3) -> float:
    """Best wall time of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    model = sd_model.Model(ROOT / "tests" / "models" / "ten_counties.mdl")
    ranged = [p for p in model.parameters if np.isfinite(p.low) and np.isfinite(p.high)]
    rng = np.random.default_rng(0)
    samples = pd.DataFrame({p.name: rng.uniform(p.low, p.high, RUNS) for p in ranged})
    outputs = ["total_employed", "lowest_employment_rate"] + [f"employment_rate[c{i}]" for i in range(1, 11)]
    sd_model.run_batch(samples.iloc[:10], model=model, outputs=outputs, progress=False)  # generate and compile once
    batch = best_of(lambda: sd_model.run_batch(samples, model=model, outputs=outputs, progress=False))
    pysd_one = best_of(model.run_pysd)
    project = sd_model.default_model()
    project_samples = pd.DataFrame({p.name: rng.uniform(p.low, p.high, RUNS) for p in project.parameters})
    sd_model.run_batch(project_samples.iloc[:10], progress=False)
    project_batch = best_of(lambda: sd_model.run_batch(project_samples, progress=False))
    print(f"ten_counties.mdl: {len(ranged)} parameters, {len(model.output_names)} columns, 10 elements")
    print(f"  {RUNS:,} runs in one batch: {batch:.2f} s (target <= 2 s)")
    print(
        f"  PySD's loop, one run:      {pysd_one * 1000:.1f} ms; "
        f"the batch is {pysd_one * RUNS / batch:,.0f} x {RUNS:,} of them"
    )
    print(f"  the project's model, {RUNS:,} runs: {project_batch:.2f} s; ratio {batch / project_batch:.2f}")


if __name__ == "__main__":
    main()
