"""The explorer's chart functions: long tables, cached Vega-Lite templates and their data."""

from __future__ import annotations

import altair as alt
import pandas as pd
import pytest

import sd_model
from explorer import charts, ensemble


@pytest.fixture(scope="module")
def runs():
    labels = {o.name: o.label_en for o in sd_model.outputs()}
    scenario = sd_model.run({"dividend_rate": 0.08})
    baseline = sd_model.run()
    levers = {p.name: p.default for p in sd_model.parameters("lever")} | {"dividend_rate": 0.08}
    return scenario, baseline, labels, ensemble.bands(levers, n=50)


def test_kpi_table_rates_in_percent_and_bands_joined(runs):
    scenario, baseline, labels, bands = runs
    lines = charts.kpi_long({"scenario": scenario, "baseline": baseline}, labels)
    table = charts.kpi_table(lines, bands)
    assert len(table) == 2 * len(scenario) * len(sd_model.KPIS)
    rate = table[(table.kpi == "employment_rate") & (table.series == "scenario") & (table.year == 2030)].iloc[0]
    assert rate.value == pytest.approx(100 * scenario.loc[2030, "employment_rate"])
    assert rate.label.endswith("(%)")
    assert rate.q05 <= rate.q25 <= rate.q75 <= rate.q95
    people = table[(table.kpi == "relocated_population") & (table.series == "baseline") & (table.year == 2030)].iloc[0]
    assert people.value == pytest.approx(baseline.loc[2030, "relocated_population"])


def test_spec_is_the_altair_chart_without_its_data(runs):
    scenario, baseline, labels, bands = runs
    lines = charts.kpi_long({"scenario": scenario, "baseline": baseline}, labels)
    spec = charts.kpi_spec(lines, bands, "en", "employment_rate", dash_series="baseline")
    table = spec["datasets"][charts.TABLE]
    assert spec["data"] == {"name": charts.TABLE}
    assert set(table["kpi"]) == {"employment_rate"}
    assert table.equals(charts.kpi_table(lines[lines.kpi == "employment_rate"], bands).reset_index(drop=True))
    ticks = tuple(range(2015, 2036, 5))
    title = labels["employment_rate"] + " (%)"
    with alt.theme.enable("none"):
        expected = charts.kpi_template("en", title, ("scenario", "baseline"), "baseline", True, ticks).to_dict()
    assert {k: v for k, v in spec.items() if k != "datasets"} == expected
    assert spec["width"] == "container"  # the four charts share the main area's width
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["area", "area", "line"]
    chart = charts.kpi_chart(lines, bands, "en", "employment_rate", dash_series="baseline")
    assert chart.data.equals(table)  # the notebook form carries the same table
    with pytest.raises(ValueError, match="unknown KPI 'jobs'"):
        charts.kpi_spec(lines, bands, "en", "jobs")


def test_cached_spec_is_not_shared_between_calls(runs):
    scenario, _, labels, _ = runs
    long = charts.people_long(scenario, labels)
    first = charts.people_spec(long, "en")
    first["title"] = "changed"
    second = charts.people_spec(long, "en")
    assert second["title"] == "Where the relocated people are"


def test_income_table_holds_sources_and_poverty_line(runs):
    scenario = runs[0]
    long = charts.income_long(scenario, "zh")
    line = long[long.is_line]
    assert set(line.source) == {"贫困线（2021年起为监测线）"}
    assert line.set_index("year").value.equals(scenario["monitoring_line"])
    income = long[~long.is_line].groupby("year").value.sum(min_count=1)
    assert income.loc[2016:].to_numpy() == pytest.approx(scenario["income_per_capita"].loc[2016:].to_numpy())
    assert scenario["income_per_capita"].loc[2015] != scenario["income_per_capita"].loc[2015]  # nobody there: missing
    spec = charts.income_spec(long, "zh")
    assert spec["title"] == "搬迁人口人均收入构成与贫困线"
    assert spec["layer"][0]["encoding"]["y"]["title"] != spec["layer"][0]["encoding"]["x"]["title"]


def test_language_changes_titles(runs):
    scenario, _, labels, _ = runs
    long = charts.people_long(scenario, labels)
    english = charts.people_spec(long, "en")
    chinese = charts.people_spec(long, "zh")
    assert english["title"] != chinese["title"]
    assert english["encoding"]["x"]["title"] == "Year" and chinese["encoding"]["x"]["title"] != "Year"


@pytest.mark.parametrize("scaled", [True, False])
def test_kpi_tables_are_the_long_tables_of_each_kpi(runs, scaled):
    """The explorer's fast tables (charts.kpi_tables, from the runs' columns) equal kpi_table of kpi_long's
    rows of each KPI: the same rows in the same order, the same values to the bit, bands and units."""
    scenario, baseline, labels, bands = runs
    frames = {"scenario": scenario, "baseline": baseline, "reference": sd_model.run({"training_coverage": 0.9})}
    lines = charts.kpi_long(frames, labels)
    fast = charts.kpi_tables(frames, bands, labels, "zh", sd_model.KPIS, scaled=scaled)
    for kpi in sd_model.KPIS:
        slow = charts.kpi_table(lines[lines["kpi"] == kpi], bands, "zh", scaled=scaled).reset_index(drop=True)
        pd.testing.assert_frame_equal(fast[kpi], slow, rtol=0, atol=0)
        assert fast[kpi]["value"].to_numpy().tobytes() == slow["value"].to_numpy().tobytes()
    partial = bands[bands["kpi"] != "employment_rate"]  # a KPI without bands: its band columns empty
    table = charts.kpi_tables(frames, partial, labels, "en", ["employment_rate"])["employment_rate"]
    assert table[["q05", "q95"]].isna().all().all()
    spec = charts.kpi_specs(frames, bands, labels, "en", ["employment_rate"], dash_series="baseline")
    expected = charts.kpi_spec(lines, bands, "en", "employment_rate", dash_series="baseline")
    assert {k: v for k, v in spec["employment_rate"].items() if k != "datasets"} == {
        k: v for k, v in expected.items() if k != "datasets"
    }
