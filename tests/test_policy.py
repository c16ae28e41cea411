"""The model as a policy instrument: levers from the policy year, rankings that hold, cost, shocks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import qmc

import sd_model
from sd_model import costs

POLICY_YEAR = 2026
SITES = "relocated_population"


def test_every_lever_alone_changes_nothing_before_the_policy_year():
    model = sd_model.default_model()
    levers = [p for p in model.parameters if p.kind == "lever" and p.name != "policy_year"]
    rows = [{}] + [{p.name: bound} for p in levers for bound in (p.low, p.high)]
    for year in (POLICY_YEAR, 2020):
        frame = pd.DataFrame([row | {"policy_year": year} for row in rows]).fillna(model.defaults())
        dataset = sd_model.run_batch(frame, outputs=model.output_names, progress=False)
        before = dataset.sel(year=slice(None, year - 1))
        for output in model.output_names:
            values = before[output].values
            same = (values == values[0]) | (np.isnan(values) & np.isnan(values[0]))  # missing where nobody lives
            assert same.all(), f"{output} moves before {year}"
        after = dataset.sel(year=year)
        moved = sum(not np.allclose(after[o].values[1:], after[o].values[0]) for o in model.output_names)
        assert moved > 10, f"levers from {year} move only {moved} outputs in that year"


def test_policy_year_2016_replays_the_programme_as_a_counterfactual():
    baseline = sd_model.run()
    counterfactual = sd_model.run(sd_model.load_scenario("no_follow_up").parameters)
    assert sd_model.load_scenario("no_follow_up").parameters["policy_year"] == 2016
    assert counterfactual.loc[2016, "employment_rate"] < baseline.loc[2016, "employment_rate"]
    assert counterfactual.loc[2020, "employment_rate"] < baseline.loc[2020, "employment_rate"] - 0.1


def scenario_sites(names):
    return {n: sd_model.run(sd_model.load_scenario(n).parameters).loc[2035, SITES] for n in names}


def test_staying_put_ranks_right():
    sites = scenario_sites(["integrated_governance", "baseline", "no_follow_up"])
    assert sites["integrated_governance"] >= sites["baseline"] >= sites["no_follow_up"], sites
    support = scenario_sites(["support_sustained", "baseline", "support_tapered", "support_withdrawn"])
    ordered = [support[n] for n in ("support_sustained", "baseline", "support_tapered", "support_withdrawn")]
    assert ordered == sorted(ordered, reverse=True), support


@pytest.mark.parametrize(
    "lever",
    [
        "public_service_access",
        "industry_jobs_per_worker",
        "tourism_jobs_per_worker",
        "public_welfare_jobs_per_worker",
        "entrepreneurship_support",
        "training_coverage",
        "community_governance",
        "market_capital",
        "resource_pooling",
    ],
)
def test_services_jobs_and_training_never_lower_people_at_the_sites(lever):
    """Over the lever's range, in 30 futures drawn over every uncertainty, and from 2016 or 2026."""
    model = sd_model.default_model()
    p = model.parameter_table[lever]
    uncertainties = [q for q in model.parameters if q.kind == "uncertainty"]
    unit = qmc.LatinHypercube(d=len(uncertainties), seed=11).random(30)
    futures = qmc.scale(unit, [q.low for q in uncertainties], [q.high for q in uncertainties])
    levels = np.linspace(p.low, p.high, 6)
    for policy_year in (2016, POLICY_YEAR):
        rows = [
            dict(zip((q.name for q in uncertainties), future, strict=True)) | {lever: level, "policy_year": policy_year}
            for future in futures
            for level in levels
        ]
        sites = sd_model.run_batch(pd.DataFrame(rows), outputs=[SITES], progress=False)[SITES].values[:, -1]
        steps = np.diff(sites.reshape(len(futures), len(levels)), axis=1)
        assert (steps >= -1e-6 * sites.max()).all(), (
            f"{lever} from {policy_year}: people at the sites fall by {-steps.min():.0f}"
        )


def test_local_job_levers_raise_local_employment_and_income():
    baseline = sd_model.run()
    for lever, value in [
        ("industry_jobs_per_worker", 0.6),
        ("tourism_jobs_per_worker", 0.25),
    ]:  # public-welfare posts are a stock of their own, not local jobs (tests/test_mechanisms.py)
        run = sd_model.run({lever: value})
        assert run.loc[2030, "employed_locally"] > baseline.loc[2030, "employed_locally"] * 1.05, lever
        assert run.loc[2030, "income_per_capita"] > baseline.loc[2030, "income_per_capita"], lever
        assert run.loc[2030, "employed_outside"] <= baseline.loc[2030, "employed_outside"], lever  # people come home


def test_jobs_bind_where_they_are_short():
    """With outside jobs scarce, local jobs raise the employment rate itself."""
    scarce = {"outside_jobs_per_worker": 0.3}
    low, high = sd_model.run(scarce), sd_model.run(scarce | {"industry_jobs_per_worker": 0.6})
    assert high.loc[2030, "employment_rate"] > low.loc[2030, "employment_rate"] + 0.05


def test_relapse_risk_responds_to_policy_and_shocks():
    baseline = sd_model.run()
    shock = sd_model.run({"outside_demand_shock_depth": 0.4, "outside_demand_shock_year": 2028})
    assert shock.loc[2028, "relapse_risk_share"] > baseline.loc[2028, "relapse_risk_share"] + 0.001  # +0.1 pp or more
    assert shock.loc[2028, "employed_outside"] < baseline.loc[2028, "employed_outside"] * 0.8
    assert shock.loc[:2026].equals(baseline.loc[:2026])  # the shock starts in 2028
    withdrawn = sd_model.run(sd_model.load_scenario("support_withdrawn").parameters)
    assert withdrawn.loc[2030, "relapse_risk_share"] > baseline.loc[2030, "relapse_risk_share"]
    assistance = sd_model.run({"assistance_without_a_worker": 8000})
    assert assistance.loc[2030, "relapse_risk_share"] < baseline.loc[2030, "relapse_risk_share"]
    # not zero by construction: households without a worker stay at risk as the cohort ages
    assert baseline.loc[2035, "relapse_risk_share"] > 0.005
    assert baseline.loc[2035, "share_without_a_worker"] > baseline.loc[2025, "share_without_a_worker"]


def test_cumulative_fiscal_cost_counts_from_the_policy_year():
    model = sd_model.default_model()
    frame = model.run_variables(variables=["fiscal cost", "Cumulative Fiscal Cost"], saveper=model.control["time_step"])
    t = frame.index.to_numpy()
    assert (frame.loc[t <= POLICY_YEAR - 1, "Cumulative Fiscal Cost"] == 0).all()
    spent = (frame["fiscal cost"].to_numpy()[:-1] * (t[:-1] > POLICY_YEAR - 1) * model.control["time_step"]).sum()
    assert frame["Cumulative Fiscal Cost"].iloc[-1] == pytest.approx(spent, rel=1e-9)


def test_cost_effectiveness_equals_two_runs_by_hand():
    params = {"training_coverage": 0.6, "outside_jobs_per_worker": 0.5}
    result = sd_model.cost_effectiveness(params)
    run = sd_model.run(params)
    reference = sd_model.run({"outside_jobs_per_worker": 0.5})  # same assumption, levers at default
    years = slice(POLICY_YEAR, None)
    cost = run["cumulative_fiscal_cost"].iloc[-1] - reference["cumulative_fiscal_cost"].iloc[-1]
    employed = (run["employed_labour"] - reference["employed_labour"]).loc[years].sum()
    assert result["extra_cost_yuan"] == pytest.approx(cost, rel=1e-12)
    assert result["employed_person_years"] == pytest.approx(employed, rel=1e-12)
    assert result["yuan_per_employed_person_years"] == pytest.approx(cost / employed, rel=1e-12)
    assert cost > 0 and employed > 0


def test_what_a_yuan_buys_covers_every_costly_lever_and_matches_single_runs():
    model = sd_model.default_model()
    table = sd_model.what_a_yuan_buys()
    assert set(table.index) == {p.name for p in model.parameters if p.costs_public_money}
    row = table.loc["training_coverage"]
    by_hand = costs.effects(sd_model.run({"training_coverage": row["to"]}), sd_model.run(), POLICY_YEAR)
    for name, value in by_hand.items():
        assert row[name] == pytest.approx(value, rel=1e-9), name
    assert (table["extra_cost_yuan"] > 0).all()
    with pytest.raises(ValueError, match="share must be in"):
        sd_model.what_a_yuan_buys(share=0)


def test_support_taper_cuts_cost_and_support_from_its_start():
    baseline = sd_model.run()
    sustained = sd_model.run(sd_model.load_scenario("support_sustained").parameters)
    assert sustained.loc[:2025].equals(baseline.loc[:2025])
    assert sustained.loc[2030, "fiscal_cost"] > baseline.loc[2030, "fiscal_cost"]
    assert sustained.loc[2030, "employed_locally"] > baseline.loc[2030, "employed_locally"]
