"""The explorer: Streamlit sliders over the relocation model, with Altair charts.

Run with ``make run`` (``streamlit run app.py`` underneath). This file is the frame: the session
restored from the link, the navigation between the views (one page each, ``explorer/views/``), the
sidebar of sliders and the query string kept in step with them. Everything shown is derived from the
parameter table (``sd_model.parameters()``), the named scenarios and the stories in ``models/``.
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
             "sensitivity": "leaderboard", "robustness": "shield"}  # fmt: skip
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


def sidebar(view: str) -> None:
    language = state.lang()
    with st.sidebar:
        st.radio(t("language", language), list(LANGUAGES), format_func=LANGUAGES.get, key="lang", horizontal=True)
        language = state.lang()
        scenarios = compute.cached_scenarios()
        st.selectbox(
            t("preset", language),
            list(scenarios),
            format_func=lambda n: scenarios[n].title(language),
            key="preset",
            on_change=state.on_preset,
        )
        st.caption(scenarios[st.session_state["preset"]].description(language))
        st.button(t("reset_all", language), key="reset_all", on_click=state.on_reset_all)
        locked = state.locked_names(view)
        st.subheader(t("levers", language))
        st.caption(t("levers_note", language))
        levers = sd_model.parameters("lever")
        for theme in dict.fromkeys(p.theme for p in levers):
            with st.expander(t(f"theme_{theme}", language), expanded=True):
                for p in levers:
                    if p.theme == theme:
                        parameter_slider(p, locked, language)
        # What we assume about the world is not what government decides: its own place, below.
        st.divider()
        st.subheader(t("assumptions", language))
        st.caption(t("assumptions_note", language))
        changed = compute.changed_assumptions(state.current_values())
        st.button(t("reset_assumptions", language), key="reset_assumptions", on_click=state.on_reset_assumptions,
                  disabled=not changed)  # fmt: skip
        with st.expander(t("theme_assumptions", language), expanded=bool(changed)):
            for p in sd_model.parameters("uncertainty"):
                parameter_slider(p, locked, language)


def main() -> None:
    asked_view = state.init_state()
    language = state.lang()
    st.set_page_config(page_title=t("page_title", language), page_icon=PAGE_ICON, layout="wide")
    alt.data_transformers.disable_max_rows()
    views = pages(language)
    page = st.navigation(list(views.values()))
    view = next(name for name, candidate in views.items() if candidate.url_path == page.url_path)
    if asked_view is not None and asked_view != view:  # a link from before the pages: ?view=NAME
        st.switch_page(views[asked_view], query_params={k: v for k, v in st.query_params.to_dict().items() if k != "view"})
    state.enter_view(view)
    st.title(t("title", language))
    for warning in st.session_state.get("link_warnings", []):
        st.warning(t("bad_link", language, error=warning))
    message = st.session_state.get("import_message")
    if message:
        getattr(st, message[0])(message[1])
    page.run()
    # The sidebar's widgets already hold their values: drawing them after the main area lets the
    # cards and charts reach the browser first (Streamlit places the sidebar wherever it is drawn).
    sidebar(view)
    state.write_query(view)


if __name__ == "__main__":
    main()
