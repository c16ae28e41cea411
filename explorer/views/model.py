"""The model: the parameter table with sources, every equation, and a diagram per sector."""

import pandas as pd
import streamlit as st

import sd_model
from diagrams.mdl import read_equations
from explorer import compute, state
from explorer.diagram import sector_dot
from explorer.i18n import sector_name, t

COLUMNS = ["name", "label", "kind", "default", "low", "high", "units", "description", "source"]


def parameters_table(language: str) -> None:
    parameters = compute.model().parameters
    st.subheader(t("parameters_table", language))
    if not parameters:
        st.info(t("no_parameters", language))
        return
    table = pd.DataFrame([vars(p) for p in parameters])
    table.insert(1, "label", [p.vensim_name if p.kind not in sd_model.KINDS else p.label(language) for p in parameters])
    table["description"] = [p.describe(language) for p in parameters]
    table["units"] = [compute.units_of(p, language) for p in parameters]
    st.dataframe(table[COLUMNS], hide_index=True, key="model_params")


def sector_label(group: str, language: str) -> str:
    """A sector's name; the equations outside any group of a model are "the model"."""
    return sector_name(group, language) if group else t("sector_main", language)


def show(language: str) -> None:
    parameters_table(language)
    st.subheader(t("equations", language))
    equations = pd.DataFrame([vars(e) for e in read_equations(compute.model().mdl_file)])
    sector = st.selectbox(
        t("sector", language), list(dict.fromkeys(equations["group"])), format_func=lambda g: sector_label(g, language),
        key="model_sector",
    )  # fmt: skip
    shown = equations[equations["group"] == sector][["name", "expression", "units", "comment"]]
    st.dataframe(shown, hide_index=True, key="model_equations")
    structure = compute.cached_structure()
    if sector in structure.home.values():  # every sector but the time settings
        st.subheader(t("structure", language, sector=sector_label(sector, language)))
        show_constants = st.checkbox(t("show_constants", language), key="model_constants")
        st.graphviz_chart(sector_dot(structure, sector, show_constants=show_constants))
        st.caption(t("structure_note", language))


show(state.lang())
