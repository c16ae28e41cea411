"""Compare: up to three named scenarios side by side."""

import pandas as pd
import streamlit as st

import sd_model
from explorer import compute, state
from explorer.i18n import t
from explorer.widgets import kpi_grid

#: The project's scenarios compared at first.
FIRST_COMPARED = ("baseline", "livelihood_first", "no_follow_up")


def show(language: str) -> None:
    scenarios = compute.cached_scenarios()
    first = [n for n in FIRST_COMPARED if n in scenarios] if compute.is_project() else list(scenarios)[:3]
    picked = st.multiselect(
        t("compare_pick", language), list(scenarios), default=first,
        max_selections=3, format_func=lambda n: scenarios[n].title(language), key="compare",
    )  # fmt: skip
    if len(scenarios) == 1:
        st.caption(t("compare_one", language, folder=compute.relative(sd_model.scenarios_dir(compute.model()))))
    if not picked:
        return
    values = state.current_values()
    frames = {scenarios[n].title(language): compute.with_assumptions(scenarios[n].parameters, values) for n in picked}
    st.subheader(t("compare_chart", language))
    if compute.changed_assumptions(values):
        st.caption(t("compare_assumptions", language))
    kpi_grid(frames, None, language, dash=None, key="chart_compare")
    year = compute.headline_time()
    shown = list(state.shown_outputs())
    if compute.time_name() == "year":
        st.caption(t("compare_year", language, year=year))
    else:
        st.caption(t("compare_time", language, year=f"{year:g}"))
    table = pd.DataFrame({title: frame.loc[year, shown] for title, frame in frames.items()})
    table.index = [compute.labels(language)[k] for k in table.index]
    st.dataframe(table.style.format("{:,.3f}"), key="compare_table")


show(state.lang())
