"""The explorer under streamlit.testing.v1.AppTest; widgets found by key."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

import sd_model
from sd_model.paths import ROOT

APP = str(ROOT / "app.py")


def new_app(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for name, value in (query or {}).items():
        at.query_params[name] = value
    return at.run()


def card(at: AppTest, kpi: str) -> str:
    label = {o.name: o.short("en") for o in sd_model.outputs()}[kpi]
    return next(m.value for m in at.metric if m.label == label)


def number(text: str) -> float:
    """The number a card shows: ``95.7%``, ``659,830`` or ``2.74 bn``."""
    return float(text.split()[0].replace(",", "").rstrip("%"))


def test_loads_without_exceptions_and_shows_cards():
    at = new_app()
    assert not at.exception
    assert len(at.metric) == len(sd_model.KPIS)
    assert [m.delta for m in at.metric] == ["±0", "±0 pp", "±0 pp", "±0", "±0 bn"]  # the baseline against itself
    assert at.slider(key="p_training_coverage").value == pytest.approx(0.3)


@pytest.mark.parametrize(
    ("lever", "value", "kpi", "direction"),
    [
        ("industry_jobs_per_worker", 0.6, "relocated_population", +1),
        ("training_coverage", 1.0, "employment_rate", +1),
        ("share_reform_coverage", 1.0, "equity_income_per_capita", +1),
        ("dividend_rate", 0.08, "equity_income_per_capita", +1),
        ("second_relocation_round", 100000.0, "relocated_population", +1),
        ("public_welfare_jobs_per_worker", 0.0, "fiscal_cost", -1),
        ("support_floor", 1.0, "fiscal_cost", +1),
        ("transfer_income", 4000.0, "fiscal_cost", +1),
    ],
)
def test_main_levers_move_their_kpi(lever, value, kpi, direction):
    at = new_app()  # cards at the headline year, 2030: levers act from the policy year, 2026
    before = number(card(at, kpi))
    at.slider(key=f"p_{lever}").set_value(value).run()
    assert not at.exception
    after = number(card(at, kpi))
    assert (after - before) * direction > 0, f"{lever}={value}: {kpi} {before} -> {after}"
    assert float(at.query_params[lever]) == value


def test_a_lever_changes_no_card_before_the_policy_year():
    at = new_app()
    at.select_slider(key="card_year").set_value(2025).run()
    before = [m.value for m in at.metric]
    at.slider(key="p_training_coverage").set_value(1.0).run()
    at.slider(key="p_industry_jobs_per_worker").set_value(0.6).run()
    assert [m.value for m in at.metric] == before
    assert all(m.delta.startswith("±0") for m in at.metric)
    at.slider(key="p_policy_year").set_value(2020.0).run()  # the same levers from 2020 show in 2025
    assert [m.value for m in at.metric] != before


def test_reset_button_restores_default():
    at = new_app({"training_coverage": "0.9"})
    assert at.slider(key="p_training_coverage").value == pytest.approx(0.9)
    at.button(key="reset_training_coverage").click().run()
    assert at.slider(key="p_training_coverage").value == pytest.approx(0.3)
    assert "training_coverage" not in at.query_params


def test_preset_loads_scenario_values():
    at = new_app()
    at.selectbox(key="preset").set_value("livelihood_first").run()
    expected = sd_model.load_scenario("livelihood_first").parameters
    for name, value in expected.items():
        assert at.slider(key=f"p_{name}").value == pytest.approx(value)
    assert at.query_params["preset"] == "livelihood_first"


def test_language_switch_changes_labels():
    at = new_app()
    english = at.slider(key="p_training_coverage").label
    at.radio(key="lang").set_value("zh").run()
    chinese = at.slider(key="p_training_coverage").label
    assert english != chinese
    param = next(p for p in sd_model.parameters() if p.name == "training_coverage")
    assert param.label_zh in chinese and param.label_en in english
    assert param.description_zh in at.slider(key="p_training_coverage").help
    assert at.title[0].value != "Relocation in Guangxi: what follows the move"
    assert at.query_params["lang"] == "zh"


def test_shared_link_restores_scenario_exactly():
    query = {"preset": "asset_income_reform", "training_coverage": "0.65", "dividend_rate": "0.03", "lang": "zh"}
    at = new_app(query)
    assert not at.warning
    assert at.slider(key="p_training_coverage").value == pytest.approx(0.65)
    assert at.slider(key="p_dividend_rate").value == pytest.approx(0.03)
    assert at.slider(key="p_share_reform_coverage").value == pytest.approx(1.0)  # from the preset
    assert at.radio(key="lang").value == "zh"
    link = dict(at.query_params)
    assert link.items() >= query.items()  # plus every other non-default value, those of the preset included
    again = new_app(link)
    for p in sd_model.parameters():  # historical settings have no slider, but a value in the session all the same
        assert again.session_state[f"p_{p.name}"] == at.session_state[f"p_{p.name}"], p.name


def test_link_back_to_default_under_a_preset_stays_exact():
    at = new_app({"preset": "livelihood_first"})
    at.button(key="reset_training_coverage").click().run()  # preset has 0.6; default 0.3
    link = dict(at.query_params)
    again = new_app(link)
    assert again.slider(key="p_training_coverage").value == pytest.approx(0.3)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"training_coverage": "abc"}, "not a number"),
        ({"training_coverage": "7"}, "out of bounds"),
        ({"training_coverage": "nan"}, "NaN"),
        ({"nonsense": "1"}, "unknown parameter 'nonsense'"),
        ({"preset": "nope"}, "unknown preset"),
        ({"lang": "fr"}, "lang 'fr'"),
        ({"view": "workshop", "story": "nope"}, "unknown story 'nope'"),
        ({"training_coverage": ""}, "'' is not a number"),
        ({"training_coverage": "1e309"}, "out of bounds"),
    ],
)
def test_bad_query_strings_warn_and_fall_back(query, message):
    at = new_app(query | {"dividend_rate": "0.07"})
    assert not at.exception
    assert any(message in w.value for w in at.warning), [w.value for w in at.warning]
    assert at.slider(key="p_training_coverage").value == pytest.approx(0.3)
    assert at.slider(key="p_dividend_rate").value == pytest.approx(0.07)  # the good value is kept


def test_old_view_link_opens_its_page_and_pages_switch():
    at = new_app({"view": "compare", "lang": "zh", "dividend_rate": "0.07"})
    assert not at.exception
    assert at.multiselect(key="compare").value == ["baseline", "livelihood_first", "no_follow_up"]
    assert at.radio(key="lang").value == "zh" and at.slider(key="p_dividend_rate").value == pytest.approx(0.07)
    assert "view" not in at.query_params  # the page's address holds the view now
    assert len(at.get("vega_lite_chart")) == len(sd_model.KPIS)
    at.switch_page("explorer/views/model.py").run()
    assert not at.exception
    assert at.selectbox(key="model_sector").value == "Policy"
    assert "policy switch" in at.get("graphviz_chart")[0].proto.spec
    at.selectbox(key="model_sector").set_value("Relocation").run()
    assert "Settling In" in at.get("graphviz_chart")[0].proto.spec
    at.selectbox(key="model_sector").set_value("Control").run()  # time settings: equations, no diagram
    assert not at.exception and not at.get("graphviz_chart")


def test_workshop_link_starts_the_story():
    at = new_app({"view": "workshop"})
    assert not at.exception
    assert at.slider(key="p_training_coverage").value == pytest.approx(0.05)
    assert at.slider(key="p_training_coverage").disabled


def test_workshop_steps_set_and_lock_sliders():
    at = new_app()
    at.switch_page("explorer/views/workshop.py").run()
    assert not at.exception
    assert at.slider(key="p_training_coverage").value == pytest.approx(0.05)
    assert at.slider(key="p_training_coverage").disabled
    at.button(key="story_next").click().run()
    assert at.slider(key="p_training_coverage").value == pytest.approx(0.6)
    assert not at.slider(key="p_training_coverage").disabled
    assert at.slider(key="p_community_governance").disabled
    at.button(key="story_prev").click().run()
    assert at.slider(key="p_training_coverage").value == pytest.approx(0.05)


def test_export_then_import_round_trips():
    at = new_app({"preset": "integrated_governance", "dividend_rate": "0.07"})
    assert at.download_button(key="export_toml") is not None and at.download_button(key="export_csv") is not None
    from explorer.exchange import current_scenario

    values = {p.name: at.session_state[f"p_{p.name}"] for p in sd_model.parameters()}
    text = current_scenario(
        values, sd_model.default_model().defaults(), sd_model.load_scenario("integrated_governance")
    ).to_toml()
    fresh = new_app()
    fresh.file_uploader(key="import_file").set_value(("mine.toml", text.encode(), "application/toml")).run()
    assert not fresh.exception
    assert any("Imported" in s.value for s in fresh.success)
    for name, value in values.items():
        assert fresh.session_state[f"p_{name}"] == pytest.approx(value), name


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name = [", "not valid TOML"),
        (
            b'name="x"\ntitle_en="x"\ntitle_zh="x"\ndescription_en="x"\ndescription_zh="x"\n[parameters]\ndividend_rate=0.5\n',
            "out of bounds",
        ),
        (
            b'name="x"\ntitle_en="x"\ntitle_zh="x"\ndescription_en="x"\ndescription_zh="x"\n[parameters]\nfoo=1\n',
            "unknown parameter 'foo'",
        ),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_bad_scenario_file_gives_message_and_changes_nothing(content, message):
    at = new_app({"training_coverage": "0.8"})
    at.file_uploader(key="import_file").set_value(("bad.toml", content, "application/toml")).run()
    assert not at.exception
    assert any(message in e.value and "bad.toml" in e.value for e in at.error), [e.value for e in at.error]
    assert at.slider(key="p_training_coverage").value == pytest.approx(0.8)
    assert at.slider(key="p_dividend_rate").value == pytest.approx(0.05)


def test_sensitivity_page_shows_bundled_results_for_this_model():
    at = new_app()
    at.switch_page("explorer/views/sensitivity.py").run()
    assert not at.exception
    assert at.selectbox(key="sens_run").value == 0
    assert "bundled" in at.selectbox(key="sens_run").options[0]
    assert not at.warning  # the bundled results match the model's digest
    assert at.selectbox(key="sens_output").value == sd_model.KPIS[0]
    assert len(at.get("vega_lite_chart")) == 2  # ranked bars and the heat map over the years


def test_sensitivity_page_lists_own_runs_first_and_flags_stale_ones(tmp_path, monkeypatch):
    import json

    import sensitivity

    sensitivity.morris(
        params="levers", outputs=["employment_rate"], years="2025,2030", n=8, out=tmp_path / "morris", progress=False
    )
    monkeypatch.setenv("SENSITIVITY_RESULTS", str(tmp_path))
    at = new_app()
    at.switch_page("explorer/views/sensitivity.py").run()
    assert not at.exception
    assert at.selectbox(key="sens_output").value == "employment_rate"
    assert any("morris" in c.value for c in at.caption)
    assert not at.warning
    manifest = tmp_path / "morris" / "manifest.json"
    manifest.write_text(json.dumps(json.loads(manifest.read_text()) | {"model_sha256": "0" * 64}))
    at = new_app()
    at.switch_page("explorer/views/sensitivity.py").run()
    assert any("another version of the model" in w.value for w in at.warning)


def test_half_written_runs_are_listed_as_unreadable_and_the_rest_still_shows(tmp_path, monkeypatch):
    import json
    import shutil

    from sensitivity.bundle import BUNDLED_DIR

    for name, indices in {
        "empty": "",
        "headless": "method,output\n",
        "cut": "method,output,year,parameter,index,value,conf\nmorris,employ",
    }.items():
        shutil.copytree(BUNDLED_DIR / "morris", tmp_path / name)
        (tmp_path / name / "indices.csv").write_text(indices, encoding="utf-8")
    shutil.copytree(BUNDLED_DIR / "morris", tmp_path / "no_manifest")
    (tmp_path / "no_manifest" / "manifest.json").write_text("{", encoding="utf-8")
    shutil.copytree(BUNDLED_DIR / "morris", tmp_path / "no_indices")
    (tmp_path / "no_indices" / "indices.csv").unlink()
    monkeypatch.setenv("SENSITIVITY_RESULTS", str(tmp_path))
    at = new_app()
    at.switch_page("explorer/views/sensitivity.py").run()
    assert not at.exception
    warnings = {w.value.split()[1]: w.value for w in at.warning}
    assert set(warnings) == {"empty", "headless", "cut", "no_manifest", "no_indices"}, warnings
    assert "no column 'year'" in warnings["headless"] and "did not finish" in warnings["no_indices"]
    assert at.selectbox(key="sens_output").options  # the bundled runs still show
    assert json.loads((BUNDLED_DIR / "morris" / "manifest.json").read_text())["method"] == "morris"


def chart_table(at: AppTest, index: int):
    """The data table Streamlit sent with the index-th Vega-Lite chart, as a DataFrame."""
    import pyarrow as pa

    proto = at.get("vega_lite_chart")[index].proto
    assert [d.name for d in proto.datasets] == ["table"]
    return pa.ipc.open_stream(proto.datasets[0].data.data).read_pandas()


def test_charts_carry_the_runs_they_show():
    at = new_app()
    assert len(at.get("vega_lite_chart")) == len(sd_model.KPIS) + 2
    at.slider(key="p_dividend_rate").set_value(0.08).run()
    table = chart_table(at, list(sd_model.KPIS).index("equity_income_per_capita"))  # that KPI's chart: its rows
    scenario = sd_model.run({"dividend_rate": 0.08})
    rows = table[table.year == 2030].set_index("series")
    assert rows.value.iloc[0] == pytest.approx(scenario.loc[2030, "equity_income_per_capita"])
    assert rows.value.iloc[1] == pytest.approx(sd_model.run().loc[2030, "equity_income_per_capita"])
    assert rows.q05.iloc[0] <= rows.q95.iloc[0]
    income = chart_table(at, len(sd_model.KPIS) + 1)
    assert income[income.is_line].value.to_numpy() == pytest.approx(scenario["monitoring_line"].to_numpy())


def test_an_assumption_alone_moves_no_card_and_is_shown_apart():
    at = new_app()
    at.slider(key="p_outside_jobs_per_worker").set_value(0.3).run()
    assert not at.exception
    assert all(m.delta.startswith("±0") for m in at.metric), [m.delta for m in at.metric]
    assert number(card(at, "employment_rate")) < 90  # the world is worse: the value moved, the delta did not
    assert any("Assumptions changed" in m.value and "0.63 → 0.3" in m.value for m in at.markdown)
    assert any("What the assumptions alone did to the baseline" in c.value for c in at.caption)
    series = set(chart_table(at, 0)["series"])
    assert series == {"Current scenario", "Baseline", "Baseline at default assumptions"}
    at.button(key="reset_assumptions_note").click().run()
    assert at.slider(key="p_outside_jobs_per_worker").value == pytest.approx(0.63)
    assert not any("Assumptions changed" in m.value for m in at.markdown)
    assert set(chart_table(at, 0)["series"]) == {"Current scenario", "Baseline"}


def test_a_lever_under_changed_assumptions_shows_its_effect_in_that_world():
    from explorer.formatting import format_delta

    assumed = {"outside_jobs_per_worker": 0.3}
    at = new_app({name: str(value) for name, value in assumed.items()})
    at.slider(key="p_training_coverage").set_value(1.0).run()
    scenario, baseline = sd_model.run(assumed | {"training_coverage": 1.0}), sd_model.run(assumed)
    for kpi in sd_model.KPIS:
        expected = format_delta(kpi, scenario.loc[2030, kpi] - baseline.loc[2030, kpi])
        assert next(m.delta for m in at.metric if m.label == card_label(kpi)) == expected, kpi
    assert at.query_params["outside_jobs_per_worker"] == "0.3"  # links carry assumptions


def card_label(kpi: str) -> str:
    return {o.name: o.short("en") for o in sd_model.outputs()}[kpi]


def test_chinese_interface_shows_no_english_units():
    at = new_app({"lang": "zh"})
    english_units = {p.units for p in sd_model.parameters() if p.units != "dmnl"}
    for slider in at.slider:
        if not slider.key or not slider.key.startswith("p_"):
            continue
        name = slider.key[2:]
        units = sd_model.default_model().parameter_table[name].units
        assert not any(f"({u})" in slider.label for u in english_units), slider.label
        assert f"单位: {units}" not in slider.help, name
    assert all(" pp" not in m.delta and "bn" not in m.value for m in at.metric), [m.delta for m in at.metric]
    at.switch_page("explorer/views/model.py").run()
    shown = at.dataframe[0].value  # the parameter table
    assert not set(shown["units"]) & english_units


def test_bands_come_from_the_posterior_with_a_stress_test_switch():
    at = new_app()
    assert any("drawn from the posterior" in c.value for c in at.caption)
    at.toggle(key="bands_full_ranges").set_value(True).run()
    assert not at.exception
    assert any(c.value.startswith("Stress test") for c in at.caption)
    zh = new_app({"lang": "zh"})
    assert any("后验分布" in c.value for c in zh.caption)


def test_a_historical_setting_in_a_link_counts_as_an_assumption():
    at = new_app({"training_coverage_historical": "0.6"})
    assert not at.warning and not at.exception
    assert any("Assumptions changed" in m.value and "0.3 → 0.6" in m.value for m in at.markdown)
    assert all(m.delta.startswith("±0") for m in at.metric)  # the baseline follows the assumed history


def test_robustness_strip_follows_the_levers_and_the_language():
    at = new_app()
    strip = [m.value for m in at.markdown if "-background[**" in m.value]
    assert len(strip) == 5 and any("All targets" in m for m in strip)
    at.slider(key="p_support_floor").set_value(0.0).run()  # support withdrawn after the taper
    after = [m.value for m in at.markdown if "-background[**" in m.value]
    employment = next(m for m in after if "Employment" in m)
    assert employment != next(m for m in strip if "Employment" in m)
    assert any("baseline" in c.value for c in at.caption)
    zh = new_app({"lang": "zh"})
    assert any("全部目标" in m.value for m in zh.markdown if "-background[**" in m.value)


def test_robustness_view_compares_scenarios_describes_failures_and_loads_a_front_member():
    at = new_app()
    at.switch_page("explorer/views/robustness.py").run()
    assert not at.exception
    assert any("misses" in m.value for m in at.markdown)  # PRIM's sentence on the current setting
    tables = [d.value for d in at.dataframe]
    assert any(len(table) == len(sd_model.scenario_names()) and "All targets" in table.columns for table in tables)
    member = at.selectbox(key="front_member").value
    at.button(key="front_load").click().run()
    assert not at.exception
    assert any("Loaded" in s.value for s in at.success)
    from robustness.analysis import BUNDLED_FRONT_DIR

    loaded = sd_model.load_scenario(BUNDLED_FRONT_DIR / "scenarios" / f"{member}.toml")
    for name, value in loaded.parameters.items():
        assert at.session_state[f"p_{name}"] == pytest.approx(value), name
    zh = new_app({"lang": "zh"})
    zh.switch_page("explorer/views/robustness.py").run()
    assert not zh.exception and any("稳健" in s.value for s in zh.subheader)


def test_why_panel_names_the_dominant_loops_and_walks_down_the_causes():
    at = new_app()
    at.toggle(key="why_open").set_value(True).run()
    assert not at.exception
    now = next(m.value for m in at.markdown if m.value.startswith("**Current levers:**"))
    assert "2016–2020:" in now and "dominate" in now
    assert any("same loops dominate" in c.value for c in at.caption)
    at.slider(key="p_support_floor").set_value(0.0).run()  # support ends by 2030: other loops dominate
    assert not at.exception
    after = next(m.value for m in at.markdown if m.value.startswith("**Current levers:**"))
    # the years before the policy year do not move (2021-2025 may reorder near-equal loops: the scores
    # of 2025 look one time step ahead, into the policy year; tests/test_loops.py)
    assert after.split(";")[:1] == now.split(";")[:1]
    assert any(m.value.startswith("**Baseline:**") for m in at.markdown)
    causes = [b for b in at.button if b.key and b.key.startswith("why_cause_")]
    assert causes and all(("▲" in b.label) or ("▼" in b.label) or ("＝" in b.label) for b in causes)
    clickable = next(b for b in causes if not b.disabled)
    clickable.click().run()
    assert not at.exception
    assert at.button(key="why_back") is not None
    at.button(key="why_back").click().run()
    assert not any(b.key == "why_back" for b in at.button)
    at.selectbox(key="why_output").set_value("urbanization_rate").run()
    assert any("Urban migration dominates" in m.value for m in at.markdown)
    zh = new_app({"lang": "zh"})
    zh.toggle(key="why_open").set_value(True).run()
    assert not zh.exception and any(m.value.startswith("**当前政策：**") and "主导" in m.value for m in zh.markdown)


def test_what_a_yuan_buys_runs_nothing_while_closed():
    """The panel is a tracked expander (closed by default): its tables, and the batch behind them, are
    not computed on a slider move until it is opened (``tests/test_browser.py`` opens it)."""
    at = new_app()
    at.slider(key="p_training_coverage").set_value(0.5).run()
    assert not at.exception
    (panel,) = [e for e in at.expander if e.label == "What a yuan buys"]
    assert not panel.children  # closed: nothing computed or sent (it held a caption and two tables)


def test_the_panels_scenario_effect_is_cost_effectiveness_from_the_cached_runs(model):
    from explorer import compute

    values = model.defaults() | {"training_coverage": 0.6, "outside_jobs_per_worker": 0.4}
    assert compute.scenario_effect(values) == pytest.approx(
        sd_model.costs.cost_effectiveness(model, values), rel=1e-12, nan_ok=True
    )


def test_a_bad_story_is_skipped_and_named_and_every_page_still_works(tmp_path, monkeypatch):
    import shutil

    from explorer import compute, stories

    for path in stories.STORIES_DIR.glob("*.toml"):
        shutil.copy(path, tmp_path)
    good = (tmp_path / "stable_and_prosperous.toml").read_text(encoding="utf-8")
    (tmp_path / "broken.toml").write_text("name = [unclosed", encoding="utf-8")
    (tmp_path / "dict_locked.toml").write_text(good.replace("locked = [", "locked = [{a = 1}, "), encoding="utf-8")
    (tmp_path / "typo.toml").write_text(good.replace("locked = [", "lockd = [", 1), encoding="utf-8")
    monkeypatch.setattr(stories, "STORIES_DIR", tmp_path)
    compute.cached_story_files.clear()
    try:
        at = new_app()
        assert not at.exception and len(at.metric) == len(sd_model.KPIS)
        at.switch_page("explorer/views/workshop.py").run()
        assert not at.exception
        warnings = [w.value for w in at.warning]
        assert any("broken.toml" in w and "not valid TOML" in w for w in warnings), warnings
        assert any("dict_locked.toml" in w and "'locked' must be a list of parameter names" in w for w in warnings), (
            warnings
        )
        assert any("typo.toml" in w and "unknown key 'lockd'" in w for w in warnings), warnings
        assert at.selectbox(key="story").options == [
            s.title_en for s in stories.load_stories(compute.model(), tmp_path)[0].values()
        ]
    finally:
        compute.cached_story_files.clear()
