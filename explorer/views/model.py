"""The model: the parameter table with sources, every equation, and a diagram per sector."""

import pandas as pd
import streamlit as st

import sd_model
from explorer import compute, state
from explorer.diagram import sector_dot
from explorer.i18n import sector_name, t
from sd_model.mdl import read_equations


def show(language: str) -> None:
    st.subheader(t("parameters_table", language))
    table = sd_model.parameter_frame().reset_index()
    table.insert(1, "label", [p.label(language) for p in compute.model().parameters])
    table["description"] = [p.describe(language) for p in compute.model().parameters]
    table["units"] = [p.units_label(language) for p in compute.model().parameters]
    columns = ["name", "label", "kind", "default", "low", "high", "units", "description", "source"]
    st.dataframe(table[columns], hide_index=True, key="model_params")
    st.subheader(t("equations", language))
    equations = pd.DataFrame([vars(e) for e in read_equations(compute.model().mdl_file)])
    sector = st.selectbox(
        t("sector", language), list(dict.fromkeys(equations["group"])), format_func=lambda g: sector_name(g, language),
        key="model_sector",
    )  # fmt: skip
    shown = equations[equations["group"] == sector][["name", "expression", "units", "comment"]]
    st.dataframe(shown, hide_index=True, key="model_equations")
    structure = compute.cached_structure()
    if sector in structure.home.values():  # every sector but the time settings
        st.subheader(t("structure", language, sector=sector_name(sector, language)))
        show_constants = st.checkbox(t("show_constants", language), key="model_constants")
        st.graphviz_chart(sector_dot(structure, sector, show_constants=show_constants))
        st.caption(t("structure_note", language))


show(state.lang())
