"""Benchmark: robustness of named scenarios with PRIM, the robustness of one lever setting, the robust front.

Prints, with a reference batch of 10,000 runs to 2035 measured in the same process:
- the explorer's strip: one lever setting over 500 posterior futures (bands and shares from one batch);
- ``python -m robustness`` for the 8 named scenarios x 4,000 futures, PRIM included;
- with ``--optimize``, ``python -m robustness optimize`` with its defaults, to a converged front.

    .venv/bin/python benchmarks/bench_robustness.py [--optimize]
"""

from __future__ import annotations

import argparse
import statistics
import time

import calibration
import sd_model
from explorer import ensemble
from robustness.report import run_robustness


def seconds(func) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--optimize", action="store_true")
    args = parser.parse_args()
    samples = calibration.posterior_draws(10_000, seed=1)
    reference = min(seconds(lambda: sd_model.run_batch(samples, progress=False)) for _ in range(3))
    print(f"reference: 10,000 runs to 2035 in {reference:.2f} s")
    strip = [seconds(lambda i=i: ensemble.futures_run({"training_coverage": 0.3 + 0.01 * i}, n=500)) for i in range(7)]
    print(
        f"robustness strip, one lever setting x 500 futures: "
        f"median {statistics.median(strip) * 1000:.0f} ms (target 300 ms)"
    )
    total = seconds(lambda: run_robustness(sd_model.scenario_names(), n=4000, seed=0))
    print(
        f"robustness, 8 scenarios x 4,000 futures with PRIM: "
        f"{total:.1f} s = {total / reference:.0f} x reference (target 60 s)"
    )
    if args.optimize:
        from robustness.optimize import optimize

        result = optimize()
        print(
            f"optimize (defaults): {result['seconds']:.0f} s, {result['generations']} generations, "
            f"converged {result['converged']} (target 600 s)"
        )


if __name__ == "__main__":
    main()
