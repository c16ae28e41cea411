"""Benchmark: time to a converged posterior, against emcee alone given the same time.

Prints the wall time of ``calibration.calibrate_posterior`` with its defaults (sequential Monte Carlo,
the particles moved by emcee), its R-hat and ESS, and the time of one reference batch of 10,000 runs
to 2022 measured in the same process (the ratio is what to compare across machines). With
``--emcee`` it then runs emcee's ensemble sampler alone (differential-evolution moves, 8 walkers per
parameter, started from the best prior draws) for the same wall time and prints its R-hat, each
walker a chain: the reason the calibration tempers rather than running one long chain.

    .venv/bin/python benchmarks/bench_posterior.py [--emcee]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.special import logit
from scipy.stats import qmc

import sd_model
from calibration import posterior
from calibration.observations import read_observations


def reference_seconds(model) -> float:
    """One batch of 10,000 prior draws to 2022 (the calibration's horizon), best of three."""
    table = posterior.calibrated_parameters(model)
    samples = qmc.scale(
        qmc.LatinHypercube(d=len(table), seed=0).random(10_000), [p.low for p in table], [p.high for p in table]
    )
    times = []
    for _ in range(3):
        start = time.perf_counter()
        sd_model.run_batch(
            samples, names=[p.name for p in table], outputs=["employment_rate"], final_time=2022, progress=False
        )
        times.append(time.perf_counter() - start)
    return min(times)


def emcee_alone(model, seconds: float, seed: int = 2016) -> tuple[int, float, float]:
    """emcee for ``seconds``: (steps, max R-hat and min bulk ESS over the second half, walkers as chains)."""
    import emcee

    observations = read_observations(output_names=model.output_names)
    informed, _ = posterior.screen(model, observations)
    like = posterior.Likelihood(model, observations, informed)
    d, walkers = len(informed), 8 * len(informed)
    rng = np.random.default_rng(seed)
    candidates = logit(qmc.LatinHypercube(d=d, seed=rng).random(8 * walkers))
    start = candidates[np.argsort(-like.log_likelihood(candidates))[:walkers]]
    sampler = emcee.EnsembleSampler(walkers, d, like.tempered(1.0), moves=posterior._de_moves(), vectorize=True)
    state, began, steps = start, time.perf_counter(), 0
    while time.perf_counter() - began < seconds:
        state = sampler.run_mcmc(state, 50, skip_initial_state_check=True)
        steps += 50
    az = posterior.arviz()
    chain = sampler.get_chain(discard=steps // 2)  # (steps, walkers, d)
    summary = az.summary(az.convert_to_dataset(np.transpose(chain, (1, 0, 2))), kind="diagnostics")
    return steps, float(summary["r_hat"].max()), float(summary["ess_bulk"].min())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emcee", action="store_true", help="also run emcee alone for the same time")
    args = parser.parse_args()
    model = sd_model.default_model()
    reference = reference_seconds(model)
    print(f"reference: 10,000 runs to 2022 in {reference:.2f} s")
    started = time.perf_counter()
    result = posterior.calibrate_posterior(model=model)
    seconds = time.perf_counter() - started
    d = result.diagnostics
    print(
        f"calibrate_posterior (defaults: {result.settings['runs']} runs x {result.settings['particles']} particles, "
        f"{result.settings['workers']} workers): {seconds:.1f} s = {seconds / reference:.0f} x reference; "
        f"{result.settings['model_runs']:,} model runs; "
        f"R-hat max {d['r_hat'].max():.3f}, bulk ESS min {d['ess_bulk'].min():.0f}; "
        f"converged: {result.converged}; target 120 s: {'met' if seconds <= 120 else 'MISSED'}"
    )
    if args.emcee:
        steps, rhat, ess = emcee_alone(model, seconds)
        print(
            f"emcee alone for the same {seconds:.0f} s: {steps} steps of {8 * len(result.names)} walkers; "
            f"R-hat max {rhat:.3f}, bulk ESS min {ess:.0f} (walkers as chains, second half kept)"
        )


if __name__ == "__main__":
    main()
