"""``python -m sensitivity METHOD ...``: a thin wrapper of :func:`sensitivity.run_analysis`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sd_model.cli import add_model_arguments, chosen_model
from sd_model.outpaths import writable_folder

from .methods import METHODS
from .pipeline import run_analysis


def bundle_main(argv) -> int:
    """``python -m sensitivity bundle``: regenerate the results bundled for the explorer."""
    from .bundle import BUNDLE, BUNDLED_DIR, write_bundle

    parser = argparse.ArgumentParser(
        prog="python -m sensitivity bundle",
        description="regenerate the bundled results "
        f"({', '.join(f'{m} N={n}' for m, n in BUNDLE.items())}) in data/sensitivity/",
    )
    parser.add_argument("--out", default=str(BUNDLED_DIR), help="folder (default data/sensitivity)")
    args = parser.parse_args(argv)
    try:
        folder = writable_folder(args.out)
        for target in write_bundle(folder):
            print(f"wrote {target}")
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sensitivity",
        description="Sensitivity analysis of a model (SALib; the project's relocation model by default); "
        "`python -m sensitivity bundle` regenerates the results bundled for the explorer",
    )
    add_model_arguments(parser)
    parser.add_argument("method", choices=list(METHODS))
    parser.add_argument("--params", default="all", help="all | levers | uncertainties | history | NAME,NAME,...")
    parser.add_argument(
        "--posterior",
        action="store_true",
        help="sample the bundled posterior instead of the full ranges: what still matters given the data (pawn)",
    )
    parser.add_argument("--outputs", help="comma-separated outputs (default: the model's KPIs, or every output)")
    parser.add_argument("--years", default="all", help="all | 2025,2030,... (saved times of the model)")
    parser.add_argument("--n", type=int, help="base sample size (Sobol: a power of two)")
    parser.add_argument("--seed", type=int, default=20161231)
    parser.add_argument("--second-order", action="store_true", help="Sobol second-order indices")
    parser.add_argument("--scheduler", help="Dask scheduler address for the model runs")
    parser.add_argument("--out", help="results folder (default sensitivity_results/METHOD)")
    parser.add_argument("--resume", action="store_true", help="reuse the chunks an interrupted run saved in --out")
    return parser


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bundle"]:
        return bundle_main(argv[1:])
    args = build_parser().parse_args(argv)
    out = Path(args.out or f"sensitivity_results/{args.method}")
    kwargs = dict(
        params=args.params,
        outputs=args.outputs.split(",") if args.outputs else None,
        years=args.years,
        n=args.n,
        seed=args.seed,
        second_order=args.second_order,
        out=out,
        resume=args.resume,
        posterior=args.posterior,
    )
    try:
        kwargs["model"] = chosen_model(args)
        writable_folder(out)
        if args.scheduler:
            from distributed import Client

            with Client(args.scheduler) as client:
                indices = run_analysis(args.method, client=client, **kwargs)
        else:
            indices = run_analysis(args.method, **kwargs)
    except (ValueError, OSError) as err:  # OSError: an output that became unwritable while running
        print(f"error: {err}", file=sys.stderr)
        return 2
    info = json.loads(indices.attrs["manifest"])
    conv = info["convergence"]
    print(f"{args.method}: {info['runs']:,} runs in {info['seconds_total']:.1f} s; results in {out}/ (report.md)")
    if conv.get("assessed") and not conv["converged"]:
        print(
            f"note: confidence intervals of {conv['index']} up to {conv['max_ci_width']:.3f} wide "
            f"(> {conv['target']}); try --n {conv['suggested_n']}"
        )
    return 0
