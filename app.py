"""The explorer: Streamlit sliders over the relocation model (or any Vensim model), with Altair charts.

Run with ``make run`` (``python -m explorer.serve``, ``streamlit run app.py`` underneath; ``--mdl PATH``
or the environment variable ``SD_MODEL_MDL`` for another model). This file is the frame: the session
restored from the link, the navigation between the views (one page each, ``explorer/views/``), the
sidebar of sliders and the query string kept in step with them. Everything shown is derived from the
model's parameter table, its named scenarios and its stories (``models/`` for the project's model,
the folder of its ``.mdl`` for another).
"""

from __future__ import annotations

import altair as alt
import streamlit as st

import sd_model
from explorer import compute, state
from explorer.i18n import LANGUAGES, t
from explorer.widgets import parameter_slider

VIEWS_DIR = "explorer/views"
PAGE_ICON = "🏘️"  # the project's icon: a resettlement site


def pages(language: str) -> dict[str, st.Page]:
    """One page per view, its address the view's name (``/compare``); the first is the default."""
    icons = {"explore": "tune", "compare": "compare_arrows", "workshop": "co_present", "model": "account_tree",
             "sensitivity": "leaderboard", "robustness": "shield", "where": "map", "room": "groups"}  # fmt: skip
    return {
        view: st.Page(
            f"{VIEWS_DIR}/{view}.py",
            title=t(f"view_{view}", language),
            icon=f":material/{icons[view]}:",
            url_path=view,
            default=i == 0,
        )
        for i, view in enumerate(state.VIEWS)
    }


def model_title(language: str, key: str = "title") -> str:
    """The project's title, or the name of another model (its file's stem)."""
    if compute.is_project():
        return t(key, language)
    return t(f"{key}_model", language, name=compute.model().mdl_file.stem.replace("_", " ").capitalize())


def lever_groups(language: str) -> dict[str, list[sd_model.Parameter]]:
    """The policy sliders in groups: the themes of the metadata, else (a model without metadata) its
    scalar constants together and each subscripted constant's elements together."""
    groups: dict[str, list[sd_model.Parameter]] = {}
    project, kinds = compute.is_project(), compute.has_kinds()
    for p in compute.lever_parameters():
        if project:
            title = t(f"theme_{p.theme}", language)
        elif kinds:
            title = t(f"group_{p.theme}", language) if p.theme in sd_model.THEMES else p.theme
        else:
            title = p.vensim_name.split("[")[0] if "[" in p.name else t("group_scalars", language)
        groups.setdefault(title, []).append(p)
    return groups


def lever_sliders(locked: set[str], language: str) -> None:
    """The policy sliders with their heading: the levers, or every constant with a range."""
    kinds = compute.has_kinds()
    st.subheader(t("levers" if kinds else "constants", language))
    st.caption(
        t("levers_note" if compute.is_project() else "levers_note_model" if kinds else "constants_note", language)
    )
    groups = lever_groups(language)
    if not groups:
        st.info(t("no_sliders", language))
    for i, (title, members) in enumerate(groups.items()):
        with st.expander(title, expanded=compute.is_project() or i == 0 or len(members) <= 6):
            for p in members:
                parameter_slider(p, locked, language)
    unranged = compute.unranged_parameters()
    if unranged:
        st.caption(t("unranged", language, n=len(unranged)))


def shown_outputs_picker(language: str) -> None:
    """For a model whose metadata names no KPIs: the outputs on the cards and charts."""
    m = compute.model()
    names = {o.name: o.label(language) for o in m.outputs}
    st.multiselect(t("shown_outputs", language), list(m.output_names), format_func=names.get, key="shown_outputs",
                   max_selections=8, help=t("shown_outputs_help", language))  # fmt: skip


def sidebar(view: str) -> None:
    language = state.lang()
    with st.sidebar:
        st.radio(t("language", language), list(LANGUAGES), format_func=LANGUAGES.get, key="lang", horizontal=True)
        language = state.lang()
        scenarios, problems = compute.cached_scenario_files()
        if compute.is_project() or len(scenarios) > 1:
            st.selectbox(
                t("preset", language),
                list(scenarios),
                format_func=lambda n: scenarios[n].title(language),
                key="preset",
                on_change=state.on_preset,
            )
            st.caption(scenarios[st.session_state["preset"]].description(language))
        for name, problem in problems.items():
            st.warning(t("scenario_skipped", language, file=name, problem=problem))
        st.button(t("reset_all", language), key="reset_all", on_click=state.on_reset_all)
        if not compute.model().kpis:
            shown_outputs_picker(language)
        locked = state.locked_names(view)
        lever_sliders(locked, language)
        uncertainties = compute.uncertainty_parameters()
        if not uncertainties:
            return
        # What we assume about the world is not what government decides: its own place, below.
        st.divider()
        st.subheader(t("assumptions", language))
        st.caption(t("assumptions_note", language))
        changed = compute.changed_assumptions(state.current_values())
        st.button(t("reset_assumptions", language), key="reset_assumptions", on_click=state.on_reset_assumptions,
                  disabled=not changed)  # fmt: skip
        with st.expander(t("theme_assumptions", language), expanded=bool(changed)):
            for p in uncertainties:
                parameter_slider(p, locked, language)


def model_error() -> str | None:
    """The one-line reason the model the environment names cannot be shown, or None."""
    try:
        compute.model()
    except compute.ModelChoiceError as err:
        return str(err)
    return None


def main() -> None:
    problem = model_error()
    if problem is not None:  # a bad SD_MODEL_MDL: one line, no traceback
        language = st.query_params.get("lang", "en") if st.query_params.get("lang") in LANGUAGES else "en"
        st.set_page_config(page_title=t("page_title", language), page_icon=PAGE_ICON, layout="wide")
        st.error(t("model_error", language, error=problem))
        return
    asked_view = state.init_state()
    language = state.lang()
    st.set_page_config(page_title=model_title(language, "page_title"), page_icon=PAGE_ICON, layout="wide")
    alt.data_transformers.disable_max_rows()
    views = pages(language)
    page = st.navigation(list(views.values()))
    view = next(name for name, candidate in views.items() if candidate.url_path == page.url_path)
    if asked_view is not None and asked_view != view:  # a link from before the pages: ?view=NAME
        st.switch_page(
            views[asked_view], query_params={k: v for k, v in st.query_params.to_dict().items() if k != "view"}
        )
    state.enter_view(view)
    st.title(model_title(language))
    for warning in st.session_state.get("link_warnings", []):
        st.warning(t("bad_link", language, error=warning))
    message = st.session_state.get("import_message")
    if message:
        getattr(st, message[0])(message[1])
    page.run()
    if view in state.OWN_FRAME:  # the workshop room: its own sliders, its address its own
        return
    # The sidebar's widgets already hold their values: drawing them after the main area lets the
    # cards and charts reach the browser first (Streamlit places the sidebar wherever it is drawn).
    sidebar(view)
    state.write_query(view)


if __name__ == "__main__":
    main()
