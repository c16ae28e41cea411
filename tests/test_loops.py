"""Loop dominance from pysimlin, named by models/loops.toml; pysimlin as a third engine equal to PySD."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import sd_model
from sd_model import loop_dominance as lp
from sd_model.words import loop_sentence
from tests import regression

from .commands import run_module


@pytest.fixture(scope="module")
def table():
    return lp.read_loop_table()


@pytest.fixture(scope="module")
def baseline_scores(model, table):
    return lp.loop_scores(model=model, table=table)


def test_every_declared_loop_is_a_loop_of_the_model_with_its_polarity(baseline_scores, table):
    scores, variables = baseline_scores
    polarity = scores.groupby("loop")["polarity"].first()
    for entry in table:
        members = [loop for loop, names in variables.items() if lp.name_of(names, table) is entry]
        assert members, f"{entry.name}: no loop of the model passes through {entry.variables}"
        shortest = min(members, key=lambda loop: len(variables[loop]))
        assert polarity[shortest] == entry.polarity, (
            f"{entry.name}: its loop {variables[shortest]} is {polarity[shortest]}"
        )


@pytest.mark.parametrize("scenario", ["baseline", "support_withdrawn", "livelihood_first"])
def test_every_loop_that_dominates_a_headline_outcome_has_a_name(model, table, scenario):
    scores, variables = lp.loop_scores(sd_model.load_scenario(scenario).parameters, model=model, table=table)
    for output in sd_model.KPIS:
        drivers = lp.loops_of_output(output, variables, model)
        assert drivers, output
        for first, last, names in lp.dominant_periods(lp.name_scores(scores, drivers)):
            assert "unnamed" not in names, f"{scenario}, {output}, {first}-{last}: a dominant loop has no name"
    unnamed = scores.loc[scores["name"] == "", "loop"].unique()
    assert len(unnamed) == 0, [variables[loop] for loop in unnamed]


def test_scores_follow_the_sliders_and_name_the_story(model, table):
    """Withdrawing support from 2026: the loops found in both runs score much the same up to 2024 and
    otherwise after (loops matched by the variables they pass through; pysimlin's ids depend on the run).

    Not the same to the last digit: pysimlin reports the 200 loops that matter most, and with the
    model's 403 equations the two runs report different sets (about 140 of 200 shared), while a loop's
    relative score is its share of the reported loops' activity. The model itself is identical before
    the policy year (tests/test_policy.py), and a saved year's score looks one time step ahead, so 2025
    already sees the policy year begin."""
    base, base_vars = lp.loop_scores(model=model, table=table)
    cut, cut_vars = lp.loop_scores({"support_taper_time": 1, "support_floor": 0.0}, model=model, table=table)
    same = {
        loop: next((other for other, names in cut_vars.items() if names == key), None)
        for loop, key in base_vars.items()
    }
    pairs = [(a, b) for a, b in same.items() if b is not None]
    assert len(pairs) > 50
    before, after = 0.0, 0.0
    for a, b in pairs:
        x = base[base["loop"] == a].set_index("year")["score"]
        y = cut[cut["loop"] == b].set_index("year")["score"]
        before = max(before, (x.loc[:2024] - y.loc[:2024]).abs().max())
        after = max(after, (x.loc[2026:] - y.loc[2026:]).abs().max())
    assert before < 0.01 < after and before < 0.05 * after, (before, after)
    drivers = lp.loops_of_output("urbanization_rate", base_vars, model)
    periods = lp.dominant_periods(lp.name_scores(base, drivers))
    assert loop_sentence(periods, table) == "2016–2035: Urban migration dominates"
    assert loop_sentence(periods, table, "zh") == "2016–2035：乡城迁移主导"
    with pytest.raises(ValueError, match="unknown parameter"):
        lp.loop_scores({"training_coverag": 0.5}, model=model)


def test_cli_loops_writes_the_long_table(tmp_path):
    out = tmp_path / "loops.csv"
    done = run_module(
        "sd_model",
        "loops",
        "--output",
        "employment_rate",
        "--set",
        "training_coverage=0.8",
        "--out",
        str(out),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("employment_rate: 2016–")
    written = pd.read_csv(out)
    assert {"loop", "name", "polarity", "year", "score"} <= set(written.columns)
    assert (written["name"] != "").all() and written["year"].min() == 2015 and written["year"].max() == 2035
    bad = run_module("sd_model", "loops", "--output", "jobs", timeout=120)
    assert bad.returncode == 2 and "unknown output 'jobs'" in bad.stderr


@pytest.mark.parametrize("case", sorted(regression.cases()))
def test_pysimlin_runs_the_mdl_equal_to_pysd(model, case):
    """A third engine: pysimlin (Simlin's compiler and VM) runs the same .mdl to every variable of the
    regression data within relative 1e-9, measured against the largest magnitude of the variable's
    units in the run. (Flows that cancel to zero, such as registration, 710,000 people minus the sum
    of five stocks, come out as 1e-10 people in one engine and 2e-11 in the other: rounding of the
    operands, 1e-16 of them, that no per-value tolerance can pass.)"""
    from diagrams.structure import canonical, structure

    reference = regression.read_reference(case)
    run = lp.simlin_model(regression.cases()[case], model).run(analyze_loops=False).results
    run.index = run.index.round().astype(int)
    equations = structure(model.mdl_file).equations
    units = {col: equations[canonical(col)].units if canonical(col) in equations else col for col in reference.columns}
    scale = {
        u: max(np.abs(reference[[c for c in reference.columns if units[c] == u]].to_numpy(dtype=float)).max(), 1e-12)
        for u in set(units.values())
    }
    names = {col: col.lower().replace(" ", "_") for col in reference.columns}
    assert not [col for col, name in names.items() if name not in run.columns]
    for col, name in names.items():
        want, got = reference[col].to_numpy(dtype=float), run.loc[reference.index, name].to_numpy(dtype=float)
        worst = np.abs(got - want).max() / scale[units[col]]
        assert worst <= 1e-9, f"{case}, {col}: off by {worst:.3g} of the largest {units[col]} in the run"


def test_sd_model_loops_is_a_function_of_the_package(model):

    done = subprocess.run(
        [sys.executable, "-c", "import sd_model; print(callable(sd_model.loops))"], capture_output=True, text=True
    )
    assert done.stdout.strip() == "True", done.stderr
    scores = sd_model.loops(output="employment_rate")
    assert set(scores.columns) >= {"loop", "name", "polarity", "year", "score"}
    assert scores.equals(lp.loops(output="employment_rate", model=model))
