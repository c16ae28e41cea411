"""Pieces of the page that several views draw: the KPI cards, the KPI charts, a parameter slider."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import sd_model

from . import charts, compute, state
from .formatting import format_change, format_delta, format_kpi, format_value, slider_step, step_decimals
from .i18n import t


def card_text(kpi: str, value: float, base: float, language: str) -> tuple[str, str]:
    """A card's value and change from the baseline: the project's units (percent, billions), else
    four significant digits."""
    if compute.is_project():
        return format_kpi(kpi, value, language), format_delta(kpi, value - base, language)
    return format_value(value), format_change(value - base, value)


def time_label(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def kpi_cards(results: pd.DataFrame, baseline: pd.DataFrame, language: str) -> None:
    """One card per KPI (the outputs shown) at the chosen year: value, change from baseline, and the path over time.

    The year's slider comes after the cards: the browser draws the cards first on a first visit
    (each kind of element loads its code when it first appears).
    """
    cards, chooser = st.container(), st.container()
    project = compute.is_project()
    with chooser:
        options = list(results.index) if project else compute.card_times(results.index)
        if st.session_state.get("card_year") not in options:  # (a year of another model, in a test's process)
            st.session_state.pop("card_year", None)
        year = st.select_slider(
            t("card_year" if compute.time_name() == "year" else "card_time", language), options=options,
            value=compute.headline_time(), key="card_year", format_func=time_label,
        )  # fmt: skip
    outputs = {o.name: o for o in compute.model().outputs}
    shown = state.shown_outputs()
    if not shown:
        return
    spark = results if project else charts.thinned(results)
    for column, kpi in zip(cards.columns(len(shown)), shown, strict=True):
        value, base = results.loc[year, kpi], baseline.loc[year, kpi]
        text, delta = card_text(kpi, value, base, language)
        unchanged = delta.startswith("±") or delta == "—"
        column.metric(
            outputs[kpi].short(language),  # short enough for a card at 1,400 px; the label is the help
            text,
            delta,
            help=f"{outputs[kpi].label(language)}, {time_label(year)}. {t('vs_baseline_help', language)}",
            delta_color="off" if unchanged else "normal",
            delta_arrow="off" if unchanged else "auto",
            delta_description=t("vs_baseline", language),
            chart_data=spark[kpi].to_numpy(),
            chart_type="area",
            border=True,
        )


def kpi_grid(
    frames: dict[str, pd.DataFrame],
    bands: pd.DataFrame | None,
    language: str,
    *,
    dash: str | None,
    key: str,
    thin: str | None = None,
) -> None:
    """The KPIs (the outputs shown) over time, two charts a row across the full width of the main area.

    ``frames`` maps series names (legend order) to runs; ``bands`` shades the first series; ``dash``
    is drawn dashed (the baseline) and ``thin`` as a thin grey line (the reference baseline).
    """
    shown = state.shown_outputs()
    own_time = compute.time_name() != "year"
    if own_time:
        frames = {name: charts.thinned(frame) for name, frame in frames.items()}
    time_title = compute.time_title(language) if own_time else None
    specs = charts.kpi_specs(frames, bands, compute.chart_labels(language), language, shown, dash_series=dash,
                             thin_series=thin, time_title=time_title)  # fmt: skip
    for row in range(0, len(shown), 2):
        for column, kpi in zip(st.columns(2), shown[row : row + 2], strict=False):
            column.vega_lite_chart(spec=specs[kpi], width="stretch", key=f"{key}_{kpi}")


def robustness_strip(shares: pd.Series, baseline_shares: pd.Series, note: str, language: str) -> None:
    """Share of the futures in which each target of the targets file holds (``shares``, indexed by target
    name and ``all``), each against the baseline's, with ``note`` (where the futures come from) below."""
    targets = compute.cached_targets()
    items = [(x.name, x.short(language)) for x in targets] + [("all", t("all_targets", language))]
    st.markdown(f"**{t('robustness_strip', language)}**")
    for column, (name, label) in zip(st.columns(len(items)), items, strict=True):
        share = shares[name]
        colour = "green" if share >= 0.9 else "orange" if share >= 0.6 else "red"
        column.markdown(f":{colour}-background[**{share:.0%}**] {label}")
        column.caption(t("strip_vs_baseline", language, share=f"{baseline_shares[name]:.0%}"))
    st.caption(note)


def assumptions_note(values: dict[str, float], language: str) -> None:
    """When assumptions differ from their defaults: which, how far the baseline itself moved, and a reset."""
    changed = compute.changed_assumptions(values)
    if not changed:
        return
    model = compute.model()
    table = model.parameter_table
    year = st.session_state.get("card_year", compute.headline_time())
    policy, reference = compute.policy_baseline(values), compute.baseline()
    names = compute.labels(language)
    before = {k: card_text(k, reference.loc[year, k], 0, language)[0] for k in state.shown_outputs()}
    after = {k: card_text(k, policy.loc[year, k], 0, language)[0] for k in state.shown_outputs()}
    moved = "; ".join(f"{names[k]} {before[k]} → {after[k]}" for k in state.shown_outputs())
    assumed = ", ".join(f"{table[n].label(language)} {table[n].default:g} → {v:g}" for n, v in changed.items())
    with st.container(border=True):
        st.markdown(t("assumptions_changed", language, assumed=assumed))
        st.caption(t("baseline_moved", language, year=time_label(year), moved=moved))
        st.button(t("reset_assumptions", language), key="reset_assumptions_note", on_click=state.on_reset_assumptions)


def parameter_slider(p: sd_model.Parameter, locked: set[str], language: str) -> None:
    """A parameter's slider with its help text (meaning, units, default, source) and a reset button."""
    units = compute.units_of(p, language)
    help_text = (
        f"{p.describe(language)}\n\n{t('units', language)}: {units or '—'} · {t('default', language)}: {p.default:g}"
        f"\n\n{t('source', language)}: {p.source or '—'}"
    )
    step = float(p.slider_step) if p.slider_step else slider_step(p.low, p.high)
    label = p.vensim_name if p.kind not in sd_model.KINDS else p.label(language)  # the Vensim name, element included
    cols = st.columns([5, 1], vertical_alignment="bottom")
    with cols[0]:
        st.slider(
            f"{label} ({units})" if units and p.units.lower() != "dmnl" else label,
            min_value=float(p.low),
            max_value=float(p.high),
            step=step,
            format=f"%.{step_decimals(step)}f",
            key=state.key(p.name),
            help=help_text,
            disabled=p.name in locked,
        )
    with cols[1]:
        st.button(
            "", icon=":material/restart_alt:", key=f"reset_{p.name}", help=f"{t('reset', language)} → {p.default:g}",
            on_click=state.on_reset, args=(p.name,), disabled=p.name in locked,
        )  # fmt: skip
