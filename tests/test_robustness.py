"""Robustness: targets as data, shares that equal a direct count, PRIM on planted boxes, the CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sd_model
from robustness import analysis as rob
from robustness.experiments import futures
from robustness.targets import TARGETS_FILE, read_targets

from .commands import run_module


@pytest.fixture(scope="module")
def targets(model):
    return read_targets(model=model)


def test_the_default_targets_read_as_declared(targets):
    by_name = {t.name: t for t in targets}
    assert set(by_name) == {"employment", "relapse", "staying", "income"}
    assert (
        by_name["employment"].at_least
        and by_name["employment"].threshold == 0.9
        and by_name["employment"].start == "policy_year"
    )
    assert not by_name["relapse"].at_least and by_name["relapse"].aggregate == "max"
    assert by_name["staying"].relative_to == 2025 and by_name["income"].per == "monitoring_line"
    assert all(t.label_zh and t.short_zh and t.why for t in targets)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('output = "employment_rate"', 'output = "employment"', "is not an output of the model"),
        ('aggregate = "max"', 'aggregate = "mean"', "aggregate must be one of"),
        ("at_least = 0.90", "at_least = 0", "threshold must be a non-zero number"),
        ("at_most = 0.03", "at_most = 0.03\nat_least = 0.01", "exactly one of at_least and at_most"),
        ("to = 2035", "to = 2050", "within 2015-2035"),
        ("[[targets]]", "[targets", "not valid TOML"),
    ],
)
def test_a_bad_targets_file_is_refused_naming_the_problem(tmp_path, model, old, new, message):
    text = TARGETS_FILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "targets.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        read_targets(path, model)


def test_the_robustness_share_equals_a_direct_count(model, targets):
    """On 30 futures, run one by one with sd_model.run, count the futures that meet each target."""
    levers = {"training_coverage": 0.7, "support_taper_start": 2028}
    table = rob.robustness(levers, n=30, seed=5).set_index("target")
    worlds = futures(30, 5)
    met = {t.name: 0 for t in targets} | {"all": 0}
    for _, future in worlds.iterrows():
        run = sd_model.run(future.to_dict() | levers)
        ok = {
            "employment": run.loc[2026:2035, "employment_rate"].min() >= 0.9,
            "relapse": run.loc[2026:2035, "relapse_risk_share"].max() <= 0.03,
            "staying": run.loc[2035, "relocated_population"] / run.loc[2025, "relocated_population"] >= 0.95,
            "income": run.loc[2030, "income_per_capita"] / run.loc[2030, "monitoring_line"] >= 2.0,
        }
        for name, value in ok.items():
            met[name] += bool(value)
        met["all"] += all(ok.values())
    for name, count in met.items():
        assert table.loc[name, "share_met"] == pytest.approx(count / 30), name
    assert table.loc["all", "cost_median"] == pytest.approx(
        np.median(
            [sd_model.run(f.to_dict() | levers).loc[2035, "cumulative_fiscal_cost"] for _, f in worlds.iterrows()]
        )
    )


def test_withdrawing_support_is_less_robust_than_sustaining_it_and_regret_is_relative(model):
    names = ["support_sustained", "baseline", "support_withdrawn"]
    scenarios = {name: sd_model.load_scenario(name).parameters for name in names}
    table = rob.robustness(scenarios=scenarios, n=400, seed=1)
    share = table[table["target"] == "all"].set_index("scenario")["share_met"]
    assert share["support_sustained"] > share["baseline"] > share["support_withdrawn"]
    employment = table[table["target"] == "employment"].set_index("scenario")
    assert employment.loc["support_sustained", "share_met"] - employment.loc["support_withdrawn", "share_met"] > 0.3
    assert (table["regret_mean"] >= 0).all()
    cost = table[table["target"] == "all"].set_index("scenario")["cost_median"]
    assert cost["support_withdrawn"] < cost["baseline"] < cost["support_sustained"]  # holding costs money


def test_prim_recovers_a_box_planted_in_synthetic_data():
    """Misses planted where x1 < 0.3 and x2 > 0.6 (90 % of those, 2 % elsewhere) among 8 uniform inputs."""
    rng = np.random.default_rng(3)
    worlds = pd.DataFrame(rng.random((3000, 8)), columns=[f"x{i}" for i in range(8)])
    inside = (worlds["x1"] < 0.3) & (worlds["x2"] > 0.6)
    miss = np.where(inside, rng.random(3000) < 0.9, rng.random(3000) < 0.02)
    box = rob.prim_box(worlds, miss)
    assert set(box["limits"]) == {"x1", "x2"}
    high1 = box["limits"]["x1"][1]
    low2 = box["limits"]["x2"][0]
    assert high1 == pytest.approx(0.3, abs=0.05) and low2 == pytest.approx(0.6, abs=0.05)
    assert box["coverage"] >= 0.8 and box["density"] >= 0.75
    assert rob.prim_box(worlds, np.zeros(3000, dtype=bool)) is None  # nothing to describe


def test_cli_writes_robustness_boxes_report_and_charts(tmp_path):
    out = tmp_path / "rob"
    done = run_module(
        "robustness", "--scenarios", "baseline,support_withdrawn", "--n", "300", "--out", str(out), timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "support_withdrawn" in done.stdout
    table = pd.read_csv(out / "robustness.csv")
    assert {"scenario", "target", "share_met"} <= set(table.columns)
    boxes = pd.read_csv(out / "boxes.csv")
    assert {"scenario", "box", "coverage", "density", "parameter", "low", "high"} <= set(boxes.columns)
    assert boxes["sentence"].str.contains("misses").all()
    for name in (
        "report.md",
        "manifest.json",
        "share_met.png",
        "share_met.html",
        "cost.png",
        "peeling.png",
        "peeling.html",
    ):
        assert (out / name).is_file(), name
    bad = run_module("robustness", "--scenarios", "nope", "--n", "50", "--out", str(tmp_path / "x"), timeout=120)
    assert bad.returncode == 2 and "unknown scenario 'nope'" in bad.stderr and "Traceback" not in bad.stderr


def test_optimize_finds_a_front_that_dominates_or_matches_the_named_scenarios_and_writes_scenarios(tmp_path):
    """A small search (60 futures, population 12, 6 generations): a non-dominated front, written as CSV,
    chart and one scenario per member that the explorer can open; every front member at least as
    good as the baseline on one objective."""
    from robustness.optimize import hypervolume, optimize, write_front

    result = optimize(n=60, population=12, generations=6, seed=2)
    front = result["front"]
    assert len(front) >= 2 and result["generations"] == 6 and not result["converged"]
    costs, shares = front["cost_median"].to_numpy(), front["share_all"].to_numpy()
    for i in range(len(front)):  # no member dominated by another
        assert not np.any((costs <= costs[i]) & (shares >= shares[i]) & ((costs < costs[i]) | (shares > shares[i])))
    history = result["history"]["hypervolume"]
    assert (np.diff(history) >= -1e-12).all()  # NSGA-II keeps its elite: the front never loses ground
    assert hypervolume(np.array([[0.0, 1.0]]), 1.0) == pytest.approx(1.0)
    write_front(result, tmp_path)
    written = pd.read_csv(tmp_path / "front.csv")
    assert list(written["member"]) == [f"front_{i + 1:02d}" for i in range(len(front))]
    for name in ("front.png", "front.html", "history.csv", "manifest.json"):
        assert (tmp_path / name).is_file(), name
    scenario = sd_model.load_scenario(tmp_path / "scenarios" / "front_01.toml")
    assert set(scenario.parameters) <= {p.name for p in sd_model.parameters("lever")}


def test_the_bundled_front_is_current_and_converged(model):
    import json

    manifest = json.loads((rob.BUNDLED_FRONT_DIR / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["model_digest"] == model.digest, "run `python -m robustness optimize --bundle`"
    assert manifest["converged"] is True
    front = pd.read_csv(rob.BUNDLED_FRONT_DIR / "front.csv")
    for member in front["member"]:
        sd_model.load_scenario(rob.BUNDLED_FRONT_DIR / "scenarios" / f"{member}.toml")  # valid scenario files
    # the front holds a setting at least as robust as the baseline at no more cost
    baseline = rob.robustness(n=manifest["n"], seed=manifest["seed"]).set_index("target").loc["all"]
    cheaper = front[front["cost_median"] <= baseline["cost_median"]]
    assert (cheaper["share_all"] >= baseline["share_met"]).any()


def test_one_experiment_for_every_caller(model, targets):
    """Settings x futures: setting i in future j is run i * futures + j, each lever a setting leaves out
    at its default, each run's policy year its setting's; the robustness comparison reads it."""
    from robustness.experiments import run_experiment

    worlds = futures(5, 2)
    settings = [{"training_coverage": 0.6}, {"policy_year": 2029, "outside_jobs_per_worker": 0.4}]
    experiment = run_experiment(settings, worlds, ["employment_rate"])
    assert (experiment.settings, experiment.futures) == (2, 5)
    assert experiment.policy_year.tolist() == [2026] * 5 + [2029] * 5
    for i, params in enumerate(settings):
        alone = sd_model.run_batch(worlds.assign(**params), outputs=["employment_rate"])
        np.testing.assert_array_equal(
            experiment.data["employment_rate"].values[i * 5 : (i + 1) * 5], alone["employment_rate"].values
        )
    assert experiment.per_setting(np.arange(10)).tolist() == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    frame = rob.evaluate(dict(enumerate(settings)), worlds, targets)
    pd.testing.assert_frame_equal(
        frame[[t.name for t in targets]],
        run_experiment(settings, worlds, ["employment_rate", *rob.target_outputs(targets)]).margins(targets),
    )
