"""The explorer (placeholder until the explorer issue lands): runs the baseline and charts the KPIs."""

from __future__ import annotations

import altair as alt
import streamlit as st

import sd_model


@st.cache_data
def baseline():
    return sd_model.run()


def main() -> None:
    st.set_page_config(page_title="Guangxi relocation model", layout="wide")
    st.title("Poverty-alleviation relocation in Guangxi")
    results = baseline()
    long = results[list(sd_model.KPIS)].reset_index().melt("year", var_name="kpi", value_name="value")
    chart = alt.Chart(long).mark_line().encode(x="year:O", y="value:Q").facet("kpi:N", columns=2).resolve_scale(y="independent")
    st.altair_chart(chart)


main()
