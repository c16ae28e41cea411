"""The model split by site type and place (sd_model.split, models/sites.toml): written from the
unsplit model and the place file, the same model when every type is alike, its provincial values the
sums over the sites at every step, each type's own mechanism moving that type, a user's place file run
from the command line, a malformed one refused naming the row; PySD's own run and the compiled engine
agree on it."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

import sd_model
from diagrams.mdl import read_equations
from sd_model import split
from sd_model.paths import ROOT

#: Provincial outputs that are sums over the sites (Vensim names).
SUMS = ("relocated population", "labour force", "Employed Labour", "fiscal cost", "Share Capital", "Moved Away")

COUNTIES = """place_id,name_en,name_zh,people_relocated,people_source,income_per_person,income_period,income_source
east,East County,东县,12000,made up for a test,11000,2022,made up for a test
west,West County,西县,8000,made up for a test,,,
north,North County,北县,5000,made up for a test,,,
"""


@pytest.fixture(scope="module")
def model():
    return sd_model.load_model(split.SPLIT_MDL)


@pytest.fixture(scope="module")
def run(model):
    return model.run()


def _columns(model, vensim_name: str) -> list[str]:
    return [o.name for o in model.outputs if o.vensim_name == vensim_name]


def test_the_shipped_split_model_is_what_the_generator_writes(tmp_path):
    written = split.write_split(out=tmp_path / "relocation_sites.mdl")
    copies = [f"{folder}/{p.name}" for folder in split.BESIDE_FOLDERS for p in (written.parent / folder).glob("*.toml")]
    assert len(copies) >= 9
    for name in (split.SPLIT_MDL.name, "model.toml", split.PLACES_BESIDE, "targets.toml", "calibration.toml", *copies):
        shipped = (split.SPLIT_DIR / name).read_text(encoding="utf-8")
        fresh = (written.parent / name).read_text(encoding="utf-8")
        assert shipped == fresh, f"{name} is stale: python -m sd_model split"


def test_the_project_s_scenarios_and_stories_read_on_the_split_model(model):
    from explorer import stories

    names = sd_model.scenario_names(model)
    assert "asset_income_reform" in names and names == sd_model.scenario_names()
    for name in names:
        scenario = sd_model.load_scenario(name, model)
        model.validate(scenario.parameters, where=name)
    found, bad = stories.load_stories(model, split.SPLIT_DIR / "stories")
    assert found and not bad


def test_the_split_model_s_calibration_reads_the_places_own_figures(model):
    from calibration.observations import calibration_file, read_observations

    observations = {o.name: o for o in read_observations(calibration_file(model), model.output_names)}
    hechi = observations["hechi_income_per_person_2022"]
    assert (hechi.role, hechi.output, hechi.year, hechi.value) == ("target", "income_per_capita_by_place[hechi]",
                                                                   2022, 12_156)  # fmt: skip
    assert "chinadaily" in hechi.source and hechi.sd == pytest.approx(1215.6)
    assert "hechi_income_2022" not in observations  # the province against Hechi's figure: replaced
    assert observations["income_2022"].output == "income_per_capita"  # the province's targets read the province


def test_a_place_factor_moves_its_place_and_keeps_the_provincial_mean(model, run):
    low = model.run({"place_wage_factor[hechi]": 0.7})
    income = "income_per_capita_by_place[{}]"
    assert low.loc[2022, income.format("hechi")] < run.loc[2022, income.format("hechi")] * 0.92
    assert low.loc[2022, income.format("baise")] > run.loc[2022, income.format("baise")]
    assert low.loc[2022, "income_per_capita"] == pytest.approx(run.loc[2022, "income_per_capita"], rel=0.002)


def test_the_split_model_s_metadata_labels_each_site_and_keeps_the_kpis(model):
    assert model.kpis == sd_model.default_model().kpis
    weight = model.parameter_table["site_type_weight[village]"]
    assert (weight.kind, weight.low, weight.high, weight.default) == ("uncertainty", 0.02, 0.7, 0.15)
    assert weight.label_en.endswith("(village)")
    jobs = {kind: model.parameter_table[f"site_jobs_factor[{kind}]"] for kind in ("village", "industrial_park")}
    assert [(p.low, p.default, p.high) for p in jobs.values()] == [(0.25, 0.5, 1.0), (0.8, 1.6, 3.2)]  # half to twice
    outputs = {o.name: o for o in model.outputs}
    rate = outputs["employment_rate_by_site[baise,town]"]
    assert rate.per_person and rate.label_en == "Employment rate of relocated labour by site (baise, town)"
    assert "town_resettlement_share" not in model.parameter_table
    assert sum(name.startswith("employment_rate_by_site[") for name in outputs) == 12


def test_only_the_sites_equations_are_subscripted_and_the_province_stocks_stay_one():
    text = split.SPLIT_MDL.read_text(encoding="utf-8")
    assert re.search(r"^Urban Residents=", text, re.M) and re.search(r"^policy switch=", text, re.M)
    assert re.search(r"^Settling In by site\[place, site type\]=", text, re.M)
    assert re.search(r"^relocation\[place, site type\]=", text, re.M)
    assert not re.search(r"^town resettlement share\s*=", text, re.M)  # each site reads its type's own value
    assert not any("town resettlement share" in e.expression for e in read_equations(split.SPLIT_MDL))


def test_provincial_values_are_the_sums_over_the_sites_at_every_step(model, run):
    for name in SUMS:
        (total,) = _columns(model, name)
        sites = _columns(model, f"{name} by site")
        assert len(sites) == 3 * 4
        np.testing.assert_allclose(run[sites].sum(axis=1), run[total], rtol=1e-12, atol=1e-6)
    # a rate: the ratio of the sums
    employed = run[_columns(model, "Employed Labour by site")].to_numpy().sum(axis=1)
    labour = run[_columns(model, "labour force by site")].to_numpy().sum(axis=1)
    (rate,) = _columns(model, "employment rate")
    np.testing.assert_allclose(run[rate].to_numpy()[1:], employed[1:] / labour[1:], rtol=1e-12)


def test_places_share_the_people_as_the_place_file_says(model, run):
    people = split.read_places().people_relocated
    relocated = run.filter(like="relocated_to_date_by_site[").iloc[-1]
    by_place = {p: sum(v for k, v in relocated.items() if k.split("[")[1].startswith(p + ",")) for p in people.index}
    np.testing.assert_allclose(
        np.array(list(by_place.values())) / sum(by_place.values()), (people / people.sum()).to_numpy(), rtol=1e-12
    )


def test_with_every_type_alike_the_split_model_is_the_unsplit_one(tmp_path):
    text = split.SITES_FILE.read_text(encoding="utf-8")
    text = re.sub(r"values = \[[^\]]*\]", "values = [1, 1, 1, 1]", text)
    text = text.replace('source_model = "relocation.mdl"', f'source_model = "{sd_model.MODEL_FILE.as_posix()}"')
    (tmp_path / "sites.toml").write_text(text, encoding="utf-8")
    mdl = tmp_path / "alike.mdl"
    mdl.write_text(split.split_text(sites_file=tmp_path / "sites.toml"), encoding="utf-8")
    alike = sd_model.load_model(mdl).run()
    unsplit_model = sd_model.default_model()
    unsplit = unsplit_model.run()
    compared = 0
    for output in unsplit_model.outputs:
        column = re.sub(r"\W+", "_", output.vensim_name.lower()).strip("_")
        if column not in alike:
            continue
        a, b = unsplit[output.name].to_numpy(), alike[column].to_numpy()
        scale = max(np.nanmax(np.abs(a)), 1e-300)
        assert np.nanmax(np.abs(a - b)) / scale < 1e-13, output.name
        compared += 1
    assert compared >= 40


def test_a_type_s_own_mechanism_moves_that_type_most(model):
    base = model.run()
    more = model.run({"site_jobs_factor[village]": 1.0})  # village sites get as many jobs as towns
    rate = "employment_rate_by_site[hechi,{}]"
    moved = {t: more[rate.format(t)].iloc[-1] - base[rate.format(t)].iloc[-1] for t in split.SITE_TYPES}
    assert moved["village"] > 0.01
    assert moved["village"] == max(moved.values(), key=abs)


def test_a_lever_targeted_at_one_site_moves_that_site_most_and_only_from_the_policy_year(model):
    base = model.run()
    targeted = model.run({"industry_jobs_per_worker_at_site[hechi,village]": 0.3})
    year = model.parameter_table["policy_year"].default
    columns = [c for c in base.columns if c.startswith("employment_rate_by_site[")]
    moved = (targeted[columns].iloc[-1] - base[columns].iloc[-1]).abs()
    assert moved.idxmax() == "employment_rate_by_site[hechi,village]" and moved.max() > 0.02
    before = base.index < year
    np.testing.assert_array_equal(targeted.loc[before].to_numpy(), base.loc[before].to_numpy())


@pytest.mark.parametrize("weights", [(0.7, 0.05, 0.02, 0.02), (0.02, 0.02, 0.02, 0.7)])
def test_each_type_dominant_at_its_bound_gives_sensible_outputs(model, weights):
    values = {f"site_type_weight[{t}]": w for t, w in zip(split.SITE_TYPES, weights, strict=True)}
    result = model.run(values)
    assert np.isfinite(result.iloc[1:].to_numpy()).all()  # per-person outputs are NaN in 2015, before anyone moved
    for share in ("employment_rate", "relapse_risk_share", "integrated_share", "urbanization_rate"):
        assert ((result[share].iloc[1:] >= 0) & (result[share].iloc[1:] <= 1)).all(), share
    people = result.filter(like="relocated_population_by_site[").iloc[-1]
    dominant = split.SITE_TYPES[int(np.argmax(weights))]
    assert people[[c for c in people.index if c.endswith(f",{dominant}]")]].sum() > 0.45 * people.sum()


def test_the_compiled_engine_gives_the_numpy_loop_s_numbers_on_the_split_model(model):
    """The first two years (the NumPy loop takes minutes over the whole horizon of twelve sites; the
    unsplit model, which the split one equals when the types are alike, is checked over all of it)."""
    engine, dt, final = model.engine, model.control["time_step"], model.control["initial_time"] + 2
    fast = engine.run(1, {}, final, dt, compiled=True)
    assert [k.backend for k in engine._kernels.values() if k is not None] == ["llvm"]
    slow = engine.run(1, {}, final, dt, compiled=False)
    np.testing.assert_allclose(fast, slow, rtol=1e-11, atol=1e-9)


def test_a_user_place_file_runs_from_the_command_line(tmp_path):
    places = tmp_path / "counties.csv"
    places.write_text(COUNTIES, encoding="utf-8")
    out = tmp_path / "counties_sites.mdl"
    done = subprocess.run(
        [sys.executable, "-m", "sd_model", "split", "--places", str(places), "--out", str(out), "--run"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert sum(line.split()[0] in ("east", "west", "north") for line in lines if line.strip()) == 3
    assert lines[-1].startswith("province")
    assert "place:\n\teast, west, north\n" in out.read_text(encoding="utf-8")


def test_a_malformed_place_file_is_refused_naming_the_row(tmp_path):
    places = tmp_path / "bad.csv"
    places.write_text(COUNTIES.replace("8000,made up", "eight thousand,made up"), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "sd_model", "split", "--places", str(places), "--out", str(tmp_path / "x.mdl")],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().startswith("error: bad.csv row 3, column people_relocated")
    assert "Traceback" not in done.stderr and not (tmp_path / "x.mdl").exists()


def test_a_sites_file_that_does_not_fit_the_model_is_refused(tmp_path):
    text = split.SITES_FILE.read_text(encoding="utf-8").replace('"origin land kept"', '"origin land kep"')
    text = text.replace('source_model = "relocation.mdl"', f'source_model = "{sd_model.MODEL_FILE.as_posix()}"')
    (tmp_path / "sites.toml").write_text(text, encoding="utf-8")
    with pytest.raises(split.SplitError, match="'origin land kep', which is not an equation of the model"):
        split.split_text(sites_file=tmp_path / "sites.toml")


def test_the_split_model_s_bundled_posterior_is_its_own(model):
    from calibration.posterior import posterior_dir, posterior_draws

    assert posterior_dir(model) == split.SPLIT_DIR / "posterior"
    draws = posterior_draws(200, 0, model=model)  # refuses a posterior of another model (its digest)
    assert {"place_wage_factor[hechi]", "site_jobs_factor[village]"} <= set(draws.columns)
    village, drawn = model.parameter_table["site_jobs_factor[village]"], draws["site_jobs_factor[village]"]
    assert village.low <= drawn.min() and drawn.max() <= village.high
    assert draws["place_wage_factor[hechi]"].median() < 1  # Hechi's own income, below the province's
