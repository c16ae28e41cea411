"""Robustness of policies: in how many plausible futures does a lever setting meet its targets, at what
regret and cost, and where does it fail (PRIM scenario discovery, from the EMA Workbench).

The targets are declared once in a targets file (``models/targets.toml`` for the project's model); the
futures are posterior draws (:func:`calibration.posterior_draws`) or, with ``prior=True``, draws over
the full ranges. Every scenario is run over the same futures in one
:func:`robustness.experiments.run_experiment`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import sd_model
from sd_model.paths import ROOT
from sd_model.words import box_sentence

from .experiments import futures, run_experiment
from .targets import read_objectives, read_targets, target_outputs

#: The robust front the explorer shows (``python -m robustness optimize --bundle``).
BUNDLED_FRONT_DIR = ROOT / "data" / "robustness"
#: Coverage a PRIM box must keep: the box chosen on the peeling trajectory is the densest with at least this.
PRIM_COVERAGE = 0.8
#: PRIM is not run when the futures of interest are fewer than this share (or more than 1 minus it).
PRIM_MIN_SHARE = 0.01
#: PRIM searches the dimensions whose distribution differs most between misses and the rest (two-sample
#: Kolmogorov-Smirnov), at most this many, each significant at PRIM_SCREEN_P.
PRIM_DIMENSIONS = 12
PRIM_SCREEN_P = 0.001
#: Restrictions of a box whose quasi-p-value (Bryant and Lempert 2010) is above this are dropped.
PRIM_QP_MAX = 0.05


def evaluate(
    scenarios: dict[str, dict[str, float]], worlds: pd.DataFrame, targets, *, client=None, model=None, objectives=None
) -> pd.DataFrame:
    """Every scenario in every future (one :func:`robustness.experiments.run_experiment`).

    Returns
    -------
    pandas.DataFrame
        One row per (scenario, future): ``scenario``, ``future``, a margin column per target,
        ``all`` (the smallest margin), ``cost`` (the cost output at the final time; for the project's
        model the cumulative fiscal cost to 2035, yuan; NaN without a cost output).
    """
    experiment = run_experiment(
        list(scenarios.values()), worlds, target_outputs(targets), client=client, model=model, objectives=objectives
    )
    frame = experiment.margins(targets)
    frame["all"] = frame[[t.name for t in targets]].min(axis=1)
    frame["cost"] = experiment.final_cost()
    frame.insert(0, "future", np.tile(np.arange(len(worlds)), len(scenarios)))
    frame.insert(0, "scenario", np.repeat(list(scenarios), len(worlds)))
    return frame


def summarise(frame: pd.DataFrame, targets) -> pd.DataFrame:
    """Per scenario and target (and ``all``): share of futures met, margin, regret, cost.

    Regret in a future is the best margin among the compared scenarios minus the scenario's own (0
    for the best); reported as its mean and 90th percentile over the futures.
    """
    names = [t.name for t in targets] + ["all"]
    rows = []
    best = frame.groupby("future")[names].transform("max")
    regret = best - frame[names]
    for scenario, index in frame.groupby("scenario", sort=False).groups.items():
        part, cost = frame.loc[index], frame.loc[index, "cost"]
        for name in names:
            rows.append(
                {
                    "scenario": scenario,
                    "target": name,
                    "share_met": float((part[name] >= 0).mean()),
                    "margin_median": float(part[name].median()),
                    "regret_mean": float(regret.loc[index, name].mean()),
                    "regret_p90": float(regret.loc[index, name].quantile(0.9)),
                    "cost_median": float(cost.median()),
                    "cost_p05": float(cost.quantile(0.05)),
                    "cost_p95": float(cost.quantile(0.95)),
                }
            )
    return pd.DataFrame(rows)


def robustness(
    levers: dict[str, float] | None = None,
    *,
    targets=None,
    n: int = 500,
    seed: int = 0,
    prior: bool = False,
    scenarios: dict[str, dict[str, float]] | None = None,
    model: sd_model.Model | None = None,
) -> pd.DataFrame:
    """Share of ``n`` futures in which a lever setting (or each of several scenarios) meets each target.

    Parameters
    ----------
    levers : dict, optional
        One lever setting (name to value; others at their defaults). Ignored when ``scenarios`` is given.
    targets : path or list of Target, optional
        Default: the targets file beside the model (``models/targets.toml``).
    n, seed : int
        Futures and their seed.
    prior : bool
        Futures over the full ranges instead of the posterior (a stress test).
    scenarios : dict, optional
        Scenario name to parameters, compared over the same futures (regret is relative to them).
    model : sd_model.Model, optional
        Default: the project's model.

    Returns
    -------
    pandas.DataFrame
        Columns ``scenario``, ``target``, ``share_met``, ``margin_median``, ``regret_mean``,
        ``regret_p90``, ``cost_median``, ``cost_p05``, ``cost_p95``; ``target == "all"`` is every
        target at once.
    """
    model = model or sd_model.default_model()
    if targets is None or isinstance(targets, (str, Path)):
        objectives = read_objectives(targets, model)
        targets = read_targets(targets, model)
    else:
        objectives = read_objectives(model=model)
    if scenarios is None:
        scenarios = {"current": model.validate(levers or {})}
    else:
        scenarios = {name: model.validate(params, where=name) for name, params in scenarios.items()}
    frame = evaluate(scenarios, futures(n, seed, prior=prior, model=model), targets, model=model, objectives=objectives)
    return summarise(frame, targets)


def _prim_module():
    """The EMA Workbench's PRIM, imported without its notice that the optional ipyparallel is missing."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="ipyparallel not installed", category=UserWarning)
        from ema_workbench.analysis import prim
    return prim


def screen_dimensions(worlds: pd.DataFrame, miss: np.ndarray, k: int = PRIM_DIMENSIONS) -> list[str]:
    """The ``k`` columns whose values differ most between the misses and the rest (KS statistic),
    among those significant at :data:`PRIM_SCREEN_P`; at least two."""
    from scipy.stats import ks_2samp

    tests = {name: ks_2samp(worlds[name].to_numpy()[miss], worlds[name].to_numpy()[~miss]) for name in worlds.columns}
    ranked = sorted(tests, key=lambda name: -tests[name].statistic)
    significant = [name for name in ranked if tests[name].pvalue < PRIM_SCREEN_P]
    return (significant if len(significant) >= 2 else ranked[:2])[:k]


def _significance(qp: list[float]) -> float:
    """The quasi-p-value of a restricted dimension: its more significant side's (-1 marks a side not
    restricted); dropping a restriction frees both sides."""
    sides = [q for q in qp if q >= 0]
    return min(sides) if sides else 0.0


def prim_box(worlds: pd.DataFrame, miss: np.ndarray, *, coverage: float = PRIM_COVERAGE):
    """PRIM (the EMA Workbench's) on the futures where ``miss`` is true.

    PRIM searches the dimensions of :func:`screen_dimensions`; the box reported is the densest on
    the peeling trajectory that keeps ``coverage`` of the misses, with every restriction whose
    quasi-p-value is above :data:`PRIM_QP_MAX` dropped (``PrimBox.drop_restriction``, which
    recomputes coverage and density), the least significant first.

    Returns
    -------
    dict or None
        ``coverage``, ``density``, ``limits`` (parameter to (low, high, qp_low, qp_high) of each
        restricted parameter), ``trajectory`` (the peeling trajectory: coverage, density, res_dim,
        mass), ``chosen`` (the index of the box peeling chose), ``dimensions`` (those searched); None
        when the misses are too few or too many to describe.
    """
    prim = _prim_module()
    share = float(np.mean(miss))
    if share < PRIM_MIN_SHARE or share > 1 - PRIM_MIN_SHARE:
        return None
    dimensions = screen_dimensions(worlds, miss)
    algorithm = prim.Prim(worlds[dimensions].reset_index(drop=True), miss.astype(int), threshold=share)
    box = algorithm.find_box()
    trajectory = box.peeling_trajectory[["coverage", "density", "res_dim", "mass"]].reset_index(drop=True)
    enough = trajectory.index[trajectory["coverage"] >= coverage]
    chosen = int(trajectory.loc[enough, "density"].idxmax()) if len(enough) else 0
    current = chosen
    while box.qp[current]:
        worst = max(box.qp[current], key=lambda name: _significance(box.qp[current][name]))
        if _significance(box.qp[current][worst]) <= PRIM_QP_MAX:
            break
        box.drop_restriction(uncertainty=worst, i=current)
        current = len(box.box_lims) - 1
    stats = box.peeling_trajectory.iloc[current]
    lims, qp = box.box_lims[current], box.qp[current]
    limits = {name: (float(lims.loc[0, name]), float(lims.loc[1, name]), *map(float, qp[name])) for name in qp}
    return {
        "coverage": float(stats["coverage"]),
        "density": float(stats["density"]),
        "limits": limits,
        "trajectory": trajectory,
        "chosen": chosen,
        "dimensions": dimensions,
    }


def discover(
    frame: pd.DataFrame, worlds: pd.DataFrame, targets, scenarios: list[str], model: sd_model.Model | None = None
) -> tuple[pd.DataFrame, dict]:
    """PRIM boxes for each scenario and target (and ``all``) over the futures where it misses.

    Returns
    -------
    boxes : pandas.DataFrame
        ``scenario``, ``target``, ``box``, ``share_missed``, ``coverage``, ``density``, ``parameter``,
        ``low``, ``high``, ``qp_low``, ``qp_high``, ``sentence`` (one row per restricted parameter).
    trajectories : dict
        (scenario, target) to the peeling trajectory (with the chosen box marked).
    """
    table = (model or sd_model.default_model()).parameter_table
    labels = {t.name: t.short_en for t in targets} | {"all": "all targets"}
    rows, trajectories = [], {}
    for scenario in scenarios:
        part = frame[frame["scenario"] == scenario].reset_index(drop=True)
        for name in [t.name for t in targets] + ["all"]:
            miss = (part[name] < 0).to_numpy()
            box = prim_box(worlds, miss)
            sentence = box_sentence(scenario, labels[name], float(miss.mean()), box, table, worlds)
            if box is None:
                rows.append(
                    {
                        "scenario": scenario,
                        "target": name,
                        "box": 0,
                        "share_missed": float(miss.mean()),
                        "coverage": np.nan,
                        "density": np.nan,
                        "parameter": "",
                        "low": np.nan,
                        "high": np.nan,
                        "qp_low": np.nan,
                        "qp_high": np.nan,
                        "sentence": sentence,
                    }
                )
                continue
            trajectories[(scenario, name)] = box["trajectory"].assign(chosen=lambda d, c=box["chosen"]: d.index == c)
            for parameter, (low, high, qp_low, qp_high) in box["limits"].items():
                rows.append(
                    {
                        "scenario": scenario,
                        "target": name,
                        "box": 1,
                        "share_missed": float(miss.mean()),
                        "coverage": box["coverage"],
                        "density": box["density"],
                        "parameter": parameter,
                        "low": low,
                        "high": high,
                        "qp_low": qp_low,
                        "qp_high": qp_high,
                        "sentence": sentence,
                    }
                )
    return pd.DataFrame(rows), trajectories
