"""Model behaviour tests in the manner of Sterman, Business Dynamics ch. 21.

Extreme conditions: every stock stays non-negative and every rate within its physical range for
parameter sets at the extremes of the bounds. Conservation: each stock equals its initial value plus
its cumulative inflows minus outflows, and people are neither made nor lost. Integration error:
halving the time step moves no KPI by more than 1 % of its scale in any year.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import qmc

import sd_model
from sd_model.paths import MODEL_FILE
from sd_model.structure import structure

FRACTIONS = [
    "employment_rate",
    "urbanization_rate",
    "share_without_a_worker",
    "integrated_share",
    "skilled_share",
    "dependency_share",
    "social_trust",
    "relapse_risk_share",
]
NON_NEGATIVE = [
    "relocated_population", "equity_income_per_capita", "awaiting_relocation", "settling_in", "integrated_residents",
    "returned_to_origin", "moved_out_of_province", "relocated_to_date", "site_capacity", "labour_force", "employed_labour",
    "total_jobs", "relocated_enterprises", "share_capital", "wage_income_per_capita", "income_per_capita",
    "employed_locally", "employed_outside", "local_jobs",
    "urban_residents", "rural_residents",
]  # fmt: skip
TOL = 1e-9
HISTORICAL_TARGET = sd_model.default_model().constants["relocation target historical"]


def extreme_sets(n_lhs: int = 500, seed: int = 20161231):
    """All lows, all highs, each lever alone at each bound, and a Latin hypercube over all bounds."""
    table = sd_model.parameters()
    sets = {"all_low": {p.name: p.low for p in table}, "all_high": {p.name: p.high for p in table}}
    for p in sd_model.parameters("lever"):
        sets[f"{p.name}_low"] = {p.name: p.low}
        sets[f"{p.name}_high"] = {p.name: p.high}
    lows = np.array([p.low for p in table])
    highs = np.array([p.high for p in table])
    sample = qmc.scale(qmc.LatinHypercube(d=len(table), seed=seed).random(n_lhs), lows, highs)
    for i, row in enumerate(sample):
        sets[f"lhs_{i}"] = dict(zip((p.name for p in table), row.tolist(), strict=True))
    return sets


def check_physical(results, params, label):
    values = results.to_numpy()
    assert np.isfinite(values).all(), label
    for column in NON_NEGATIVE:
        assert (results[column] >= -TOL * max(1.0, results[column].abs().max())).all(), f"{label}: {column} negative"
    for column in FRACTIONS:
        assert results[column].between(-TOL, 1 + TOL).all(), f"{label}: {column} outside [0, 1]"
    assert (results["employed_labour"] <= results["labour_force"] * (1 + TOL) + 1e-6).all(), label
    # the target acts from the policy year; before it the historical target holds
    historical = params.get("relocation_target_historical", HISTORICAL_TARGET)
    target = max(params.get("relocation_target", historical), historical)
    assert (results["relocated_to_date"] <= target * (1 + TOL)).all(), label
    assert (results["site_capacity"] <= target * (1 + TOL)).all(), label
    assert (results["fiscal_cost"] >= 0).all() and results["cumulative_fiscal_cost"].is_monotonic_increasing, label


def test_extreme_conditions_keep_stocks_and_rates_physical():
    sets = extreme_sets()
    assert sum(k.startswith("lhs_") for k in sets) >= 500
    for label, params in sets.items():
        check_physical(sd_model.run(params), params, label)


def integ_stocks():
    """Stocks whose INTEG rate is a signed sum of flows, with their flows, by their names in the .mdl."""
    s = structure(MODEL_FILE)
    name = {n: e.name for n, e in s.equations.items()}
    return {name[stock]: [(float(sign), name[flow]) for sign, flow in terms] for stock, terms in s.flows.items()}


@pytest.mark.parametrize("scenario", ["baseline", "no_follow_up", "integrated_governance"])
def test_stocks_equal_initial_plus_cumulative_flows(model, scenario):
    stocks = integ_stocks()
    assert {"Awaiting Relocation", "Settling In", "Integrated Residents", "Returned to Origin", "Urban Residents"} <= set(stocks)
    flows = sorted({name for terms in stocks.values() for _, name in terms})
    dt = model.control["time_step"]
    params = sd_model.load_scenario(scenario).parameters
    frame = model.run_variables(params, variables=list(stocks) + flows, saveper=dt)
    for stock, terms in stocks.items():
        net = sum(sign * frame[name].to_numpy() for sign, name in terms)
        rebuilt = frame[stock].iloc[0] + np.concatenate([[0.0], np.cumsum(net[:-1] * dt)])
        scale = max(1.0, frame[stock].abs().max())
        assert np.abs(rebuilt - frame[stock].to_numpy()).max() <= 1e-9 * scale * len(frame), stock


def test_people_are_conserved(model):
    params = sd_model.load_scenario("no_follow_up").parameters
    people = ["Awaiting Relocation", "Settling In", "Integrated Residents", "Returned to Origin", "Moved out of Province"]
    frame = model.run_variables(params, variables=people, saveper=model.control["time_step"])
    total = frame[people].sum(axis=1)
    np.testing.assert_allclose(total, model.constants["relocation target"], rtol=1e-12)


@pytest.mark.parametrize("scenario", sd_model.scenario_names())
def test_halving_time_step_moves_no_kpi_more_than_one_percent(model, scenario):
    params = sd_model.load_scenario(scenario).parameters
    dt = model.control["time_step"]
    coarse = sd_model.run(params, time_step=dt)
    fine = sd_model.run(params, time_step=dt / 2)
    for kpi in sd_model.KPIS:
        # Relative to the KPI's scale (largest magnitude in the run): a KPI rising from zero has a
        # meaningless relative error in the year it leaves zero.
        scale = fine[kpi].abs().max() or 1.0  # a KPI that stays at zero must stay at zero
        worst = ((coarse[kpi] - fine[kpi]).abs() / scale).max()
        assert worst <= 0.01, f"{scenario}: {kpi} moves {worst:.2%} of its scale"
