"""Sensitivity: which parameters drive each outcome, and when (bundled results or a modeller's own)."""

import os
from pathlib import Path

import streamlit as st

from explorer import compute, state
from explorer.i18n import t
from explorer.sensitivity_runs import find_runs
from sd_model.paths import ROOT
from sensitivity import charts as sens_charts
from sensitivity.problem import table_hash


def results_folder() -> Path:
    """A modeller's own results: ``$SENSITIVITY_RESULTS``, else ``sensitivity_results/``."""
    return Path(os.environ.get("SENSITIVITY_RESULTS", ROOT / "sensitivity_results"))


def show(language: str) -> None:
    project = compute.is_project()
    if project:
        runs, unreadable = find_runs(results_folder())
    else:  # the bundled runs are the project's model's: only a modeller's own runs can be of this one
        runs, unreadable = find_runs(results_folder(), bundled=None)
        st.caption(t("sensitivity_model_only", language, folder=results_folder().name))
    for folder, problem in unreadable.items():
        st.warning(t("sensitivity_unreadable", language, folder=folder, problem=problem))
    if not runs:
        if project:
            st.warning(t("no_sensitivity", language, folder=results_folder().name))
        else:
            st.info(t("no_sensitivity_model", language, folder=results_folder().name))
        return
    choice = st.selectbox(
        t("sensitivity_pick", language), range(len(runs)), format_func=lambda i: runs[i].label, key="sens_run"
    )
    run = runs[choice]
    manifest = run.manifest
    st.caption(t("sensitivity_run", language, method=manifest["method"], time=manifest["created"], n=manifest["n"]))
    current = manifest.get("model_sha256") == compute.model().digest and manifest.get(
        "parameter_table_sha256"
    ) == table_hash(compute.model())
    if not current:
        st.warning(t("sensitivity_stale", language))
    st.caption(t("sensitivity_help", language))
    indices = run.indices.copy()  # the page relabels its parameters
    table = compute.model().parameter_table
    indices["parameter"] = [table[n].label(language) if n in table else n for n in indices["parameter"]]
    names = compute.labels(language)
    output = st.selectbox(
        t("output", language),
        list(indices["output"].unique()),
        format_func=lambda o: names.get(o, o),
        key="sens_output",
    )
    st.subheader(t("ranked", language))
    st.altair_chart(sens_charts.ranked_chart(indices, output), key="sens_ranked")
    st.subheader(t("over_time", language))
    st.altair_chart(sens_charts.heatmap_chart(indices, output), key="sens_heatmap")


show(state.lang())
