"""Workshop mode: a facilitator's story, step by step, in large type."""

import streamlit as st

from explorer import compute, state
from explorer.i18n import t
from explorer.widgets import kpi_cards, kpi_grid

# Large type in the main area only (a room reads it from a projector).
LARGE_TYPE = (
    "<style>[data-testid='stMain'] .stMarkdown p {font-size: 1.45rem !important; line-height: 1.5;}"
    " [data-testid='stMain'] h2 {font-size: 2.6rem !important;}"
    " [data-testid='stMain'] [data-testid='stMetricValue'] {font-size: 3rem !important;}</style>"
)


def show(language: str) -> None:
    st.markdown(LARGE_TYPE, unsafe_allow_html=True)
    all_stories, problems = compute.cached_story_files()
    for file, problem in problems.items():
        st.warning(t("story_skipped", language, file=file, problem=problem))
    if not all_stories:
        folder = compute.relative(compute.stories_folder())
        st.info(t("no_stories", language, folder=f"{folder}/"))
        return
    st.selectbox(
        t("story", language),
        list(all_stories),
        format_func=lambda n: all_stories[n].title(language),
        key="story",
        on_change=state.on_story_change,
    )
    story = state.current_story()
    index = state.story_step()
    step = story.steps[index]
    st.caption(t("step", language, i=index + 1, n=len(story.steps)))
    st.header(step.title(language))
    st.markdown(step.text(language))
    if step.locked:
        table = compute.model().parameter_table
        st.caption(t("locked", language) + ": " + ", ".join(table[n].label(language) for n in step.locked))
    cols = st.columns([1, 1, 4])
    cols[0].button(
        t("previous", language), key="story_prev", on_click=state.on_story_move, args=(-1,), disabled=index == 0
    )
    cols[1].button(
        t("next", language),
        key="story_next",
        on_click=state.on_story_move,
        args=(1,),
        disabled=index == len(story.steps) - 1,
    )
    values = state.current_values()
    results, baseline = compute.run_of(values), compute.policy_baseline(values)
    kpi_cards(results, baseline, language)
    frames = {t("series_scenario", language): results, t("series_baseline", language): baseline}
    kpi_grid(frames, None, language, dash=t("series_baseline", language), key="chart_workshop")


show(state.lang())
