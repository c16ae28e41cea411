"""``python -m robustness`` (compare scenarios over futures, PRIM) and ``python -m robustness optimize``
(the robust front)."""

from __future__ import annotations

import argparse
import sys

import sd_model
from sd_model.cli import add_model_arguments, chosen_model
from sd_model.outpaths import writable_folder


def _futures_options(parser: argparse.ArgumentParser, n: int, what: str) -> None:
    """--mdl, --metadata, --targets, --n, --seed and --prior: the model, its targets and the futures."""
    add_model_arguments(parser)
    parser.add_argument("--targets", help="targets file (default: targets.toml beside the model, models/targets.toml)")
    parser.add_argument("--n", type=int, default=n, help=f"{what} (default {n})")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--prior", action="store_true", help="futures over the full ranges instead of the posterior (stress test)"
    )


def robustness_main(argv) -> int:
    """``python -m robustness``: robustness of named scenarios and where they fail (PRIM)."""
    from .report import run_robustness

    parser = argparse.ArgumentParser(
        prog="python -m robustness",
        description="share of futures in which each scenario meets the targets of the targets file, regret, cost, "
        "and PRIM boxes of the futures where it misses; `python -m robustness optimize` searches the robust front",
    )
    parser.add_argument(
        "--scenarios",
        default="all",
        help="comma-separated scenario names or .toml files (default: all of the model's scenarios/)",
    )
    _futures_options(parser, 4000, "futures")
    parser.add_argument("--out", default="robustness_results", help="results folder (default robustness_results)")
    args = parser.parse_args(argv)
    try:
        if args.n < 10:
            raise ValueError(f"--n must be at least 10 futures, got {args.n}")
        model = chosen_model(args)
        names = (
            sd_model.scenario_names(model)
            if args.scenarios == "all"
            else [s.strip() for s in args.scenarios.split(",") if s.strip()]
        )
        out = writable_folder(args.out)
        table, _ = run_robustness(
            names, n=args.n, seed=args.seed, prior=args.prior, targets_file=args.targets, out=out, model=model
        )
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    shares = table[table["target"] == "all"].set_index("scenario")["share_met"]
    print("share of futures meeting every target: " + ", ".join(f"{k} {v:.1%}" for k, v in shares.items()))
    print(f"results in {args.out}/ (report.md, robustness.csv, boxes.csv)")
    return 0


def optimize_main(argv) -> int:
    """``python -m robustness optimize``: the Pareto front of cost against robustness (NSGA-II)."""
    from .analysis import BUNDLED_FRONT_DIR
    from .optimize import optimize, write_front

    parser = argparse.ArgumentParser(
        prog="python -m robustness optimize",
        description="search lever settings for the Pareto front of cost against the share of futures meeting every "
        "target (NSGA-II, platypus-opt); writes front.csv, a chart and one scenario per member",
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
        if args.bundle and args.mdl:
            raise ValueError("--bundle replaces the project model's front; with --mdl give --out DIR")
        model = chosen_model(args)
        out = writable_folder(BUNDLED_FRONT_DIR if args.bundle else args.out)
        kwargs = dict(
            n=args.n,
            population=args.population,
            generations=args.generations,
            seed=args.seed,
            prior=args.prior,
            progress=True,
            model=model,
            targets_file=args.targets,
        )
        if args.scheduler:
            from distributed import Client

            with Client(args.scheduler) as client:
                result = optimize(client=client, **kwargs)
        else:
            result = optimize(**kwargs)
        write_front(result, out, named_scenarios(args.n, args.seed, args.prior, model, args.targets))
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    state = "converged" if result["converged"] else "NOT CONVERGED (raise --generations)"
    print(
        f"{state} after {result['generations']} generations, {result['seconds']:.0f} s; "
        f"{len(result['front'])} settings on the front; "
        f"results in {out}/ (front.csv, front.png, scenarios/)"
    )
    return 0 if result["converged"] else 1


def named_scenarios(n: int, seed: int, prior: bool, model=None, targets_file=None):
    """Cost and share of the model's named scenarios over the same futures, to draw beside the front."""
    from .analysis import robustness

    model = model or sd_model.default_model()
    scenarios = {name: sd_model.load_scenario(name, model).parameters for name in sd_model.scenario_names(model)}
    if not scenarios:
        return None
    table = robustness(scenarios=scenarios, n=n, seed=seed, prior=prior, model=model, targets=targets_file)
    table = table[table["target"] == "all"].rename(columns={"share_met": "share_all"})
    return table.rename(columns={"scenario": "label"})[["label", "cost_median", "share_all"]]


def main(argv=None) -> int:
    """Entry point; returns the exit status (2 for bad input, with the message on stderr)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["optimize"]:
        return optimize_main(argv[1:])
    return robustness_main(argv)
