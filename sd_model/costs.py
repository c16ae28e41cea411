"""What policy buys: fiscal cost against the run with policy unchanged, and what a yuan buys per lever.

A policy's effect is measured against the *reference*: the same assumptions (uncertainties) with every
lever at its default (policy unchanged). Sums run over the saved years from the policy year to the
final year, one row a year, so that a difference of one person employed for a year counts one
person-year. Costs are the difference of ``cumulative_fiscal_cost_since_2016`` (public money since the
programme began) in the final year: a run and its reference are identical before the policy year, so the
difference is the cost from the policy year on, for a policy from 2026 and a counterfactual from 2016 alike.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .model import Model

#: the gains that the extra cost is divided by: name -> what it counts (the keys :func:`effects` returns)
GAINS = {
    "employed_person_years": "extra employed person-years",
    "income_yuan": "extra yuan of income of relocated people",
    "relapse_person_years_avoided": "person-years kept out of relapse risk",
}


#: the cumulative cost whose difference is a policy's extra cost
COST = "cumulative_fiscal_cost_since_2016"


def _gains(run: pd.DataFrame, reference: pd.DataFrame, policy_year: float) -> dict[str, float]:
    years = run.index[run.index >= policy_year]
    r, b = run.loc[years], reference.loc[years]
    return {
        "employed_person_years": float((r["employed_labour"] - b["employed_labour"]).sum()),
        "income_yuan": float(
            (
                r["income_per_capita"] * r["relocated_population"] - b["income_per_capita"] * b["relocated_population"]
            ).sum()
        ),
        "relapse_person_years_avoided": float(
            (
                b["relapse_risk_share"] * b["relocated_population"]
                - r["relapse_risk_share"] * r["relocated_population"]
            ).sum()
        ),
    }


def yuan_per(cost: float, gain: float) -> float:
    """Extra cost per unit of gain; NaN where the policy gains nothing (or loses)."""
    return cost / gain if gain > 0 and math.isfinite(cost) else math.nan


def effects(run: pd.DataFrame, reference: pd.DataFrame, policy_year: float) -> dict[str, float]:
    """Extra cost, gains and yuan per gain of ``run`` against ``reference`` (both from :meth:`Model.run`)."""
    cost = float(run[COST].iloc[-1] - reference[COST].iloc[-1])
    gains = _gains(run, reference, policy_year)
    return {"extra_cost_yuan": cost, **gains} | {
        f"yuan_per_{name}": yuan_per(cost, gain) for name, gain in gains.items()
    }


def reference_params(model: Model, params) -> dict[str, float]:
    """``params`` with every lever at its default: the same assumptions, policy unchanged."""
    values = model.validate(params)
    levers = {p.name for p in model.parameters if p.kind == "lever"}
    return {name: value for name, value in values.items() if name not in levers}


def cost_effectiveness(model: Model, params=None) -> dict[str, float]:
    """Extra fiscal cost, gains and yuan per gain of ``params`` against policy unchanged.

    Parameters
    ----------
    model : Model
        The model.
    params : mapping, optional
        Parameter values (levers and assumptions); the reference keeps the assumptions.

    Returns
    -------
    dict
        ``extra_cost_yuan``, the gains of :data:`GAINS` and ``yuan_per_<gain>`` for each (NaN where
        there is no gain).
    """
    values = model.defaults() | model.validate(params)
    return effects(model.run(values), model.run(reference_params(model, values)), values["policy_year"])


def lever_steps(model: Model, values: dict[str, float], share: float) -> dict[str, float]:
    """For each lever that costs public money, its value moved up by ``share`` of its range (or down
    where the range ends)."""
    steps = {}
    for p in model.parameters:
        if p.costs_public_money:
            step = share * (p.high - p.low)
            steps[p.name] = values[p.name] + step if values[p.name] + step <= p.high else values[p.name] - step
    return steps


def what_a_yuan_buys(model: Model, params=None, *, share: float = 0.1) -> pd.DataFrame:
    """What a yuan buys through each lever that costs public money, from the current settings.

    Each lever alone is moved by ``share`` of its range (up, or down at the top of the range) from
    the values in ``params``; its extra cost and gains are measured against the run at ``params``.

    Returns
    -------
    pandas.DataFrame
        One row per lever (index ``lever``): ``from``, ``to``, and the columns of :func:`effects`.
    """
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], got {share!r}")
    from .batch import run_batch

    values = model.defaults() | model.validate(params)
    steps = lever_steps(model, values, share)
    rows = [values] + [values | {name: value} for name, value in steps.items()]
    outputs = ["employed_labour", "income_per_capita", "relocated_population", "relapse_risk_share", COST]
    dataset = run_batch(pd.DataFrame(rows), outputs=outputs, model=model, progress=False)
    years = dataset.year.values

    def frame(i: int) -> pd.DataFrame:
        return pd.DataFrame({o: dataset[o].values[i] for o in outputs}, index=pd.Index(years, name="year"))

    reference = frame(0)
    table = [
        {"lever": name, "from": values[name], "to": value} | effects(frame(i + 1), reference, values["policy_year"])
        for i, (name, value) in enumerate(steps.items())
    ]
    return pd.DataFrame(table).set_index("lever").replace([np.inf, -np.inf], np.nan)
