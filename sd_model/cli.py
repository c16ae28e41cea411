"""Command line: ``python -m sd_model params|scenarios|run|cost|batch|check|loops|sketch``."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import pandas as pd

import sd_model

from .formatting import format_number
from .outpaths import writable_file


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
    model = chosen_model(args)
    frame = pd.DataFrame([vars(p) for p in model.parameters if args.kind is None or p.kind == args.kind]).set_index(
        "name"
    )
    if args.format == "csv":
        frame.to_csv(sys.stdout)
    elif args.format == "markdown":
        sys.stdout.write(markdown_table(frame))
    else:
        with pd.option_context("display.width", 200, "display.max_colwidth", 40, "display.max_rows", None):
            print(frame[["kind", "theme", "default", "low", "high", "units", "label_en"]].to_string())
    return 0


def cmd_scenarios(args) -> int:
    model = chosen_model(args)
    for name in sd_model.scenario_names(model):
        scenario = sd_model.load_scenario(name, model)
        print(f"{name:24s} {scenario.title_en}")
    return 0


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """``--mdl`` and ``--metadata``: the model a command works on (every entry point takes them)."""
    parser.add_argument(
        "--mdl",
        help="a Vensim model (default models/relocation.mdl); its metadata is the model.toml "
        "beside it, if any, else every constant is a parameter and every variable an output",
    )
    parser.add_argument("--metadata", help="the model's metadata (default: model.toml beside --mdl, if there is one)")


def chosen_model(args) -> sd_model.Model:
    """The model of ``--mdl`` (with ``--metadata``, or the ``model.toml`` beside it), or the project's."""
    if getattr(args, "metadata", None) and not getattr(args, "mdl", None):
        raise ValueError("--metadata goes with --mdl")
    if not getattr(args, "mdl", None):
        return sd_model.default_model()
    return sd_model.load_model(args.mdl, args.metadata)


def cmd_run(args) -> int:
    if args.out:
        writable_file(args.out)
    model = chosen_model(args)
    params = scenario_params(args, model)
    results = model.run(params, final_time=args.final_time, time_step=args.time_step)
    if args.outputs:
        results = results[model.check_outputs(args.outputs.split(","))]
    if args.out:
        results.to_csv(args.out)
        print(f"wrote {len(results)} saved times x {results.shape[1]} outputs to {args.out}", file=sys.stderr)
    else:
        results.to_csv(sys.stdout)
    return 0


def scenario_params(args, model: sd_model.Model | None = None) -> dict[str, float]:
    """Parameters of ``--scenario`` (of the model's scenarios/ folder, or a file) with ``--set`` values over them."""
    params = dict(sd_model.load_scenario(args.scenario, model).parameters) if args.scenario else {}
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
        with pd.option_context(
            "display.width", 250, "display.max_columns", None, "display.float_format", format_number
        ):
            print(table.to_string())
    return 0


def cmd_loops(args) -> int:
    from diagrams.structure import structure

    from .loop_dominance import (
        dominant_periods,
        loop_scores,
        loops_file,
        loops_of_output,
        model_loop_table,
        name_scores,
        read_periods,
    )
    from .words import loop_sentence

    if args.out:
        writable_file(args.out)
    model = chosen_model(args)
    params = scenario_params(args, model)
    outputs = model.check_outputs([args.output] if args.output else list(model.kpis))
    scores, variables = loop_scores(params, model=model)
    graph = structure(model.mdl_file)
    table = model_loop_table(model)
    labels = {entry.name: entry.label_en for entry in table}
    scores.insert(2, "label", scores["name"].map(labels).fillna(""))
    if args.output:
        scores = scores[scores["loop"].isin(loops_of_output(args.output, variables, model, graph))]
    if table:  # the story of the named loops over the periods of loops.toml
        story = read_periods(loops_file(model))
        for output in outputs:
            periods = dominant_periods(name_scores(scores, loops_of_output(output, variables, model, graph)), story)
            print(f"{output}: {loop_sentence(periods, table)}", file=sys.stderr)
    if args.out:
        scores.to_csv(args.out, index=False)
        print(
            f"wrote {scores['loop'].nunique()} loops x {scores[model.time_name].nunique()} saved times to {args.out}",
            file=sys.stderr,
        )
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
    kwargs = dict(
        outputs=outputs, final_time=args.final_time, time_step=args.time_step, chunk_size=args.chunk_size, model=model
    )
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
    print(
        f"wrote {results.sizes['run']} runs x {results.sizes[model.time_name]} saved times to {args.out}",
        file=sys.stderr,
    )
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
            + (f"\n    not compiled: {check.compiled}" if check.compiled not in ("", "yes") else "")
        )
        worst = max(worst, {"equal": 0, "refused": 0, "differs": 1, "pysd-fails": 2}[check.status])
    return worst  # 2: a file that is not a model PySD runs (bad input), 1: the engine differs (a bug)


def cmd_sketch(args) -> int:
    from pathlib import Path

    from diagrams.sketch import generate_sketch, read_sketch, write_sketch

    from .paths import MODEL_FILE

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


def cmd_places(args) -> int:
    from .places import PLACES_FILE, read_places

    places = read_places(args.places or PLACES_FILE)  # PlaceFileError (a ValueError): one line, exit 2
    shown = places[["name_en", "name_zh", "people_relocated", "income_per_person"]]
    sys.stdout.write(shown.to_string(float_format=lambda v: f"{v:,.0f}") + "\n")
    print(f"{len(places)} places, {places['people_relocated'].sum():,.0f} people relocated in all")
    return 0


def cmd_split(args) -> int:
    from . import split

    out = args.out or (split.SPLIT_MDL if not args.places else Path(args.places).with_suffix("").name + "_sites.mdl")
    path = split.write_split(args.places or split.PLACES_FILE, out)  # PlaceFileError, SplitError: one line, exit 2
    print(f"wrote {path}", file=sys.stderr)
    if args.run:
        table = split.summary(sd_model.load_model(path), args.year)
        sys.stdout.write(table.to_string(float_format=lambda v: f"{v:,.3f}" if abs(v) < 10 else f"{v:,.0f}") + "\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m sd_model``."""
    parser = argparse.ArgumentParser(prog="python -m sd_model", description="Guangxi relocation system-dynamics model")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("params", help="print the parameter table")
    p.add_argument("--kind", choices=sd_model.KINDS)
    p.add_argument("--format", choices=("table", "csv", "markdown"), default="table")
    add_model_arguments(p)
    p.set_defaults(func=cmd_params)
    p = sub.add_parser("scenarios", help="list the named scenarios (scenarios/ beside the model)")
    add_model_arguments(p)
    p.set_defaults(func=cmd_scenarios)
    p = sub.add_parser("run", help="run the model and write one row per year as CSV")
    p.add_argument("--scenario", help="bundled scenario name or path to a scenario .toml")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="set a parameter (repeatable)")
    p.add_argument("--outputs", help="comma-separated output columns (default: all)")
    p.add_argument("--final-time", type=int, dest="final_time")
    p.add_argument("--time-step", type=float, dest="time_step")
    p.add_argument("--out", help="CSV file to write (default: stdout)")
    add_model_arguments(p)
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("cost", help="fiscal cost against policy unchanged, and what a yuan buys through each lever")
    p.add_argument("--scenario", help="bundled scenario name or path to a scenario .toml")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="set a parameter (repeatable)")
    p.add_argument(
        "--share", type=float, default=0.1, help="how far each lever moves, as a share of its range (default 0.1)"
    )
    p.add_argument("--out", help="CSV file for the per-lever table (default: print it)")
    p.set_defaults(func=cmd_cost)
    p = sub.add_parser("batch", help="run many parameter sets (one CSV row each) with the vectorised engine")
    p.add_argument("--samples", required=True, help="CSV with one column per parameter name, one row per run")
    p.add_argument("--outputs", help="comma-separated outputs (default: the model's KPIs, or every output)")
    p.add_argument("--scheduler", help="address of a Dask scheduler, e.g. tcp://127.0.0.1:8786")
    p.add_argument("--chunk-size", type=int, dest="chunk_size")
    p.add_argument("--final-time", type=int, dest="final_time")
    p.add_argument("--time-step", type=float, dest="time_step")
    p.add_argument("--out", required=True, help="results.nc (NetCDF) or results.csv (one row per run and year)")
    add_model_arguments(p)
    p.set_defaults(func=cmd_batch)
    p = sub.add_parser(
        "check",
        help="does the fast engine give PySD's numbers on a model? "
        "(equal, refused, differs; exits 1 when one differs, 2 when PySD cannot run one)",
    )
    p.add_argument("--mdl", nargs="+", required=True, help="Vensim model files")
    p.set_defaults(func=cmd_check)
    p = sub.add_parser("loops", help="loop dominance (pysimlin's Loops that Matter), named by models/loops.toml")
    p.add_argument("--scenario", help="bundled scenario name or path to a scenario .toml")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="set a parameter (repeatable)")
    p.add_argument(
        "--output", help="only the loops that drive this output (default: all loops; dominance of every KPI)"
    )
    p.add_argument("--out", help="CSV file (default: stdout)")
    add_model_arguments(p)
    p.set_defaults(func=cmd_loops)
    p = sub.add_parser("places", help="check a place file (data/places/guangxi.csv by default) and show it")
    p.add_argument("--places", help="CSV of places, one row each (columns: data/places/README.md)")
    p.set_defaults(func=cmd_places)
    p = sub.add_parser("split", help="write the model split by site type and place (models/sites.toml, a place file)")
    p.add_argument("--places", help="CSV of places (default data/places/guangxi.csv)")
    p.add_argument("--out", help="model to write (default models/sites/relocation_sites.mdl, or <places>_sites.mdl)")
    p.add_argument("--run", action="store_true", help="run it and print the outputs by place and site type")
    p.add_argument("--year", type=float, help="the year shown by --run (default FINAL TIME)")
    p.set_defaults(func=cmd_split)
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
