"""Robustness: the named scenarios on robustness against cost, where the current setting fails (PRIM),
and the robust low-cost front, whose members load into the sliders."""

import altair as alt
import pandas as pd
import streamlit as st

import sd_model
from explorer import compute, state
from explorer.i18n import t


def scenarios_chart(table: pd.DataFrame, language: str) -> alt.Chart:
    data = table.assign(cost=table["cost_median"] / 1e9)
    base = alt.Chart(data).encode(
        x=alt.X("cost:Q", title=t("rob_cost_axis", language)),
        y=alt.Y("share_met:Q", title=t("rob_share_axis", language), axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip("title:N", title=""), alt.Tooltip("share_met:Q", format=".0%"), alt.Tooltip("cost:Q", format=".1f")],
    )
    points = base.mark_point(filled=True, size=90, color="#1f77b4")
    labels = base.mark_text(dx=7, align="left", fontSize=11).encode(text="title:N")
    return points + labels


def show(language: str) -> None:
    st.caption(t("rob_intro", language, n=compute.ROBUSTNESS_RUNS))
    targets = compute.cached_targets()
    scenarios = compute.cached_scenarios()
    table = compute.cached_scenario_robustness()
    overall = table[table["target"] == "all"].assign(title=lambda d: d["scenario"].map(lambda n: scenarios[n].title(language)))
    st.subheader(t("rob_scenarios", language))
    front = compute.bundled_front()
    chart = scenarios_chart(overall, language)
    if front is not None:
        line = (
            alt.Chart(front.assign(cost=front["cost_median"] / 1e9))
            .mark_line(point=True, color="#2ca02c")
            .encode(x="cost:Q", y="share_all:Q", tooltip=["member:N", alt.Tooltip("share_all:Q", format=".0%")])
        )
        chart = chart + line
    st.altair_chart(chart.properties(height=360), key="rob_chart")
    st.caption(t("rob_chart_note", language))
    shares = table.pivot(index="scenario", columns="target", values="share_met")
    shown = pd.DataFrame({x.short(language): shares[x.name] for x in targets} | {t("all_targets", language): shares["all"]})
    shown.index = [scenarios[n].title(language) for n in shown.index]
    shown[t("rob_cost_col", language)] = overall.set_index("title")["cost_median"] / 1e9
    st.dataframe(
        shown.style.format("{:.0%}", subset=shown.columns[:-1]).format("{:.1f}", subset=shown.columns[-1:]), key="rob_table"
    )

    st.subheader(t("rob_where", language))
    values = state.current_values()
    levers = {p.name: values[p.name] for p in sd_model.parameters("lever")}
    for sentence in compute.cached_failure_boxes(tuple(sorted(levers.items())), language):
        st.markdown(f"- {sentence}")
    st.caption(t("rob_where_note", language))

    st.subheader(t("rob_front", language))
    if front is None:
        st.info(t("rob_no_front", language))
        return
    members = list(front["member"])
    st.selectbox(
        t("rob_member", language), members, key="front_member",
        format_func=lambda m: t("rob_member_label", language, member=m, share=front.set_index("member").loc[m, "share_all"],
                                cost=front.set_index("member").loc[m, "cost_median"] / 1e9),
    )  # fmt: skip
    st.button(t("rob_load", language), key="front_load", on_click=state.on_load_front_member, type="primary")
    st.caption(t("rob_front_note", language))


show(state.lang())
