"""Command line: ``python -m sd_model params|scenarios|run|cost|batch|check|calibrate|loops|sketch``."""

from __future__ import annotations

import argparse
import math
import sys

import pandas as pd

import sd_model

from .calibration import WITHIN_SD, calibration_report, urbanization_fit
from .formatting import format_number
from .outpaths import writable_file
from .posterior import DEFAULT_PARTICLES, DEFAULT_RUNS, FINAL_STEPS


def parse_assignment(text: str) -> tuple[str, float]:
    """Parse ``name=value`` from ``--set``; ``ValueError`` naming the problem."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise ValueError(f"--set expects name=value, got {text!r}")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"--set {name.strip()}: {value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"--set {name.strip()}: {value!r} is not a finite number")
    return name.strip(), number


def markdown_table(frame: pd.DataFrame) -> str:
    """A pipe table of the parameter table for ``models/README.md``."""
    lines = ["| name | kind | default | low | high | units | meaning | source |", "|---|---|---|---|---|---|---|---|"]
    for name, row in frame.iterrows():
        cells = [
            f"`{name}`",
            row["kind"],
            f"{row['default']:g}",
            f"{row['low']:g}",
            f"{row['high']:g}",
            row["units"],
            row["description"],
            row["source"],
        ]
        lines.append("| " + " | ".join(str(c).replace("|", "/") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def cmd_params(args) -> int:
    frame = sd_model.parameter_frame(args.kind)
    if args.format == "csv":
        frame.to_csv(sys.stdout)
    elif args.format == "markdown":
        sys.stdout.write(markdown_table(frame))
    else:
        with pd.option_context("display.width", 200, "display.max_colwidth", 40, "display.max_rows", None):
            print(frame[["kind", "theme", "default", "low", "high", "units", "label_en"]].to_string())
    return 0


def cmd_scenarios(args) -> int:
    for name in sd_model.scenario_names():
        scenario = sd_model.load_scenario(name)
        print(f"{name:24s} {scenario.title_en}")
    return 0


def chosen_model(args) -> sd_model.Model:
    """The model of ``--mdl`` (without metadata: every constant a parameter), or the project's."""
    if not getattr(args, "mdl", None):
        return sd_model.default_model()
    if getattr(args, "scenario", None):
        raise ValueError("--scenario goes with the project's model, not with --mdl; use --set NAME=VALUE")
    return sd_model.load_model(args.mdl)


def cmd_run(args) -> int:
    if args.out:
        writable_file(args.out)
    model = chosen_model(args)
    params = scenario_params(args)
    results = model.run(params, final_time=args.final_time, time_step=args.time_step)
    if args.outputs:
        results = results[model.check_outputs(args.outputs.split(","))]
    if args.out:
        results.to_csv(args.out)
        print(f"wrote {len(results)} saved times x {results.shape[1]} outputs to {args.out}", file=sys.stderr)
    else:
        results.to_csv(sys.stdout)
    return 0


def scenario_params(args) -> dict[str, float]:
    """Parameters of ``--scenario`` with the ``--set`` values over them."""
    params = dict(sd_model.load_scenario(args.scenario).parameters) if args.scenario else {}
    params.update(parse_assignment(item) for item in args.set)
    return params


def cmd_cost(args) -> int:
    if args.out:
        writable_file(args.out)
    params = scenario_params(args)
    effect = sd_model.cost_effectiveness(params)
    table = sd_model.what_a_yuan_buys(params, share=args.share)
    print("against policy unchanged (every lever at its default, the same assumptions):")
    for name, value in effect.items():
        print(f"  {name:40s} {format_number(value):>18s}")
    if args.out:
        table.to_csv(args.out)
        print(f"wrote what a yuan buys through {len(table)} levers to {args.out}", file=sys.stderr)
    else:
        print(f"\nwhat a yuan buys, each lever moved alone by {args.share:g} of its range:")
        with pd.option_context("display.width", 250, "display.max_columns", None, "display.float_format", format_number):
            print(table.to_string())
    return 0


def cmd_calibrate(args) -> int:
    if args.readme_table:
        from .posterior import BUNDLED_DIR
        from .posterior_report import readme_table

        sys.stdout.write(readme_table(pd.read_csv(BUNDLED_DIR / "parameters.csv", index_col="parameter")))
        return 0
    if not args.posterior:
        if args.out or args.bundle:
            raise ValueError("--out and --bundle go with --posterior")
        run = sd_model.run()
        report = calibration_report(run)
        for role, title in (("target", "Targets (fitted by the posterior)"), ("holdout", "Holdouts (nothing fitted to them)")):
            part = report[report.role == role].drop(columns=["role", "miss"])
            print(f"{title}: {int(part.within.sum())} of {len(part)} within {WITHIN_SD:g} sd")
            print(part.to_string(float_format=lambda x: f"{x:,.4g}"), end="\n\n")
        for name, row in report[~report.within & (report.miss != "")].iterrows():
            print(f"{name} is missed ({row.error_pct:+.0f} %): {row.miss}", end="\n\n")
        fit = urbanization_fit(run)
        print(
            f"Urbanization RMSPE 2016-2022: {fit['census_basis']:.2f} % on the census basis, {fit['published']:.2f} % published"
        )
        return 0
    from .observations import read_observations
    from .outpaths import writable_folder
    from .posterior import BUNDLED_DIR, calibrate_posterior
    from .posterior_report import write_posterior

    if bool(args.out) == bool(args.bundle):
        raise ValueError("give one of --out DIR and --bundle (which replaces data/posterior/)")
    out = writable_folder(BUNDLED_DIR if args.bundle else args.out)
    model = sd_model.default_model()
    observations = read_observations(output_names=model.output_names)
    posterior = calibrate_posterior(particles=args.particles, runs=args.runs, seed=args.seed, workers=args.workers,
                                    final_steps=args.final_steps, observations=observations, model=model)  # fmt: skip
    print(posterior.convergence_message(), file=sys.stderr)
    if args.bundle and not posterior.converged:
        print(f"not bundled: {BUNDLED_DIR} keeps the previous posterior", file=sys.stderr)
        return 1
    write_posterior(posterior, out, observations, model=model)
    print(
        f"wrote the posterior of {len(posterior.names)} parameters ({posterior.seconds:.0f} s of sampling) to {out}",
        file=sys.stderr,
    )
    return 0 if posterior.converged else 1


def cmd_loops(args) -> int:
    from .loop_dominance import dominant_periods, loop_scores, loops_of_output, name_scores, read_loop_table, read_periods
    from .structure import structure
    from .words import loop_sentence

    if args.out:
        writable_file(args.out)
    model = sd_model.default_model()
    params = scenario_params(args)
    outputs = model.check_outputs([args.output] if args.output else list(sd_model.KPIS))
    scores, variables = loop_scores(params, model=model)
    graph = structure(model.mdl_file)
    table, story = read_loop_table(), read_periods()
    labels = {entry.name: entry.label_en for entry in table}
    scores.insert(2, "label", scores["name"].map(labels).fillna(""))
    if args.output:
        scores = scores[scores["loop"].isin(loops_of_output(args.output, variables, model, graph))]
    for output in outputs:
        periods = dominant_periods(name_scores(scores, loops_of_output(output, variables, model, graph)), story)
        print(f"{output}: {loop_sentence(periods, table)}", file=sys.stderr)
    if args.out:
        scores.to_csv(args.out, index=False)
        print(f"wrote {scores['loop'].nunique()} loops x {scores['year'].nunique()} years to {args.out}", file=sys.stderr)
    else:
        scores.to_csv(sys.stdout, index=False)
    return 0


def cmd_batch(args) -> int:
    from .batch import read_samples, run_batch

    samples = read_samples(args.samples)
    outputs = args.outputs.split(",") if args.outputs else None
    if not args.out.endswith((".nc", ".csv")):
        raise ValueError(f"--out must end in .nc or .csv, got {args.out!r}")
    writable_file(args.out)
    model = chosen_model(args)
    kwargs = dict(outputs=outputs, final_time=args.final_time, time_step=args.time_step, chunk_size=args.chunk_size, model=model)
    if args.scheduler:
        from distributed import Client

        with Client(args.scheduler) as client:
            results = run_batch(samples, client=client, **kwargs)
    else:
        results = run_batch(samples, **kwargs)
    if args.out.endswith(".nc"):
        results.to_netcdf(args.out)
    else:
        results.to_dataframe().to_csv(args.out)
    print(f"wrote {results.sizes['run']} runs x {results.sizes[model.time_name]} saved times to {args.out}", file=sys.stderr)
    return 0


def cmd_check(args) -> int:
    from .check import check_model

    worst = 0
    for path in args.mdl:
        check = check_model(path)
        kind = "subscripted" if check.subscripted else "scalar" if check.subscripted is False else "?"
        print(
            f"{check.status:10s} {kind:11s} {check.columns:5d} columns  {path}"
            + (f"\n    {check.detail}" if check.detail else "")
        )
        worst = max(worst, {"equal": 0, "refused": 0, "differs": 1, "pysd-fails": 2}[check.status])
    return worst  # 2: a file that is not a model PySD runs (bad input), 1: the engine differs (a bug)


def cmd_sketch(args) -> int:
    from pathlib import Path

    from .paths import MODEL_FILE
    from .sketch import generate_sketch, read_sketch, write_sketch

    mdl = Path(args.mdl) if args.mdl else MODEL_FILE
    if not mdl.is_file():
        raise ValueError(f"{mdl}: no such model file")
    if not args.write:
        sys.stdout.write(generate_sketch(mdl))
        return 0
    write_sketch(mdl)
    views = read_sketch(mdl)
    print(f"wrote {len(views)} views to {mdl}: " + ", ".join(v.title for v in views), file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m sd_model``."""
    parser = argparse.ArgumentParser(prog="python -m sd_model", description="Guangxi relocation system-dynamics model")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("params", help="print the parameter table")
    p.add_argument("--kind", choices=sd_model.KINDS)
    p.add_argument("--format", choices=("table", "csv", "markdown"), default="table")
    p.set_defaults(func=cmd_params)
    p = sub.add_parser("scenarios", help="list the bundled scenarios")
    p.set_defaults(func=cmd_scenarios)
    p = sub.add_parser("run", help="run the model and write one row per year as CSV")
    p.add_argument("--scenario", help="bundled scenario name or path to a scenario .toml")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="set a parameter (repeatable)")
    p.add_argument("--outputs", help="comma-separated output columns (default: all)")
    p.add_argument("--final-time", type=int, dest="final_time")
    p.add_argument("--time-step", type=float, dest="time_step")
    p.add_argument("--out", help="CSV file to write (default: stdout)")
    p.add_argument("--mdl", help="another Vensim model: every constant a parameter, every variable an output")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("cost", help="fiscal cost against policy unchanged, and what a yuan buys through each lever")
    p.add_argument("--scenario", help="bundled scenario name or path to a scenario .toml")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="set a parameter (repeatable)")
    p.add_argument("--share", type=float, default=0.1, help="how far each lever moves, as a share of its range (default 0.1)")
    p.add_argument("--out", help="CSV file for the per-lever table (default: print it)")
    p.set_defaults(func=cmd_cost)
    p = sub.add_parser("batch", help="run many parameter sets (one CSV row each) with the vectorised engine")
    p.add_argument("--samples", required=True, help="CSV with one column per parameter name, one row per run")
    p.add_argument("--outputs", help="comma-separated outputs (default: the four KPIs)")
    p.add_argument("--scheduler", help="address of a Dask scheduler, e.g. tcp://127.0.0.1:8786")
    p.add_argument("--chunk-size", type=int, dest="chunk_size")
    p.add_argument("--final-time", type=int, dest="final_time")
    p.add_argument("--time-step", type=float, dest="time_step")
    p.add_argument("--out", required=True, help="results.nc (NetCDF) or results.csv (one row per run and year)")
    p.add_argument("--mdl", help="another Vensim model: every constant a parameter, every variable an output")
    p.set_defaults(func=cmd_batch)
    p = sub.add_parser(
        "check",
        help="does the fast engine give PySD's numbers on a model? (equal, refused, differs; exits 1 when one differs, 2 when PySD cannot run one)",
    )
    p.add_argument("--mdl", nargs="+", required=True, help="Vensim model files")
    p.set_defaults(func=cmd_check)
    p = sub.add_parser("calibrate", help="print the calibration figures of the default run, or sample the posterior")
    p.add_argument(
        "--posterior",
        action="store_true",
        help="Bayesian calibration against models/calibration.toml (sequential Monte Carlo with emcee moves)",
    )
    p.add_argument("--particles", type=int, default=DEFAULT_PARTICLES, help=f"particles per run (default {DEFAULT_PARTICLES})")
    p.add_argument("--runs", type=int, default=DEFAULT_RUNS, help=f"independent runs, compared by R-hat (default {DEFAULT_RUNS})")
    p.add_argument("--final-steps", type=int, default=FINAL_STEPS, dest="final_steps",
                   help=f"emcee steps at temperature 1 after the last reweighting (default {FINAL_STEPS})")  # fmt: skip
    p.add_argument("--workers", type=int, help="processes running the runs side by side (default: runs and cores allow)")
    p.add_argument("--seed", type=int, default=2016)
    p.add_argument("--out", help="folder for the draws, report.md, tables and charts")
    p.add_argument(
        "--bundle", action="store_true", help="write to data/posterior/ (the posterior the explorer uses), if converged"
    )
    p.add_argument("--readme-table", action="store_true", dest="readme_table",
                   help="print the bundled posterior as the table of models/README.md")  # fmt: skip
    p.set_defaults(func=cmd_calibrate)
    p = sub.add_parser("loops", help="loop dominance (pysimlin's Loops that Matter), named by models/loops.toml")
    p.add_argument("--scenario", help="bundled scenario name or path to a scenario .toml")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="set a parameter (repeatable)")
    p.add_argument("--output", help="only the loops that drive this output (default: all loops; dominance of every KPI)")
    p.add_argument("--out", help="CSV file (default: stdout)")
    p.set_defaults(func=cmd_loops)
    p = sub.add_parser("sketch", help="generate the Vensim diagram views (one per sector) from the equations")
    p.add_argument("--mdl", help="model file (default: models/relocation.mdl)")
    p.add_argument("--write", action="store_true", help="replace the sketch section of the file (default: print it)")
    p.set_defaults(func=cmd_sketch)
    return parser


def main(argv=None) -> int:
    """Entry point; returns the exit status (2 for bad input, with the message on stderr)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, OSError) as err:  # OSError: an output that became unwritable while running
        print(f"error: {err}", file=sys.stderr)
        return 2
