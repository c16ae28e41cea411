"""Simulation-based calibration (Talts et al. 2018) of the posterior calibration.

Each replication draws "true" parameters from the prior (uniform over the bounds), simulates the
targets with the stated observation errors, calibrates, and records the rank of each true value
among the posterior draws. With a correct sampler the ranks are uniform and the 50 % and 90 %
intervals hold the truth at those rates. Prints coverage per interval, a chi-square test of the
ranks (10 bins, pooled over parameters) and the time.

    .venv/bin/python benchmarks/sbc_posterior.py [--replications 10] [--particles 500] [--runs 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import stats

import sd_model
from calibration import posterior
from calibration.observations import model_values, needed_outputs, read_observations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--particles", type=int, default=500)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    model = sd_model.default_model()
    observations = read_observations(output_names=model.output_names)
    targets = [o for o in observations if o.role == "target"]
    sd = np.array([o.sd for o in targets])
    table = posterior.calibrated_parameters(model)
    rng = np.random.default_rng(args.seed)
    ranks, in50, in90 = [], [], []
    started = time.perf_counter()
    for r in range(args.replications):
        truth = {p.name: rng.uniform(p.low, p.high) for p in table}
        frame = sd_model.run_batch(
            [list(truth.values())],
            names=list(truth),
            outputs=needed_outputs(targets),
            final_time=2022,
            progress=False,
            model=model,
        )
        synthetic = model_values(frame, targets)[0] + rng.standard_normal(len(targets)) * sd
        fitted = posterior.calibrate_posterior(
            particles=args.particles,
            runs=args.runs,
            seed=args.seed * 1000 + r,
            values=synthetic,
            model=model,
            observations=observations,
        )
        draws = fitted.draws()
        for name in fitted.names:
            x = draws[name].to_numpy()
            ranks.append(np.mean(x < truth[name]))
            q = np.quantile(x, [0.05, 0.25, 0.75, 0.95])
            in90.append(q[0] <= truth[name] <= q[3])
            in50.append(q[1] <= truth[name] <= q[2])
        print(
            f"replication {r + 1}: R-hat max {fitted.diagnostics['r_hat'].max():.3f}, converged {fitted.converged}, "
            f"{fitted.seconds:.0f} s",
            flush=True,
        )
    counts = np.histogram(ranks, bins=10, range=(0, 1))[0]
    chi2 = stats.chisquare(counts)
    print(f"{args.replications} replications, {len(ranks)} parameter ranks, {time.perf_counter() - started:.0f} s")
    print(f"coverage: 50 % intervals {np.mean(in50):.3f}, 90 % intervals {np.mean(in90):.3f}")
    print(
        f"rank histogram (10 bins): {counts.tolist()}; chi-square p = {chi2.pvalue:.3f} "
        "(ranks pooled; parameters of one "
        "replication are dependent, so read p as indicative)"
    )


if __name__ == "__main__":
    main()
