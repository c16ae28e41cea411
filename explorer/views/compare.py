"""Compare: up to three named scenarios side by side."""

import pandas as pd
import streamlit as st

import sd_model
from explorer import compute, state
from explorer.i18n import t
from explorer.widgets import kpi_grid


def show(language: str) -> None:
    scenarios = compute.cached_scenarios()
    picked = st.multiselect(
        t("compare_pick", language), list(scenarios), default=["baseline", "livelihood_first", "no_follow_up"],
        max_selections=3, format_func=lambda n: scenarios[n].title(language), key="compare",
    )  # fmt: skip
    if not picked:
        return
    values = state.current_values()
    frames = {scenarios[n].title(language): compute.with_assumptions(scenarios[n].parameters, values) for n in picked}
    st.subheader(t("compare_chart", language))
    if compute.changed_assumptions(values):
        st.caption(t("compare_assumptions", language))
    kpi_grid(frames, None, language, dash=None, key="chart_compare")
    year = compute.model().headline_year
    st.caption(t("compare_year", language, year=year))
    table = pd.DataFrame({title: frame.loc[year, list(sd_model.KPIS)] for title, frame in frames.items()})
    table.index = [compute.labels(language)[k] for k in table.index]
    st.dataframe(table.style.format("{:,.3f}"), key="compare_table")


show(state.lang())
