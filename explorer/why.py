"""The "Why?" panel: which feedback loops drive an outcome in each period (pysimlin's Loops that
Matter, named by ``models/loops.toml``), drawn on the sector diagram, and a causes strip as Vensim's:
the direct causes of the outcome and how each moved against the baseline, one level down at a click."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from diagrams.structure import canonical
from sd_model import loop_dominance
from sd_model.formatting import format_number
from sd_model.words import loop_sentence

from . import compute, state
from .diagram import sector_dot
from .i18n import sector_name, t

#: Loops shown by name in the charts: those that reach this share in some year of either run; the rest are grouped.
SHOWN_SHARE = 0.1


def shares_chart(shares: pd.DataFrame, language: str, domain: list[str]) -> alt.Chart:
    """Stacked areas: each named loop's share of the loop activity that drives the outcome, per year;
    ``domain`` fixes the names shown and their colours (the same in the run's and the baseline's chart)."""
    other = t("why_other", language)
    data = shares.assign(label=shares["label"].where(shares["label"].isin(domain), other))
    data = data.groupby(["label", "year"], as_index=False)["share"].sum()
    data["year"] = data["year"].astype(float)  # Arrow's int64 reaches the browser as BigInt, which Vega cannot stack
    if compute.time_name() == "year":
        first, last = (int(y) for y in compute.model().years()[[0, -1]])
        years = alt.Axis(format="d", values=list(range(first, last + 1, 5)))
    else:  # a model on its own time units: its axis, its ticks
        first, last = (float(x) for x in compute.model().times()[[0, -1]])
        years = alt.Axis(format=",~r")
    return (
        alt.Chart(data)
        .mark_area()
        .encode(
            x=alt.X("year:Q", title=None, scale=alt.Scale(domain=[first, last]), axis=years),
            y=alt.Y("share:Q", stack="normalize", title=t("why_share", language), axis=alt.Axis(format="%")),
            color=alt.Color(
                "label:N",
                title=None,
                legend=alt.Legend(orient="bottom", columns=3),
                scale=alt.Scale(domain=[*domain, other], scheme="tableau20"),
            ),
            tooltip=[
                "label:N",
                alt.Tooltip("year:Q", format="d" if compute.time_name() == "year" else ",~r"),
                alt.Tooltip("share:Q", format=".0%"),
            ],
        )
        .properties(height=180)
    )


def _named_shares(items, output: str, language: str, history: pd.DataFrame | None = None) -> tuple[pd.DataFrame, list]:
    """Named loop shares of a run and its dominant periods. ``history`` (the baseline's shares) stands
    for the years before the policy year: the run is the baseline's there, bit for bit, but pysimlin's
    discovery may report another subset of the model's 109,907 loops for another run."""
    scores, variables = compute.cached_loops(items)
    shares = loop_dominance.name_scores(
        scores, loop_dominance.loops_of_output(output, variables, compute.model(), compute.cached_structure())
    )
    if history is not None and "policy_year" in dict(items):
        policy_year = dict(items)["policy_year"]
        shares = pd.concat(
            [history[history["year"] < policy_year], shares[shares["year"] >= policy_year]], ignore_index=True
        )
    labels = {entry.name: entry.label(language) for entry in compute.named_loops(items)}
    return shares.assign(label=shares["name"].map(labels).fillna(shares["name"])), loop_dominance.dominant_periods(
        compute.loop_years(shares), compute.cached_loop_periods()
    )


def why_panel(values: dict[str, float], baseline_values: dict[str, float], language: str) -> None:
    """The panel, or a note where pysimlin cannot analyse the model (another model than the project's)."""
    if compute.is_project():
        loops_panel(values, baseline_values, language)
        return
    try:
        loops_panel(values, baseline_values, language)
    except Exception as err:  # pysimlin, or a model it reads otherwise than PySD: a note, never a traceback
        st.info(t("why_unavailable", language, error=compute.one_line(err)))


def loops_panel(values: dict[str, float], baseline_values: dict[str, float], language: str) -> None:
    """The panel for one headline outcome chosen in it."""
    labels = compute.labels(language)
    shown = list(state.shown_outputs())
    output = st.selectbox(t("why_outcome", language), shown, format_func=labels.get, key="why_output")
    if output is None:
        return
    items, base_items = tuple(sorted(values.items())), tuple(sorted(baseline_values.items()))
    table = compute.named_loops(items, base_items)
    base_shares, base_periods = _named_shares(base_items, output, language)
    shares, periods = _named_shares(items, output, language, history=base_shares[["name", "year", "share"]])
    if shares.empty and base_shares.empty:
        st.info(t("why_no_loops", language))
        causes_strip(output, values, baseline_values, language)
        return
    st.markdown(f"**{t('why_now', language)}** {loop_sentence(periods, table, language)}")
    if base_periods != periods:
        st.markdown(f"**{t('why_baseline', language)}** {loop_sentence(base_periods, table, language)}")
    else:
        st.caption(t("why_same", language))
    left, right = st.columns(2)
    left.caption(t("series_scenario", language))
    both = pd.concat([shares, base_shares])
    domain = sorted(set(both.loc[both["share"] >= SHOWN_SHARE, "label"]))
    left.altair_chart(shares_chart(shares, language, domain), height=300, key="why_chart")
    right.caption(t("series_baseline", language))
    right.altair_chart(shares_chart(base_shares, language, domain), height=300, key="why_chart_baseline")
    st.caption(t("why_read", language))
    by_name = {entry.name: entry for entry in table}
    dominant = [name for name in dict.fromkeys(name for _, _, names in periods for name in names) if name in by_name]
    shown = st.selectbox(
        t("why_loop", language), dominant, format_func=lambda n: by_name[n].label(language), key="why_loop"
    )
    if shown:
        entry = by_name[shown]
        st.markdown(f"*{entry.path(language)}*")
        draw_loop(items, entry, language)
    causes_strip(output, values, baseline_values, language)


def draw_loop(items, entry, language: str) -> None:
    """The shortest loop of ``entry`` in this run, in red on the diagram of the sector holding most of it."""
    _, variables = compute.cached_loops(items)
    members = [names for names in variables.values() if entry.matches(names)]
    if not members:
        return
    cycle = {canonical(name) for name in min(members, key=len)}
    structure = compute.cached_structure()
    homes = pd.Series([structure.home[n] for n in cycle if n in structure.home])
    if homes.empty:
        return
    sector = homes.value_counts().index[0]
    st.caption(
        t("why_diagram", language, sector=sector_name(sector, language) if sector else t("sector_main", language))
    )
    st.graphviz_chart(sector_dot(structure, sector, highlight=cycle))


def causes_strip(output: str, values: dict[str, float], baseline_values: dict[str, float], language: str) -> None:
    """The causes strip, or a note where it cannot read the variables of a model (another model than the project's)."""
    if compute.is_project():
        _causes_strip(output, values, baseline_values, language)
        return
    try:
        _causes_strip(output, values, baseline_values, language)
    except Exception as err:  # a subscripted variable, a constant PySD's loop cannot set: a note, never a traceback
        st.info(t("why_causes_unavailable", language, error=compute.one_line(err)))


def _causes_strip(output: str, values: dict[str, float], baseline_values: dict[str, float], language: str) -> None:
    """The direct causes of the focused variable and how each moved against the baseline in the
    headline year; a click on a cause focuses it (one level down), the outcome's button goes back."""
    model = compute.model()
    structure = compute.cached_structure()
    vensim = {o.name: o.vensim_name for o in model.outputs}
    focus = st.session_state.get("why_focus") or canonical(vensim[output])
    if st.session_state.get("why_focus_of") != output:  # a new outcome starts at its own causes
        focus, st.session_state["why_focus_of"] = canonical(vensim[output]), output
        st.session_state["why_focus"] = focus
    year = model.headline_year if compute.is_project() else compute.headline_time()
    causes = [c for c in structure.references.get(focus, []) if c in structure.equations]
    names = tuple(structure.equations[c].name for c in [focus, *causes])
    now = compute.cached_variables(tuple(sorted(values.items())), names)
    base = compute.cached_variables(tuple(sorted(baseline_values.items())), names)
    if not compute.is_project():  # the saved time nearest the headline time, on the model's own axis
        year = now.index[int(abs(now.index.to_numpy() - year).argmin())]
    key = "why_causes" if compute.time_name() == "year" else "why_causes_time"
    shown_year = f"{year:g}" if isinstance(year, float) else year
    st.markdown(f"**{t(key, language, name=structure.equations[focus].name, year=shown_year)}**")
    if focus != canonical(vensim[output]):
        st.button(t("why_back", language, name=structure.equations[canonical(vensim[output])].name), key="why_back",
                  on_click=_focus, args=(canonical(vensim[output]),))  # fmt: skip
    rows = []
    for cause in causes:
        name = structure.equations[cause].name
        a, b = float(now.loc[year, name]), float(base.loc[year, name])
        change = (a - b) / abs(b) if b else 0.0
        rows.append((cause, name, a, b, change))
    rows.sort(key=lambda r: -abs(r[4]))
    for column, (cause, name, a, b, change) in zip(
        st.columns(min(4, max(1, len(rows)))) * len(rows), rows, strict=False
    ):
        arrow = "▲" if a > b else "▼" if a < b else "＝"
        column.button(f"{name}: {format_number(a)} {arrow} {change:+.1%}", key=f"why_cause_{cause}", on_click=_focus,
                      args=(cause,), help=t("why_cause_help", language, base=format_number(b)),
                      disabled=not structure.references.get(cause))  # fmt: skip
    st.caption(t("why_causes_note", language))


def _focus(name: str) -> None:
    st.session_state["why_focus"] = name
