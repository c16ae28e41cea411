"""Model behaviour tests in the manner of Sterman, Business Dynamics ch. 21.

Extreme conditions: every stock stays non-negative and every rate within its physical range for
parameter sets at the extremes of the bounds. Conservation: each stock equals its initial value plus
its cumulative inflows minus outflows, and people are neither made nor lost. Integration error:
halving the time step moves no KPI by more than 1 % of its scale in any year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import qmc

import sd_model
from diagrams.structure import structure
from sd_model.paths import MODEL_FILE

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
    "back_at_the_origin", "moved_away", "relocated_to_date", "site_capacity", "labour_force", "employed_labour",
    "children", "elderly", "public_welfare_workers",
    "total_jobs", "relocated_enterprises", "share_capital", "wage_income_per_capita", "income_per_capita",
    "employed_locally", "employed_outside", "local_jobs",
    "urban_residents", "rural_residents",
]  # fmt: skip
TOL = 1e-9
HISTORICAL_TARGET = sd_model.default_model().constants["relocation target historical"]
#: per-person outputs are missing where nobody lives at the sites, and only there
PER_PERSON = [o.name for o in sd_model.default_model().outputs if o.per_person]


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
    nobody = results["relocated_population"] < 1
    assert nobody.loc[2015] and not nobody.loc[2017:].any(), label
    assert results.loc[nobody, PER_PERSON].isna().all().all(), f"{label}: a per-person figure where nobody lives"
    assert np.isfinite(results.drop(columns=PER_PERSON).to_numpy()).all(), label
    assert np.isfinite(results.loc[~nobody, PER_PERSON].to_numpy()).all(), label
    results = results.fillna(0.0)
    for column in NON_NEGATIVE:
        assert (results[column] >= -TOL * max(1.0, results[column].abs().max())).all(), f"{label}: {column} negative"
    for column in FRACTIONS:
        assert results[column].between(-TOL, 1 + TOL).all(), f"{label}: {column} outside [0, 1]"
    assert (results["employed_labour"] <= results["labour_force"] * (1 + TOL) + 1e-6).all(), label
    # a second round adds to the programme's target from the policy year
    target = params.get("relocation_target_historical", HISTORICAL_TARGET) + params.get("second_relocation_round", 0.0)
    assert (results["relocated_to_date"] <= target * (1 + TOL)).all(), label
    assert (results["site_capacity"] <= target * (1 + TOL)).all(), label
    assert (results["fiscal_cost"] >= 0).all() and results["cumulative_fiscal_cost"].is_monotonic_increasing, label


def test_extreme_conditions_keep_stocks_and_rates_physical():
    sets = extreme_sets()
    assert sum(k.startswith("lhs_") for k in sets) >= 500
    model = sd_model.default_model()
    defaults = model.defaults()
    data = sd_model.run_batch(
        pd.DataFrame([defaults | p for p in sets.values()]), outputs=model.output_names, progress=False
    )
    years = pd.Index(data.year.values, name="year")
    for i, (label, params) in enumerate(sets.items()):
        results = pd.DataFrame({o: data[o].values[i] for o in model.output_names}, index=years)
        check_physical(results, params, label)


def integ_stocks():
    """Stocks whose INTEG rate is a signed sum of flows, with their flows, by their names in the .mdl."""
    s = structure(MODEL_FILE)
    name = {n: e.name for n, e in s.equations.items()}
    return {name[stock]: [(float(sign), name[flow]) for sign, flow in terms] for stock, terms in s.flows.items()}


@pytest.mark.parametrize("scenario", ["baseline", "no_follow_up", "integrated_governance"])
def test_stocks_equal_initial_plus_cumulative_flows(model, scenario):
    stocks = integ_stocks()
    assert {
        "Awaiting Relocation",
        "Settling In",
        "Integrated Residents",
        "Back at the Origin",
        "Urban Residents",
        "Children",
    } <= set(stocks)
    flows = sorted({name for terms in stocks.values() for _, name in terms})
    dt = model.control["time_step"]
    params = sd_model.load_scenario(scenario).parameters
    frame = model.run_variables(params, variables=list(stocks) + flows, saveper=dt)
    for stock, terms in stocks.items():
        net = sum(sign * frame[name].to_numpy() for sign, name in terms)
        rebuilt = frame[stock].iloc[0] + np.concatenate([[0.0], np.cumsum(net[:-1] * dt)])
        scale = max(1.0, frame[stock].abs().max())
        assert np.abs(rebuilt - frame[stock].to_numpy()).max() <= 1e-9 * scale * len(frame), stock


@pytest.mark.parametrize("scenario", ["no_follow_up", "baseline"])
def test_people_are_conserved(model, scenario):
    """Nobody is made or lost: those awaiting and those relocated make the target; the households' people,
    counted by age and by where they live, are the same people; and where they live changes only by
    births, deaths and the relocated moving in."""
    params = sd_model.load_scenario(scenario).parameters | {"second_relocation_round": 40_000}
    places = ["Settling In", "Integrated Residents", "Back at the Origin", "Moved Away"]
    ages = ["Children", "Working Age", "Elderly"]
    variables = [
        "Awaiting Relocation",
        "Relocated to Date",
        "relocation target in force",
        *places,
        *ages,
        "births",
        "deaths",
    ]
    dt = model.control["time_step"]
    frame = model.run_variables(params, variables=variables, saveper=dt)
    registered = frame["Awaiting Relocation"] + frame["Relocated to Date"]  # moved by registration only
    before = frame.index < params.get("policy_year", 2026) - 1
    np.testing.assert_allclose(registered[before], model.constants["relocation target historical"], rtol=1e-12)
    assert (registered <= frame["relocation target in force"] * (1 + 1e-12)).all()
    assert frame["relocation target in force"].iloc[-1] == model.constants["relocation target historical"] + 40_000
    assert registered.iloc[-1] == pytest.approx(
        frame["relocation target in force"].iloc[-1], rel=1e-4
    )  # registration closes the gap exponentially
    np.testing.assert_allclose(frame[ages].sum(axis=1), frame[places[:3]].sum(axis=1), rtol=1e-12)
    natural = np.concatenate([[0.0], np.cumsum((frame["births"] - frame["deaths"]).to_numpy()[:-1] * dt)])
    np.testing.assert_allclose(frame[places].sum(axis=1), frame["Relocated to Date"] + natural, rtol=1e-10)


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
