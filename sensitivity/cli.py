"""``python -m sensitivity METHOD ...``: a thin wrapper of :func:`sensitivity.run_analysis`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sd_model.outpaths import writable_folder

from .methods import METHODS
from .pipeline import run_analysis


def bundle_main(argv) -> int:
    """``python -m sensitivity bundle``: regenerate the results bundled for the explorer."""
    from .bundle import BUNDLE, BUNDLED_DIR, write_bundle

    parser = argparse.ArgumentParser(
        prog="python -m sensitivity bundle",
        description=f"regenerate the bundled results ({', '.join(f'{m} N={n}' for m, n in BUNDLE.items())}) in data/sensitivity/",
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


def _futures_options(parser: argparse.ArgumentParser, n: int, what: str) -> None:
    """--n, --seed and --prior: the futures of a robustness run or a search."""
    parser.add_argument("--n", type=int, default=n, help=f"{what} (default {n})")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--prior", action="store_true", help="futures over the full ranges instead of the posterior (stress test)"
    )


def robustness_main(argv) -> int:
    """``python -m sensitivity robustness``: robustness of named scenarios and where they fail (PRIM)."""
    from .robustness_report import run_robustness
    from .targets import TARGETS_FILE

    parser = argparse.ArgumentParser(
        prog="python -m sensitivity robustness",
        description="share of futures in which each scenario meets the targets of models/targets.toml, regret, cost, "
        "and PRIM boxes of the futures where it misses",
    )
    parser.add_argument("--scenarios", default="all", help="comma-separated scenario names or .toml files (default: all bundled)")
    _futures_options(parser, 4000, "futures")
    parser.add_argument("--targets", default=str(TARGETS_FILE), help="targets file (default models/targets.toml)")
    parser.add_argument("--out", default="robustness_results", help="results folder (default robustness_results)")
    args = parser.parse_args(argv)
    try:
        import sd_model

        if args.n < 10:
            raise ValueError(f"--n must be at least 10 futures, got {args.n}")
        names = (
            sd_model.scenario_names() if args.scenarios == "all" else [s.strip() for s in args.scenarios.split(",") if s.strip()]
        )
        out = writable_folder(args.out)
        table, _ = run_robustness(names, n=args.n, seed=args.seed, prior=args.prior, targets_file=args.targets, out=out)
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    shares = table[table["target"] == "all"].set_index("scenario")["share_met"]
    print("share of futures meeting every target: " + ", ".join(f"{k} {v:.1%}" for k, v in shares.items()))
    print(f"results in {args.out}/ (report.md, robustness.csv, boxes.csv)")
    return 0


def optimize_main(argv) -> int:
    """``python -m sensitivity optimize``: the Pareto front of cost against robustness (NSGA-II)."""
    from .optimize import optimize, write_front
    from .robustness import BUNDLED_FRONT_DIR

    parser = argparse.ArgumentParser(
        prog="python -m sensitivity optimize",
        description="search lever settings for the Pareto front of cumulative fiscal cost against the share of "
        "futures meeting every target (NSGA-II, platypus-opt); writes front.csv, a chart and one scenario per member",
    )
    _futures_options(parser, 200, "futures every candidate is evaluated over")
    parser.add_argument("--population", type=int, default=40)
    parser.add_argument("--generations", type=int, default=200, help="at most this many (default 200)")
    parser.add_argument("--scheduler", help="Dask scheduler address for the model runs")
    parser.add_argument("--out", default="optimize_results", help="results folder (default optimize_results)")
    parser.add_argument(
        "--bundle",
        action="store_true",
        help=f"write to {BUNDLED_FRONT_DIR.relative_to(BUNDLED_FRONT_DIR.parents[1])}/, the front the explorer shows",
    )
    args = parser.parse_args(argv)
    try:
        if args.n < 10 or args.population < 4 or args.generations < 1:
            raise ValueError("--n must be at least 10, --population at least 4 and --generations at least 1")
        out = writable_folder(BUNDLED_FRONT_DIR if args.bundle else args.out)
        kwargs = dict(
            n=args.n, population=args.population, generations=args.generations, seed=args.seed, prior=args.prior, progress=True
        )
        if args.scheduler:
            from distributed import Client

            with Client(args.scheduler) as client:
                result = optimize(client=client, **kwargs)
        else:
            result = optimize(**kwargs)
        write_front(result, out, named_scenarios(args.n, args.seed, args.prior))
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    state = "converged" if result["converged"] else "NOT CONVERGED (raise --generations)"
    print(f"{state} after {result['generations']} generations, {result['seconds']:.0f} s; {len(result['front'])} settings on the front; "
          f"results in {out}/ (front.csv, front.png, scenarios/)")  # fmt: skip
    return 0 if result["converged"] else 1


def named_scenarios(n: int, seed: int, prior: bool):
    """Cost and share of the bundled scenarios over the same futures, to draw beside the front."""
    import sd_model

    from .robustness import robustness

    scenarios = {name: sd_model.load_scenario(name).parameters for name in sd_model.scenario_names()}
    table = robustness(scenarios=scenarios, n=n, seed=seed, prior=prior)
    table = table[table["target"] == "all"].rename(columns={"share_met": "share_all", "scenario": "label"})
    return table[["label", "cost_median", "share_all"]]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sensitivity",
        description="Sensitivity analysis of the relocation model (SALib); `python -m sensitivity bundle` regenerates "
        "the results bundled for the explorer",
    )
    parser.add_argument("method", choices=list(METHODS))
    parser.add_argument("--params", default="all", help="all | levers | uncertainties | history | NAME,NAME,...")
    parser.add_argument(
        "--posterior",
        action="store_true",
        help="sample the bundled posterior instead of the full ranges: what still matters given the data (pawn)",
    )
    parser.add_argument("--outputs", help="comma-separated outputs (default: the four KPIs)")
    parser.add_argument("--years", default="all", help="all | 2025,2030,...")
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
    if argv[:1] == ["robustness"]:
        return robustness_main(argv[1:])
    if argv[:1] == ["optimize"]:
        return optimize_main(argv[1:])
    args = build_parser().parse_args(argv)
    out = Path(args.out or f"sensitivity_results/{args.method}")
    kwargs = dict(params=args.params, outputs=args.outputs.split(",") if args.outputs else None, years=args.years, n=args.n,
                  seed=args.seed, second_order=args.second_order, out=out, resume=args.resume, posterior=args.posterior)  # fmt: skip
    try:
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
            f"note: confidence intervals of {conv['index']} up to {conv['max_ci_width']:.3f} wide (> {conv['target']}); try --n {conv['suggested_n']}"
        )
    return 0
