"""The explorer on models other than the project's (issue 22): a model without metadata from
``tests/models/`` and the public example of ``models/examples/workforce/``, under Streamlit's AppTest.

The model is chosen as ``python -m explorer.serve --mdl`` chooses it: through the environment
(``SD_MODEL_MDL``, ``SD_MODEL_METADATA``), which the explorer reads on every run.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

import sd_model
from explorer.formatting import format_change, format_value
from sd_model.loop_dominance import model_loop_table
from sd_model.paths import ROOT

APP = str(ROOT / "app.py")
WORKFORCE = ROOT / "models" / "examples" / "workforce" / "workforce.mdl"
TEN_COUNTIES = ROOT / "tests" / "models" / "ten_counties.mdl"  # no metadata: ranged and subscripted constants
SMOOTH = ROOT / "tests" / "models" / "smooth.mdl"  # no metadata, and no constant to set
VIEWS = ("compare", "workshop", "model", "sensitivity", "robustness")


@pytest.fixture
def open_app(monkeypatch):
    """``open_app(mdl, query)``: the explorer on ``mdl`` (its metadata beside it, if any), run once."""

    def run(mdl, query: dict[str, str] | None = None, metadata=None) -> AppTest:
        monkeypatch.setenv("SD_MODEL_MDL", str(mdl))
        if metadata is None:
            monkeypatch.delenv("SD_MODEL_METADATA", raising=False)
        else:
            monkeypatch.setenv("SD_MODEL_METADATA", str(metadata))
        at = AppTest.from_file(APP, default_timeout=240)
        for name, value in (query or {}).items():
            at.query_params[name] = value
        return at.run()

    return run


def clean(at: AppTest) -> None:
    """No exception, no error on the page."""
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def card(at: AppTest, label: str):
    return next(m for m in at.metric if m.label == label)


def every_view(at: AppTest) -> None:
    for view in VIEWS:
        at.switch_page(f"explorer/views/{view}.py").run()
        clean(at)
    at.switch_page("explorer/views/explore.py").run()
    clean(at)


# ---------------------------------------------------------------- a model without metadata


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_model_without_metadata_renders_every_view(open_app, language):
    model = sd_model.load_model(TEN_COUNTIES)
    at = open_app(TEN_COUNTIES, {"lang": language})
    clean(at)
    assert at.title[0].value.endswith("Ten counties")
    # Sliders from every constant with a finite range; cards of the first stocks, at the final time.
    ranged = [p for p in model.parameters if p.low > -float("inf") and p.high < float("inf")]
    assert {s.key for s in at.slider} == {f"p_{p.name}" for p in ranged}
    assert at.slider(key="p_relocated[c1]").label == "relocated[c1] (people)"
    assert [m.label for m in at.metric] == [f"Employed[c{i}]" for i in range(1, 5)]
    run = model.run()
    assert card(at, "Employed[c1]").value == format_value(run.iloc[-1]["employed[c1]"])
    notes = " ".join(c.value for c in at.caption)
    assert ("no uncertain quantities" in notes) if language == "en" else ("不确定参数" in notes)
    every_view(at)


def test_a_slider_of_a_model_without_metadata_moves_its_cards(open_app):
    model = sd_model.load_model(TEN_COUNTIES)
    at = open_app(TEN_COUNTIES)
    at.slider(key="p_hiring_rate").set_value(0.6).run()
    clean(at)
    scenario, baseline = model.run({"hiring_rate": 0.6}).iloc[-1], model.run().iloc[-1]
    for i in range(1, 5):
        shown = card(at, f"Employed[c{i}]")
        name = f"employed[c{i}]"
        assert shown.value == format_value(scenario[name])
        assert shown.delta == format_change(scenario[name] - baseline[name], scenario[name])
    assert at.query_params["hiring_rate"] == "0.6"
    # One element of a subscripted constant, from a link: the cards follow it too.
    again = open_app(TEN_COUNTIES, {"relocated[c2]": "3000"})
    clean(again)
    expected = model.run({"relocated[c2]": 3000.0}).iloc[-1]["employed[c2]"]
    assert card(again, "Employed[c2]").value == format_value(expected)


def test_the_outputs_shown_are_picked_in_the_sidebar(open_app):
    at = open_app(TEN_COUNTIES)
    at.multiselect(key="shown_outputs").set_value(["total_employed", "lowest_employment_rate"]).run()
    clean(at)
    assert [m.label for m in at.metric] == ["total employed", "lowest employment rate"]
    assert len(at.get("vega_lite_chart")) == 2
    expected = sd_model.load_model(TEN_COUNTIES).run().iloc[-1]["total_employed"]
    assert card(at, "total employed").value == format_value(expected)


def test_the_why_panel_names_loops_or_says_why_not(open_app):
    at = open_app(TEN_COUNTIES)
    at.toggle(key="why_open").set_value(True).run()
    clean(at)
    sentence = next(m.value for m in at.markdown if m.value.startswith("**Current levers:**"))
    assert "employed[c1] → job_losses[c1]" in sentence  # loops named by their variables (no loops.toml)
    at.slider(key="p_training_coverage[c1]").set_value(0.9).run()  # pysimlin cannot be given one element
    clean(at)
    assert any("cannot be analysed" in i.value for i in at.info), [i.value for i in at.info]


def test_a_model_with_nothing_to_set_still_opens(open_app):
    at = open_app(SMOOTH)
    clean(at)
    assert not at.slider
    assert any("Nothing to move" in i.value for i in at.info)
    assert [m.label for m in at.metric] == ["Smoothed"]
    at.toggle(key="why_open").set_value(True).run()
    clean(at)
    assert any("no feedback loop" in i.value for i in at.info)
    every_view(at)


# ---------------------------------------------------------------- the public example


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_example_renders_every_view(open_app, language):
    model = sd_model.load_model(WORKFORCE)
    at = open_app(WORKFORCE, {"lang": language})
    clean(at)
    assert [m.label for m in at.metric] == [o.short(language) for o in model.outputs if o.name in model.kpis]
    assert {s.key for s in at.slider} == {f"p_{p.name}" for p in model.parameters}  # levers and uncertainties
    strip = [m.value for m in at.markdown if "-background[**" in m.value]
    assert len(strip) == 4  # three targets of targets.toml, and all of them
    every_view(at)
    at.switch_page("explorer/views/robustness.py").run()
    tables = [d.value for d in at.dataframe]
    assert any(len(table) == len(sd_model.scenario_names(model)) for table in tables)
    at.switch_page("explorer/views/model.py").run()
    assert len(at.dataframe[0].value) == len(model.parameters)


def test_a_lever_of_the_example_moves_its_cards_to_the_models_run(open_app):
    model = sd_model.load_model(WORKFORCE)
    at = open_app(WORKFORCE)
    week = model.headline_year
    assert at.select_slider(key="card_year").value == week
    before = card(at, "Experts").value
    assert before == format_value(model.run().loc[week, "experts"])
    at.slider(key="p_target_backlog").set_value(1000.0).run()
    clean(at)
    scenario, baseline = model.run({"target_backlog": 1000.0}), model.run()
    for output in model.kpis:
        label = next(o.short("en") for o in model.outputs if o.name == output)
        value = scenario.loc[week, output]
        assert card(at, label).value == format_value(value)
        assert card(at, label).delta == format_change(value - baseline.loc[week, output], value)
    assert card(at, "Experts").value != before
    assert at.query_params["target_backlog"] == "1000"


def test_the_examples_scenarios_loops_and_missing_posterior(open_app):
    model = sd_model.load_model(WORKFORCE)
    at = open_app(WORKFORCE)
    assert any("this model has no posterior" in c.value for c in at.caption)
    assert not any(t.key == "bands_full_ranges" for t in at.toggle)  # no posterior: the ranges are all there is
    assert any("No costs here" in c.value for c in at.caption)
    at.toggle(key="why_open").set_value(True).run()
    clean(at)
    sentence = next(m.value for m in at.markdown if m.value.startswith("**Current levers:**"))
    assert "0–26:" in sentence  # the periods of its loops.toml, in weeks
    labels = {entry.label_en for entry in model_loop_table(model)}
    assert any(label in sentence for label in labels)
    at.selectbox(key="preset").set_value("fast_onboarding").run()
    clean(at)
    for name, value in sd_model.load_scenario("fast_onboarding", model).parameters.items():
        assert at.slider(key=f"p_{name}").value == pytest.approx(value)
    assert any(m.value.startswith("**Baseline:**") for m in at.markdown)  # other loops dominate than at baseline


def test_an_assumption_of_the_example_moves_the_baseline_not_the_deltas(open_app):
    at = open_app(WORKFORCE)
    at.slider(key="p_task_arrival").set_value(300.0).run()
    clean(at)
    assert all(m.delta == "±0" for m in at.metric), [m.delta for m in at.metric]
    assert any("Assumptions changed" in m.value for m in at.markdown)


# ---------------------------------------------------------------- choosing the model


def test_the_project_model_comes_back_after_another(open_app, monkeypatch):
    open_app(WORKFORCE)
    monkeypatch.delenv("SD_MODEL_MDL")
    at = AppTest.from_file(APP, default_timeout=240).run()
    clean(at)
    assert len(at.metric) == len(sd_model.KPIS)
    assert at.title[0].value == "Relocation in Guangxi: what follows the move"


@pytest.mark.parametrize(
    ("mdl", "message"),
    [("no/such/model.mdl", "no such model file"), ("README.md", "not a Vensim model")],
)
def test_a_bad_model_in_the_environment_is_one_line_on_the_page(open_app, mdl, message):
    at = open_app(ROOT / mdl)
    assert not at.exception
    assert len(at.error) == 1 and message in at.error[0].value and "\n" not in at.error[0].value


def test_serve_refuses_a_bad_model_in_one_line(tmp_path, capsys):
    from explorer import serve

    garbled = tmp_path / "garbled.mdl"
    garbled.write_text("this is not { a model\n", encoding="utf-8")
    cases = [
        (["--mdl", str(tmp_path / "missing.mdl")], "no such model file"),
        (["--mdl", str(ROOT / "README.md")], "not a Vensim model"),
        (["--mdl", str(garbled)], "garbled.mdl"),
        (["--mdl"], "--mdl needs a path"),
        (["--metadata", str(ROOT / "models" / "model.toml")], "--metadata needs --mdl"),
        (["--mdl", str(SMOOTH), "--metadata", str(garbled)], "not valid TOML"),
    ]
    for argv, message in cases:
        assert serve.main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err and err.count("\n") == 1, (argv, err)
        assert "Traceback" not in err


def test_serve_splits_its_options_from_streamlits():
    from explorer.serve import model_options

    env, rest = model_options(["--server.port", "8600", f"--mdl={WORKFORCE}", "--metadata", "m.toml"])
    assert env == {"SD_MODEL_MDL": str(WORKFORCE), "SD_MODEL_METADATA": "m.toml"}
    assert rest == ["--server.port", "8600"]


def test_serve_on_the_command_line_exits_2_without_a_traceback():
    done = subprocess.run(
        [sys.executable, "-m", "explorer.serve", "--mdl", "no/such.mdl"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert done.stderr.strip() == "error: no/such.mdl: no such model file"
