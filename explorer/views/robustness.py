"""Robustness: the named scenarios on robustness against cost, where the current setting fails (PRIM),
and the robust low-cost front, whose members load into the sliders."""

import altair as alt
import pandas as pd
import streamlit as st

from explorer import compute, state
from explorer.i18n import t


def scenarios_chart(table: pd.DataFrame, language: str) -> alt.Chart:
    """Robustness against cost: the project's cost in billions of yuan, another model's cost output as
    it is, or (a model whose targets file names no cost) the share of futures alone, as bars."""
    cost = compute.cost_output()
    share = {"title": t("rob_share_axis", language), "axis": alt.Axis(format="%"), "scale": alt.Scale(domain=[0, 1])}
    y = alt.Y("share_met:Q", **share)
    if cost is None:  # one bar a scenario, its title beside it
        x = alt.X("share_met:Q", **share)
        return alt.Chart(table).mark_bar(color="#1f77b4").encode(
            x=x, y=alt.Y("title:N", title=None, sort=None, axis=alt.Axis(labelLimit=480)),
            tooltip=[alt.Tooltip("title:N", title=""), alt.Tooltip("share_met:Q", format=".0%")],
        )  # fmt: skip
    project = compute.is_project()
    data = table.assign(cost=table["cost_median"] / 1e9 if project else table["cost_median"])
    title = (
        t("rob_cost_axis", language)
        if project
        else t("rob_cost_axis_model", language, label=compute.labels(language)[cost])
    )
    base = alt.Chart(data).encode(
        x=alt.X("cost:Q", title=title),
        y=y,
        tooltip=[
            alt.Tooltip("title:N", title=""),
            alt.Tooltip("share_met:Q", format=".0%"),
            alt.Tooltip("cost:Q", format=".1f"),
        ],
    )
    points = base.mark_point(filled=True, size=90, color="#1f77b4")
    labels = base.mark_text(dx=7, align="left", fontSize=11).encode(text="title:N")
    return points + labels


def scenarios_section(table: pd.DataFrame, front: pd.DataFrame | None, language: str) -> None:
    """The named scenarios on robustness against cost, and their table."""
    targets, scenarios = compute.cached_targets(), compute.cached_scenarios()
    overall = table[table["target"] == "all"].assign(
        title=lambda d: d["scenario"].map(lambda n: scenarios[n].title(language))
    )
    st.subheader(t("rob_scenarios", language))
    chart = scenarios_chart(overall, language)
    if front is not None:
        line = (
            alt.Chart(front.assign(cost=front["cost_median"] / 1e9))
            .mark_line(point=True, color="#2ca02c")
            .encode(x="cost:Q", y="share_all:Q", tooltip=["member:N", alt.Tooltip("share_all:Q", format=".0%")])
        )
        chart = chart + line
    st.altair_chart(chart.properties(height=360), key="rob_chart")
    st.caption(t("rob_chart_note" if compute.is_project() else "rob_chart_note_model", language))
    shares = table.pivot(index="scenario", columns="target", values="share_met")
    shown = pd.DataFrame(
        {x.short(language): shares[x.name] for x in targets} | {t("all_targets", language): shares["all"]}
    )
    shown.index = [scenarios[n].title(language) for n in shown.index]
    if compute.cost_output() is None:
        st.dataframe(shown.style.format("{:.0%}"), key="rob_table")
        return
    scale = 1e9 if compute.is_project() else 1.0
    shown[t("rob_cost_col" if compute.is_project() else "rob_cost_col_model", language)] = (
        overall.set_index("title")["cost_median"] / scale
    )
    st.dataframe(
        shown.style.format("{:.0%}", subset=shown.columns[:-1]).format("{:.1f}", subset=shown.columns[-1:]),
        key="rob_table",
    )


def front_section(front: pd.DataFrame | None, language: str) -> None:
    """The robust low-cost front (bundled for the project's model only), whose members load into the sliders."""
    st.subheader(t("rob_front", language))
    if front is None:
        st.info(t("rob_no_front" if compute.is_project() else "rob_no_front_model", language))
        return
    members = list(front["member"])
    by_member = front.set_index("member")
    st.selectbox(
        t("rob_member", language), members, key="front_member",
        format_func=lambda m: t("rob_member_label", language, member=m, share=by_member.loc[m, "share_all"],
                                cost=by_member.loc[m, "cost_median"] / 1e9),
    )  # fmt: skip
    st.button(t("rob_load", language), key="front_load", on_click=state.on_load_front_member, type="primary")
    st.caption(t("rob_front_note", language))


def what_it_lacks(language: str) -> bool:
    """Say in a line what a model lacks for this view (a targets file, futures); True if it lacks one."""
    targets, problem = compute.cached_target_file()
    if problem:
        st.warning(t("bad_targets", language, error=problem))
        return True
    if not targets:
        st.info(t("rob_no_targets", language, file=compute.targets_label()))
        return True
    if not compute.has_futures():
        st.info(t("rob_no_futures", language))
        return True
    return False


def show(language: str) -> None:
    if compute.is_project():
        st.caption(t("rob_intro", language, n=compute.ROBUSTNESS_RUNS, file=compute.targets_label()))
    else:
        if what_it_lacks(language):
            return
        source = t("futures_posterior" if compute.has_posterior() else "futures_ranges", language)
        st.caption(
            t("rob_intro_model", language, n=compute.ROBUSTNESS_RUNS, source=source, file=compute.targets_label())
        )
    front = compute.bundled_front()
    scenarios_section(compute.cached_scenario_robustness(), front, language)

    st.subheader(t("rob_where", language))
    values = state.current_values()
    levers = {p.name: values[p.name] for p in compute.lever_parameters()}
    for sentence in compute.cached_failure_boxes(tuple(sorted(levers.items())), language):
        st.markdown(f"- {sentence}")
    st.caption(t("rob_where_note", language))
    front_section(front, language)


show(state.lang())
