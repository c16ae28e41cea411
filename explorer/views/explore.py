"""Explore: KPI cards, the KPIs against the baseline with uncertainty bands, people and income."""

import pandas as pd
import streamlit as st

from explorer import charts, compute, state
from explorer.exchange import current_scenario
from explorer.i18n import t
from explorer.why import why_panel
from explorer.widgets import assumptions_note, kpi_cards, kpi_grid, robustness_strip
from sd_model.costs import GAINS
from sd_model.formatting import format_number


def export_import(values: dict[str, float], results, language: str) -> None:
    with st.expander(t("export", language), expanded=False):
        scenario = current_scenario(
            values, compute.model().defaults(), compute.cached_scenarios()[st.session_state["preset"]]
        )
        cols = st.columns(2)
        cols[0].download_button(
            t("export_toml", language),
            scenario.to_toml(),
            file_name="scenario.toml",
            mime="application/toml",
            key="export_toml",
        )
        cols[1].download_button(
            t("export_csv", language), results.to_csv(), file_name="results.csv", mime="text/csv", key="export_csv"
        )
        st.file_uploader(t("import", language), type=["toml"], key="import_file", on_change=state.on_import)
        st.caption(t("share_link", language))


def what_a_yuan_buys(values: dict[str, float], language: str) -> None:
    """The scenario's cost and gains against policy unchanged, and the same per lever."""
    model = compute.model()
    # Tracked, so that its 14-run batch is computed only while the panel is open (Streamlit's lazy expander).
    with st.expander(t("yuan_buys", language), expanded=False, key="yuan_buys_open", on_change="rerun") as panel:
        if not panel.open:
            return
        effect, table = compute.scenario_effect(values), compute.cached_yuan_buys(tuple(sorted(values.items())))
        st.caption(t("yuan_buys_note", language, year=int(values["policy_year"]), final=int(model.years()[-1])))
        st.markdown(f"**{t('scenario_effect', language)}**")
        summary = {t("extra_cost", language): effect["extra_cost_yuan"]}
        summary |= {t(gain, language): effect[gain] for gain in GAINS}
        summary |= {t(f"per_{gain}", language): effect[f"yuan_per_{gain}"] for gain in GAINS}
        st.dataframe(
            pd.Series(summary, name="").to_frame().style.format(format_number, na_rep="—"), key="yuan_scenario"
        )
        shown = pd.DataFrame(
            {
                t("lever", language): [model.parameter_table[name].label(language) for name in table.index],
                t("from_to", language): [f"{a:g} → {b:g}" for a, b in zip(table["from"], table["to"], strict=True)],
                t("extra_cost", language): table["extra_cost_yuan"],
            }
            | {t(f"per_{gain}", language): table[f"yuan_per_{gain}"] for gain in GAINS}
        )
        st.dataframe(
            shown.style.format(format_number, subset=shown.columns[2:], na_rep="—"), hide_index=True, key="yuan_levers"
        )


def futures_panel(values: dict[str, float], language: str):
    """The robustness strip (where the model has targets), and the bands of the charts (where it has
    futures) with their source; what a model lacks is said in a line."""
    if not compute.has_futures():
        st.caption(t("no_futures", language))
        return None, None
    levers = {p.name: values[p.name] for p in compute.lever_parameters()}
    source = state.band_source()
    shown = state.shown_outputs()
    bands, shares = compute.cached_futures(tuple(sorted(levers.items())), source, shown)
    targets, problem = compute.cached_target_file()
    if problem:
        st.warning(t("bad_targets", language, error=problem))
    elif targets:
        base_levers = {p.name: p.default for p in compute.lever_parameters()}
        base_shares = compute.cached_futures(tuple(sorted(base_levers.items())), source, shown)[1]
        note = source if "posterior" in compute.band_sources() else "prior"
        caption = t(f"strip_note_{note}", language, n=compute.ENSEMBLE_RUNS, file=compute.targets_label())
        robustness_strip(shares, base_shares, caption, language)
    else:
        st.caption(t("no_targets", language, file=compute.targets_label()))
    return bands, source


def charts_section(values, results, baseline, bands, source, language: str) -> None:
    """The shown outputs over time against the baseline, with bands and their note and switch."""
    st.subheader(t("kpi_chart", language))
    frames = {t("series_scenario", language): results, t("series_baseline", language): baseline}
    reference = None
    if compute.changed_assumptions(values):
        reference = t("series_reference", language)
        frames[reference] = compute.baseline()
    kpi_grid(frames, bands, language, dash=t("series_baseline", language), thin=reference, key="chart_kpi")
    if source is None:
        return
    if "posterior" in compute.band_sources():
        st.caption(t(f"band_note_{source}", language, n=compute.ENSEMBLE_RUNS))
        st.toggle(t("bands_full_ranges", language), key="bands_full_ranges", help=t("bands_full_ranges_help", language))
    else:  # no posterior beside the model: the full ranges are all there is
        st.caption(t("band_note_prior", language, n=compute.ENSEMBLE_RUNS))


def relocation_charts(results, language: str) -> None:
    """Where the relocated people are, and their income: the project's model only."""
    names = set(compute.model().output_names)
    if not (set(charts.PEOPLE) | {c for _, c in charts.INCOME} | {"monitoring_line"}) <= names:
        return
    left, right = st.columns(2)
    labels = compute.labels(language)
    left.vega_lite_chart(spec=charts.people_spec(charts.people_long(results, labels), language), key="chart_people")
    right.vega_lite_chart(spec=charts.income_spec(charts.income_long(results, language), language), key="chart_income")


def show(language: str) -> None:
    st.caption(t("subtitle" if compute.is_project() else "subtitle_model", language))
    values = state.current_values()
    results, baseline = compute.run_of(values), compute.policy_baseline(values)
    kpi_cards(results, baseline, language)  # first, so that the cards change before the ensemble runs
    assumptions_note(values, language)
    bands, source = futures_panel(values, language)
    charts_section(values, results, baseline, bands, source, language)
    if st.toggle(t("why_open", language), key="why_open"):
        baseline_values = values | {p.name: p.default for p in compute.lever_parameters()}
        why_panel(values, baseline_values, language)
    relocation_charts(results, language)
    if compute.has_costs():
        what_a_yuan_buys(values, language)
    else:
        st.caption(t("no_costs", language))
    export_import(values, results, language)


show(state.lang())
