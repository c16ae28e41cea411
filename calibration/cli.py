"""``python -m calibration``: the calibration figures of the default run, or the posterior sampled again."""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from sd_model.cli import add_model_arguments, chosen_model
from sd_model.paths import beside

from .posterior import DEFAULT_PARTICLES, DEFAULT_RUNS, FINAL_STEPS


def _fit(model, calibration_file) -> int:
    """Print how the default run meets each observation (and the urbanization fit of the project's model)."""
    from .fit import WITHIN_SD, calibration_report, urbanization_fit
    from .observations import read_observations

    run = model.run()
    report = calibration_report(run, read_observations(calibration_file, output_names=model.output_names))
    for role, title in (
        ("target", "Targets (fitted by the posterior)"),
        ("holdout", "Holdouts (nothing fitted to them)"),
    ):
        part = report[report.role == role].drop(columns=["role", "miss"])
        print(f"{title}: {int(part.within.sum())} of {len(part)} within {WITHIN_SD:g} sd")
        print(part.to_string(float_format=lambda x: f"{x:,.4g}"), end="\n\n")
    for name, row in report[~report.within & (report.miss != "")].iterrows():
        print(f"{name} is missed ({row.error_pct:+.0f} %): {row.miss}", end="\n\n")
    if "urbanization_rate" in model.output_names and model.time_name == "year":
        fit = urbanization_fit(run)
        print(
            f"Urbanization RMSPE 2016-2022: {fit['census_basis']:.2f} % on the census basis, "
            f"{fit['published']:.2f} % published"
        )
    return 0


def _posterior(args, model, calibration_file) -> int:
    from sd_model.outpaths import writable_folder

    from .observations import read_observations
    from .posterior import calibrate_posterior, posterior_dir
    from .report import write_posterior

    if bool(args.out) == bool(args.bundle):
        raise ValueError("give one of --out DIR and --bundle (which replaces the model's bundled posterior)")
    bundled = posterior_dir(model)
    out = writable_folder(bundled if args.bundle else args.out)
    observations = read_observations(calibration_file, output_names=model.output_names)
    posterior = calibrate_posterior(
        particles=args.particles,
        runs=args.runs,
        seed=args.seed,
        workers=args.workers,
        final_steps=args.final_steps,
        observations=observations,
        model=model,
    )
    print(posterior.convergence_message(), file=sys.stderr)
    if args.bundle and not posterior.converged:
        print(f"not bundled: {bundled} keeps the previous posterior", file=sys.stderr)
        return 1
    write_posterior(posterior, out, observations, model=model)
    print(
        f"wrote the posterior of {len(posterior.names)} parameters ({posterior.seconds:.0f} s of sampling) to {out}",
        file=sys.stderr,
    )
    return 0 if posterior.converged else 1


def cmd_calibrate(args) -> int:
    """Run ``python -m calibration`` with parsed ``args``."""
    if args.readme_table:
        from .posterior import BUNDLED_DIR
        from .report import readme_table

        sys.stdout.write(readme_table(pd.read_csv(BUNDLED_DIR / "parameters.csv", index_col="parameter")))
        return 0
    model = chosen_model(args)
    calibration_file = args.calibration or beside(model.mdl_file, "calibration.toml")
    if args.calibration and args.bundle:
        raise ValueError(
            "--bundle samples the observations of the calibration.toml beside the model; with --calibration give --out"
        )
    if not args.posterior:
        if args.out or args.bundle:
            raise ValueError("--out and --bundle go with --posterior")
        return _fit(model, calibration_file)
    return _posterior(args, model, calibration_file)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m calibration``."""
    p = argparse.ArgumentParser(
        prog="python -m calibration",
        description="print how the default run meets the observations of calibration.toml, or sample the posterior",
    )
    add_model_arguments(p)
    p.add_argument("--calibration", help="the observations (default: calibration.toml beside the model)")
    p.add_argument(
        "--posterior",
        action="store_true",
        help="Bayesian calibration against the observations (sequential Monte Carlo with emcee moves)",
    )
    p.add_argument(
        "--particles", type=int, default=DEFAULT_PARTICLES, help=f"particles per run (default {DEFAULT_PARTICLES})"
    )
    p.add_argument(
        "--runs", type=int, default=DEFAULT_RUNS, help=f"independent runs, compared by R-hat (default {DEFAULT_RUNS})"
    )
    p.add_argument(
        "--final-steps",
        type=int,
        default=FINAL_STEPS,
        dest="final_steps",
        help=f"emcee steps at temperature 1 after the last reweighting (default {FINAL_STEPS})",
    )
    p.add_argument(
        "--workers", type=int, help="processes running the runs side by side (default: runs and cores allow)"
    )
    p.add_argument("--seed", type=int, default=2016)
    p.add_argument("--out", help="folder for the draws, report.md, tables and charts")
    p.add_argument(
        "--bundle",
        action="store_true",
        help="write the model's bundled posterior (data/posterior/ for the project's model, else posterior/ "
        "beside the .mdl), the one the explorer and robustness use, if converged",
    )
    p.add_argument(
        "--readme-table",
        action="store_true",
        dest="readme_table",
        help="print the bundled posterior as the table of models/README.md",
    )
    return p


def main(argv=None) -> int:
    """Entry point; returns the exit status (2 for bad input, with the message on stderr)."""
    args = build_parser().parse_args(argv)
    try:
        return cmd_calibrate(args)
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
