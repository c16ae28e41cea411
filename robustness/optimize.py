"""Robust portfolios: the Pareto front of cost against robustness, searched with NSGA-II (platypus-opt,
as the EMA Workbench uses it).

A candidate is a setting of the levers in :data:`SEARCHED` (policy acts from the default policy year);
its objectives are the median cumulative fiscal cost to 2035 (minimised) and the share of futures in
which every target of ``models/targets.toml`` holds (maximised), both over the same futures. A
platypus :class:`Evaluator` evaluates a whole generation in one :func:`sd_model.run_batch` call
(locally or on a Dask cluster).

Converged: the hypervolume of the non-dominated set (cost scaled by the most expensive corner of
the lever box, share as is) has grown by less than :data:`HV_TOLERANCE` over the last
:data:`HV_WINDOW` generations.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import numpy as np
import pandas as pd
import platypus

import sd_model
from sd_model.scenarios import Scenario
from sd_model.words import phrase

from .experiments import futures, run_experiment
from .targets import fixed_levers, read_objectives, read_targets, target_outputs

HV_TOLERANCE = 0.005
HV_WINDOW = 10


def searched_levers(model=None) -> list:
    """The levers a portfolio sets: every lever but the ``fixed_levers`` of the targets file."""
    model = model or sd_model.default_model()
    fixed = fixed_levers(model=model)
    return [p for p in model.parameters if p.kind == "lever" and p.name not in fixed]


def snap(settings: np.ndarray, names: list[str], model: sd_model.Model | None = None) -> np.ndarray:
    """Lever settings on their sliders' steps where one is declared (whole calendar years)."""
    table = (model or sd_model.default_model()).parameter_table
    settings = np.array(settings, dtype=float)
    for j, name in enumerate(names):
        step = table[name].slider_step
        if step:
            settings[:, j] = np.clip(
                table[name].low + np.round((settings[:, j] - table[name].low) / step) * step,
                table[name].low,
                table[name].high,
            )
    return settings


def evaluate_settings(
    settings: np.ndarray, names: list[str], worlds: pd.DataFrame, targets, *, client=None, model=None, objectives=None
) -> np.ndarray:
    """Objectives of each lever setting (row, snapped to slider steps) over the same futures: ``(n, 2)``
    of (median cost, share all met)."""
    settings = snap(settings, names, model)
    chosen = [dict(zip(names, row, strict=True)) for row in settings]
    experiment = run_experiment(
        chosen, worlds, target_outputs(targets), client=client, model=model, objectives=objectives
    )
    met = experiment.per_setting((experiment.margins(targets) >= 0).all(axis=1).to_numpy())
    cost = experiment.per_setting(experiment.final_cost())
    return np.column_stack([np.median(cost, axis=1), met.mean(axis=1)])


class BatchEvaluator(platypus.Evaluator):
    """A platypus evaluator that runs every solution of a generation in one :func:`evaluate_settings` batch."""

    def __init__(self, names, worlds, targets, client=None, model=None, objectives=None):
        super().__init__()
        self.names, self.worlds, self.targets, self.client = names, worlds, targets, client
        self.model, self.objectives = model, objectives

    def evaluate_all(self, jobs, **kwargs):
        if not jobs:
            return jobs
        settings = np.array([list(job.solution.variables) for job in jobs], dtype=float)
        stream = random.getstate()  # a Dask client draws from the same generator as platypus: keep the search's own
        objectives = evaluate_settings(
            settings,
            self.names,
            self.worlds,
            self.targets,
            client=self.client,
            model=self.model,
            objectives=self.objectives,
        )
        random.setstate(stream)
        for job, (cost, share) in zip(jobs, objectives, strict=True):
            job.solution.objectives[:] = [cost, share]
            job.solution.evaluated = True
        return jobs


def hypervolume(front: np.ndarray, max_cost: float) -> float:
    """Area dominated by a front of (cost, share) points, cost scaled by ``max_cost``, reference (1, 0)."""
    points = sorted((min(c / max_cost, 1.0), s) for c, s in front)
    area, best = 0.0, 0.0
    for i, (cost, share) in enumerate(points):
        best = max(best, share)
        following = points[i + 1][0] if i + 1 < len(points) else 1.0
        area += best * (following - cost)
    return area


def optimize(
    *,
    n: int = 200,
    population: int = 40,
    generations: int = 100,
    seed: int = 0,
    prior: bool = False,
    client=None,
    progress: bool = False,
    model: sd_model.Model | None = None,
    targets_file=None,
) -> dict:
    """Search the Pareto front of cost (the targets file's ``cost_output``; for the project's model the
    cumulative fiscal cost) against the share of futures meeting every target.

    Returns
    -------
    dict
        ``front`` (DataFrame: one row per non-dominated setting, the levers then ``cost_median`` and
        ``share_all``), ``history`` (generation, evaluations, hypervolume), ``converged``,
        ``generations``, ``seconds``, ``settings``.
    """
    model = model or sd_model.default_model()
    objectives = read_objectives(targets_file, model)
    if objectives.cost_output is None:
        raise ValueError(
            "the robust-front search minimises a cost: name the cost output (cost_output) in the targets file"
        )
    levers = searched_levers(model)
    if not levers:
        raise ValueError("the robust-front search needs at least one lever that the targets file does not fix")
    names = [p.name for p in levers]
    targets = read_targets(targets_file, model)
    worlds = futures(n, seed, prior=prior, model=model)
    run = dict(client=client, model=model, objectives=objectives)
    problem = platypus.Problem(len(levers), 2)
    problem.types[:] = [platypus.Real(p.low, p.high) for p in levers]
    problem.directions[:] = [platypus.Direction.MINIMIZE, platypus.Direction.MAXIMIZE]
    max_cost = float(evaluate_settings(np.array([[p.high for p in levers]]), names, worlds, targets, **run)[0, 0])
    random.seed(seed)  # platypus draws from the standard library's generator
    algorithm = platypus.NSGAII(
        problem,
        population_size=population,
        evaluator=BatchEvaluator(names, worlds, targets, **run),
        log_frequency=10**9,
    )
    started = time.perf_counter()
    history, converged = [], False
    for generation in range(1, generations + 1):
        algorithm.step()
        front = [s for s in platypus.nondominated(algorithm.result) if s.constraint_violation == 0]
        volume = hypervolume(np.array([list(s.objectives) for s in front]), max_cost)
        history.append(
            {
                "generation": generation,
                "evaluations": algorithm.nfe,
                "hypervolume": volume,
                "seconds": time.perf_counter() - started,
            }
        )
        if progress:
            print(f"generation {generation}: hypervolume {volume:.4f}, {len(front)} on the front", flush=True)
        if generation > HV_WINDOW and volume - history[-1 - HV_WINDOW]["hypervolume"] < HV_TOLERANCE * max(
            volume, 1e-9
        ):
            converged = True
            break
    rows = [
        dict(zip(names, map(float, s.variables), strict=True))
        | {"cost_median": s.objectives[0], "share_all": s.objectives[1]}
        for s in front
    ]
    table = pd.DataFrame(rows).drop_duplicates().sort_values("cost_median").reset_index(drop=True)
    return {
        "front": table,
        "history": pd.DataFrame(history),
        "converged": converged,
        "generations": len(history),
        "seconds": time.perf_counter() - started,
        "settings": {
            "n": n,
            "population": population,
            "seed": seed,
            "futures": "full ranges" if prior else "posterior",
            "max_cost": max_cost,
            "levers": names,
            "cost_output": objectives.cost_output,
            "cost_units": next(o.units for o in model.outputs if o.name == objectives.cost_output),
        },
        "model": model,
    }


def front_scenarios(
    front: pd.DataFrame, names: list[str], model: sd_model.Model | None = None, units: str = "yuan"
) -> list[Scenario]:
    """Each front member as a scenario holding the levers that differ from their defaults; ``units`` of
    the cost (yuan: in billions, as the project's model reports it). Titles from :mod:`sd_model.words`."""
    model = model or sd_model.default_model()
    defaults = model.defaults()
    kind = "front_yuan" if units == "yuan" else "front_cost"
    scenarios = []
    for i, (_, row) in enumerate(front.iterrows()):
        params = {name: round(float(row[name]), 6) for name in names if not np.isclose(row[name], defaults[name])}
        fields = dict(member=i + 1, share=row["share_all"], cost=row["cost_median"], units=units)
        texts = {f"{part}_{lang}": phrase(f"{kind}_{part}", lang, **fields) for part in ("title", "description")
                 for lang in ("en", "zh")}  # fmt: skip
        scenarios.append(Scenario(name=f"front_{i + 1:02d}", parameters=params, **texts))
    return scenarios


def write_front(result: dict, out: Path, compare: pd.DataFrame | None = None) -> None:
    """``front.csv``, ``history.csv``, ``front.png|html``, ``manifest.json`` and ``scenarios/front_NN.toml``."""
    import altair as alt

    out = Path(out)
    (out / "scenarios").mkdir(parents=True, exist_ok=True)
    for stale in (out / "scenarios").glob("front_*.toml"):
        stale.unlink()
    front, names = result["front"], result["settings"]["levers"]
    front.insert(0, "member", [f"front_{i + 1:02d}" for i in range(len(front))])
    front.to_csv(out / "front.csv", index=False)
    result["history"].to_csv(out / "history.csv", index=False)
    model = result.get("model") or sd_model.default_model()
    for scenario in front_scenarios(front, names, model, result["settings"].get("cost_units", "yuan")):
        (out / "scenarios" / f"{scenario.name}.toml").write_text(scenario.to_toml(), encoding="utf-8")
    data = front.assign(
        cost_billion=front["cost_median"] / 1e9, kind="front", label=[f"front_{i + 1:02d}" for i in range(len(front))]
    )
    if compare is not None:
        data = pd.concat(
            [data, compare.assign(cost_billion=compare["cost_median"] / 1e9, kind="named scenario")], ignore_index=True
        )
    base = alt.Chart(data).encode(
        x=alt.X("cost_billion:Q", title="cumulative fiscal cost to 2035, median (billion yuan)"),
        y=alt.Y("share_all:Q", title="share of futures meeting every target", axis=alt.Axis(format="%")),
        color=alt.Color("kind:N", title=None),
        tooltip=["label:N", alt.Tooltip("cost_billion:Q", format=".2f"), alt.Tooltip("share_all:Q", format=".1%")],
    )
    chart = (
        base.mark_line(point=True).transform_filter("datum.kind == 'front'")
        + base.mark_point(size=80, filled=True).transform_filter("datum.kind != 'front'")
        + base.mark_text(dx=6, align="left").encode(text="label:N").transform_filter("datum.kind != 'front'")
    ).properties(width=560, height=340, title="Robust portfolios: cost against robustness")
    for suffix in ("png", "html"):
        chart.save(str(out / f"front.{suffix}"))
    manifest = {k: result[k] for k in ("converged", "generations", "seconds")} | result["settings"]
    manifest |= {
        "model_digest": model.digest,
        "hypervolume_tolerance": HV_TOLERANCE,
        "hypervolume_window": HV_WINDOW,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
