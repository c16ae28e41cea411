"""The Bayesian calibration: observations, the bundled posterior, draws, and a simulation-based check."""

from __future__ import annotations

import json

import numpy as np
import pytest

import calibration
import sd_model
from calibration import posterior as post
from calibration.observations import CALIBRATION_FILE, model_values, needed_outputs, read_observations
from calibration.report import identification, predictive


@pytest.fixture(scope="module")
def observations(model):
    return read_observations(output_names=model.output_names)


def test_every_observation_reads_its_figure_from_the_reference_data(observations):
    by_name = {o.name: o for o in observations}
    assert by_name["relocated_by_2020"].value == 710_000
    assert by_name["employment_2022"].value == pytest.approx(0.9446)
    assert by_name["urbanization_after_census_2020"].value == pytest.approx(0.542)
    assert {o.role for o in observations} == {"target", "holdout"}
    assert all(o.sd > 0 and o.why and o.source for o in observations)
    # every figure of the calibration table of models/README.md that is a target or a holdout
    assert len([o for o in observations if o.role == "target"]) == 15
    assert {o.name for o in observations if o.role == "holdout"} == {
        "hechi_income_2022",
        "employed_2021",
        "local_jobs_2018",
    }


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('role = "target"', 'role = "goal"', "role must be one of"),
        (
            'quantity = "people relocated (13th Five-Year Plan)"',
            'quantity = "people moved"',
            "rows of the facts files",
        ),
        ("rel_sd = 0.01", "rel_sd = -0.01", "observation error must be a positive number"),
        ('output = "relocated_to_date"', 'output = "relocated_today"', "is not an output of the model"),
        ("years = [2020, 2021, 2022]", "years = [2020, 2030]", "has no figure for"),
        ("[[observations]]", "[[observations", "not valid TOML"),
    ],
)
def test_a_bad_calibration_file_is_refused_naming_the_problem(tmp_path, model, old, new, message):
    text = CALIBRATION_FILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "calibration.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        read_observations(path, model.output_names)


def test_screening_finds_exactly_the_parameters_that_act_only_after_the_policy_year(model, observations):
    informed, prior_only = post.screen(model, observations)
    assert {p.name for p in prior_only} == {
        "support_dependence_of_industry_jobs",
        "outside_demand_shock_depth",
        "outside_demand_shock_year",
        "county_support_budget",  # the budget cap is off before the policy year
        "fiscal_share_of_eligible_assets",  # it moves only the cost, which no target reads
    }
    assert len(informed) + len(prior_only) == len(post.calibrated_parameters(model)) == 66


def test_the_bundled_posterior_is_current_converged_and_named_as_the_parameter_table(model):
    idata = post.read_posterior(model=model)  # raises when the model or the observations changed
    manifest = json.loads((post.BUNDLED_DIR / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["converged"] is True
    assert manifest["model_digest"] == model.digest
    table = model.parameter_table
    assert all(name in table and table[name].kind in post.CALIBRATED_KINDS for name in idata.posterior.data_vars)
    for name in idata.posterior.data_vars:
        values = idata.posterior[name].values
        assert table[name].low <= values.min() and values.max() <= table[name].high, name
    assert (post.BUNDLED_DIR / "report.md").read_text(encoding="utf-8").count("| target |") == 15


def test_a_stale_posterior_is_refused_with_the_command_that_renews_it(tmp_path, model):
    idata = post.arviz().from_netcdf(str(post.BUNDLED_DIR / post.DRAWS_FILE))
    idata.attrs["model_digest"] = "0" * 64
    idata.to_netcdf(str(tmp_path / post.DRAWS_FILE))
    with pytest.raises(post.StalePosteriorError, match="python -m calibration --posterior --bundle"):
        post.posterior_draws(10, folder=tmp_path, model=model)
    with pytest.raises(post.StalePosteriorError, match="no posterior draws"):
        post.posterior_draws(10, folder=tmp_path / "missing", model=model)


def test_posterior_draws_cover_every_calibrated_parameter_and_run(model):
    draws = calibration.posterior_draws(500, seed=1)
    assert list(draws.columns) == [p.name for p in post.calibrated_parameters(model)]
    assert len(draws) == 500 and draws.notna().all().all()
    assert draws.equals(calibration.posterior_draws(500, seed=1))
    # a prior-only parameter is uniform over its range; an identified one is narrow
    shock = model.parameter_table["outside_demand_shock_depth"]
    assert draws["outside_demand_shock_depth"].between(shock.low, shock.high).all()
    assert draws["outside_demand_shock_depth"].std() > 0.2 * (shock.high - shock.low)
    rate = model.parameter_table["rural_urban_migration_rate"]
    assert draws["rural_urban_migration_rate"].std() < 0.1 * (rate.high - rate.low)
    results = sd_model.run_batch(draws, outputs=["employment_rate"], model=model)
    assert np.isfinite(results["employment_rate"].values[:, 1:]).all()  # 2015: nobody at the sites, missing
    with pytest.raises(ValueError, match="positive whole number"):
        calibration.posterior_draws(0)


def test_the_posterior_fits_the_targets_better_than_the_full_ranges(model, observations):
    """Each target's published figure lies in the posterior predictive 90 % interval, and the
    posterior's model values lie closer to the figures than those of draws over the full ranges."""
    idata = post.read_posterior(model=model)
    prior_only = [model.parameter_table[n] for n in json.loads(idata.attrs["prior_only"])]
    fitted = post.Posterior(idata, prior_only, None, True, 0.0)
    table = predictive(fitted, observations, n=1000, model=model)
    assert table.loc[table["role"] == "target", "inside"].all(), table[["observed", "pred_q05", "pred_q95"]]
    targets = [o for o in observations if o.role == "target"]
    sd = np.array([o.sd for o in targets])
    observed = np.array([o.value for o in targets])

    def mean_square_error(samples):
        data = sd_model.run_batch(samples, outputs=needed_outputs(targets), final_time=2022, model=model)
        return np.mean(np.square((model_values(data, targets) - observed) / sd))

    from explorer.ensemble import uncertainty_samples

    assert mean_square_error(calibration.posterior_draws(1000, seed=2)) < 0.2 * mean_square_error(
        uncertainty_samples(1000, 2, "ranges")
    )
    ident = identification(fitted, model)
    assert set(ident.loc[ident["verdict"] == "identified"].index) >= {
        "rural_urban_migration_rate",
        "site_construction_time_historical",
    }


def test_simulation_based_calibration_recovers_known_parameters(model, observations):
    """Synthetic figures from known parameters (a posterior draw, with observation noise), calibrated
    again: the known values fall inside the 90 % posterior intervals at about the nominal rate.

    Two replications of a small calibration (200 particles, 2 runs side by side); ``benchmarks/sbc_posterior.py``
    runs more replications with the full settings and prints the rank statistics.
    """
    targets = [o for o in observations if o.role == "target"]
    sd = np.array([o.sd for o in targets])
    rng = np.random.default_rng(7)
    truths = calibration.posterior_draws(2, seed=11)
    inside, identified_inside = [], []
    for i, truth in truths.iterrows():
        data = sd_model.run_batch(truth.to_frame().T, outputs=needed_outputs(targets), final_time=2022, model=model)
        synthetic = model_values(data, targets)[0] + rng.standard_normal(len(targets)) * sd
        fitted = post.calibrate_posterior(particles=200, runs=2, seed=100 + i, workers=2, values=synthetic, model=model)
        draws = fitted.draws()
        low, high = draws.quantile(0.05), draws.quantile(0.95)
        for name in fitted.names:
            hit = bool(low[name] <= truth[name] <= high[name])
            inside.append(hit)
            prior = model.parameter_table[name]
            if draws[name].var() < 0.5 * (prior.high - prior.low) ** 2 / 12:  # identified
                identified_inside.append(hit)
    coverage = np.mean(inside)
    assert 0.75 <= coverage <= 1.0, f"coverage of the 90 % intervals {coverage:.2f} over {len(inside)} intervals"
    assert identified_inside and np.mean(identified_inside) >= 0.6, identified_inside


def test_calibrate_posterior_checks_its_arguments(model, observations):
    with pytest.raises(ValueError, match="runs must be a whole number of at least 2"):
        post.calibrate_posterior(runs=1, model=model, observations=observations)
    with pytest.raises(ValueError, match="particles must be"):
        post.calibrate_posterior(particles=10, model=model, observations=observations)
    with pytest.raises(ValueError, match="one figure per target"):
        post.calibrate_posterior(particles=200, runs=2, values=[1.0, 2.0], model=model, observations=observations)


def test_posterior_bands_are_narrower_than_the_full_ranges_where_the_data_speak():
    from explorer.ensemble import bands

    posterior_bands, full = bands({}, n=200, source="posterior"), bands({}, n=200, source="ranges")

    def width(table, kpi, year):
        row = table[(table["kpi"] == kpi) & (table["year"] == year)].iloc[0]
        return row["q95"] - row["q05"]

    assert width(posterior_bands, "urbanization_rate", 2022) < 0.3 * width(full, "urbanization_rate", 2022)
    assert width(posterior_bands, "relocated_population", 2020) < 0.5 * width(full, "relocated_population", 2020)
    with pytest.raises(ValueError, match="source must be one of"):
        bands({}, n=10, source="prior")


def test_models_readme_gives_the_bundled_posterior():
    import pandas as pd

    from calibration.report import readme_table
    from sd_model.paths import MODELS_DIR

    table = readme_table(pd.read_csv(post.BUNDLED_DIR / "parameters.csv", index_col="parameter"))
    assert table in (MODELS_DIR / "README.md").read_text(encoding="utf-8"), (
        "run `python -m calibration --readme-table` and paste into models/README.md"
    )
