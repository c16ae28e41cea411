"""Named scenarios: bundled files load, malformed files give errors naming file, key and problem."""

from __future__ import annotations

import pytest

import sd_model
from sd_model.scenarios import ScenarioError

REQUIRED = {
    "baseline",
    "no_follow_up",
    "livelihood_first",
    "asset_income_reform",
    "integrated_governance",
    "support_sustained",
    "support_tapered",
    "support_withdrawn",
}

GOOD = """
name = "mine"
title_en = "Mine"
title_zh = "我的"
description_en = "A test"
description_zh = "测试"

[parameters]
training_coverage = 0.6
"""


def test_bundled_scenarios_load():
    assert REQUIRED <= set(sd_model.scenario_names())
    for name in sd_model.scenario_names():
        scenario = sd_model.load_scenario(name)
        assert scenario.name == name
        assert scenario.title_en and scenario.title_zh and scenario.description_en and scenario.description_zh
        defaults = sd_model.default_model().defaults()
        assert all(defaults[k] != v for k, v in scenario.parameters.items()), f"{name} repeats a default"


def test_scenarios_move_kpis_as_the_papers_say():
    # the counterfactual acts from 2016; the policies from 2026, so they are read in 2030
    results = {name: sd_model.run(sd_model.load_scenario(name).parameters) for name in REQUIRED}
    assert results["no_follow_up"].loc[2025, "employment_rate"] < results["baseline"].loc[2025, "employment_rate"] - 0.2
    late = {name: frame.loc[2030] for name, frame in results.items()}
    assert late["livelihood_first"]["employment_rate"] > late["baseline"]["employment_rate"]
    assert late["livelihood_first"]["employed_locally"] > 1.3 * late["baseline"]["employed_locally"]
    # the shares of full coverage pay once their rights are confirmed (about three years, history now)
    final = {name: frame.loc[2035] for name, frame in results.items()}
    assert final["asset_income_reform"]["equity_income_per_capita"] > 2 * final["baseline"]["equity_income_per_capita"]
    assert late["asset_income_reform"]["equity_income_per_capita"] > 1.5 * late["baseline"]["equity_income_per_capita"]
    assert late["integrated_governance"]["integrated_share"] > late["baseline"]["integrated_share"]
    assert (
        late["support_withdrawn"]["employed_locally"]
        < late["support_tapered"]["employed_locally"]
        < late["baseline"]["employed_locally"]
    )
    assert (
        late["support_sustained"]["fiscal_cost"]
        > late["baseline"]["fiscal_cost"]
        > late["support_withdrawn"]["fiscal_cost"]
    )


def test_every_scenario_says_from_when_it_acts():
    for name in sd_model.scenario_names():
        scenario = sd_model.load_scenario(name)
        year = int(scenario.parameters.get("policy_year", sd_model.default_model().defaults()["policy_year"]))
        if name != "baseline":
            assert str(year) in scenario.description_en and str(year) in scenario.description_zh, name


def test_load_by_path_and_round_trip(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(GOOD, encoding="utf-8")
    scenario = sd_model.load_scenario(path)
    assert scenario.parameters == {"training_coverage": 0.6}
    again = tmp_path / "again.toml"
    again.write_text(scenario.to_toml(), encoding="utf-8")
    assert sd_model.load_scenario(again) == scenario


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("name = [", r"bad.toml: not valid TOML"),
        (
            GOOD.replace("training_coverage", "training_cover"),
            r"bad.toml: \[parameters\]: unknown parameter 'training_cover'",
        ),
        (GOOD.replace("0.6", '"high"'), r"bad.toml: \[parameters\]: parameter 'training_coverage' must be a number"),
        (GOOD.replace("0.6", "7"), r"bad.toml: \[parameters\]: parameter 'training_coverage' = 7 is out of bounds"),
        (GOOD.replace("0.6", "nan"), r"bad.toml: \[parameters\]: parameter 'training_coverage' is NaN"),
        (GOOD.replace('title_zh = "我的"', ""), r"bad.toml: missing key 'title_zh'"),
        (GOOD.replace('title_en = "Mine"', "title_en = 3"), r"bad.toml: key 'title_en' must be a string"),
        (GOOD + "\n[extra]\n", r"bad.toml: unknown key 'extra'"),
        (
            GOOD.replace("[parameters]\ntraining_coverage = 0.6", "parameters = 3"),
            r"bad.toml: key 'parameters' must be a table",
        ),
    ],
)
def test_malformed_scenarios(tmp_path, text, pattern):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError, match=pattern):
        sd_model.load_scenario(path)


def test_unknown_scenario_and_missing_file(tmp_path):
    with pytest.raises(ValueError, match=r"unknown scenario 'nope'.*baseline"):
        sd_model.load_scenario("nope")
    with pytest.raises(ValueError, match="not found"):
        sd_model.load_scenario(tmp_path / "missing.toml")


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        (b"name = [", "not valid TOML"),
        (b"\xff", "not UTF-8"),
        (b'name = "s"\ntitle_en = "t"\n', "missing key 'title_zh'"),
        (b'name = "s"\ntitle_en = "t"\ntitle_zh = 3\n[[steps]]\n', "key 'title_zh' must be a string, got int"),
        (b'name = "s"\ntitle_en = "t"\ntitle_zh = "t"\n', "at least one"),
        (
            b'name = "s"\ntitle_en = "t"\ntitle_zh = "t"\n[[steps]]\ntitle_en = "a"\ntitle_zh = "a"\ntext_en = "a"\n',
            "step 1: missing key 'text_zh'",
        ),
        (
            b'name = "s"\ntitle_en = "t"\ntitle_zh = "t"\n[[steps]]\ntitle_en = "a"\ntitle_zh = "a"\ntext_en = "a"\n'
            b'text_zh = "a"\nlocked = ["nope"]\n',
            "step 1: 'locked' names 'nope', which is not a parameter",
        ),
        (
            b'name = "s"\ntitle_en = "t"\ntitle_zh = "t"\n[[steps]]\ntitle_en = "a"\ntitle_zh = "a"\ntext_en = "a"\n'
            b'text_zh = "a"\nlocked = [{a = 1}]\n',
            "step 1: 'locked' must be a list of parameter names, got",
        ),
        (
            b'name = "s"\ntitle_en = "t"\ntitle_zh = "t"\n[[steps]]\ntitle_en = "a"\ntitle_zh = "a"\ntext_en = "a"\n'
            b'text_zh = "a"\nlockd = ["policy_year"]\n',
            "step 1: unknown key 'lockd'; allowed keys: title_en",
        ),
        (
            b'name = "s"\ntitle_en = "t"\ntitle_zh = "t"\nstep = 1\n[[steps]]\ntitle_en = "a"\ntitle_zh = "a"\n'
            b'text_en = "a"\ntext_zh = "a"\n',
            "unknown key 'step'; allowed keys: name",
        ),
    ],
)
def test_malformed_stories_name_file_and_problem(tmp_path, text, pattern):
    from explorer.stories import load_story

    path = tmp_path / "story.toml"
    path.write_bytes(text)
    with pytest.raises(ValueError, match=pattern) as caught:
        load_story(path, sd_model.default_model())
    assert str(path) in str(caught.value)


def test_bundled_stories_load():
    from explorer.stories import STORIES_DIR, load_story, story_names

    assert story_names()
    for name in story_names():
        story = load_story(STORIES_DIR / f"{name}.toml", sd_model.default_model())
        assert story.steps and all(step.title_en and step.text_zh for step in story.steps)
