"""Pieces of the page that several views draw: the KPI cards, the KPI charts, a parameter slider."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import sd_model

from . import charts, compute, state
from .formatting import format_delta, format_kpi, slider_step, step_decimals
from .i18n import t


def kpi_cards(results: pd.DataFrame, baseline: pd.DataFrame, language: str) -> None:
    """One card per KPI at the chosen year: value, change from baseline, and the path over time.

    The year's slider comes after the cards: the browser draws the cards first on a first visit
    (each kind of element loads its code when it first appears).
    """
    cards, chooser = st.container(), st.container()
    with chooser:
        year = st.select_slider(
            t("card_year", language), options=list(results.index), value=compute.model().headline_year, key="card_year"
        )
    outputs = {o.name: o for o in compute.model().outputs}
    for column, kpi in zip(cards.columns(len(sd_model.KPIS)), sd_model.KPIS, strict=True):
        value, base = results.loc[year, kpi], baseline.loc[year, kpi]
        delta = format_delta(kpi, value - base, language)
        column.metric(
            outputs[kpi].short(language),  # short enough for a card at 1,400 px; the label is the help
            format_kpi(kpi, value, language),
            delta,
            help=f"{outputs[kpi].label(language)}, {year}. {t('vs_baseline_help', language)}",
            delta_color="off" if delta.startswith("±") else "normal",
            delta_arrow="off" if delta.startswith("±") else "auto",
            delta_description=t("vs_baseline", language),
            chart_data=results[kpi].to_numpy(),
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
    """The KPIs over time, two charts a row across the full width of the main area.

    ``frames`` maps series names (legend order) to runs; ``bands`` shades the first series; ``dash``
    is drawn dashed (the baseline) and ``thin`` as a thin grey line (the reference baseline).
    """
    lines = charts.kpi_long(frames, compute.labels(language))
    for row in range(0, len(sd_model.KPIS), 2):
        for column, kpi in zip(st.columns(2), sd_model.KPIS[row : row + 2], strict=False):
            spec = charts.kpi_spec(lines, bands, language, kpi, dash_series=dash, thin_series=thin)
            column.vega_lite_chart(spec=spec, width="stretch", key=f"{key}_{kpi}")


def assumptions_note(values: dict[str, float], language: str) -> None:
    """When assumptions differ from their defaults: which, how far the baseline itself moved, and a reset."""
    changed = compute.changed_assumptions(values)
    if not changed:
        return
    model = compute.model()
    table = model.parameter_table
    year = st.session_state.get("card_year", model.headline_year)
    policy, reference = compute.policy_baseline(values), compute.baseline()
    names = compute.labels(language)
    moved = "; ".join(
        f"{names[k]} {format_kpi(k, reference.loc[year, k], language)} → {format_kpi(k, policy.loc[year, k], language)}"
        for k in sd_model.KPIS
    )
    assumed = ", ".join(f"{table[n].label(language)} {table[n].default:g} → {v:g}" for n, v in changed.items())
    with st.container(border=True):
        st.markdown(t("assumptions_changed", language, assumed=assumed))
        st.caption(t("baseline_moved", language, year=year, moved=moved))
        st.button(t("reset_assumptions", language), key="reset_assumptions_note", on_click=state.on_reset_assumptions)


def parameter_slider(p: sd_model.Parameter, locked: set[str], language: str) -> None:
    """A parameter's slider with its help text (meaning, units, default, source) and a reset button."""
    units = p.units_label(language)
    help_text = (
        f"{p.describe(language)}\n\n{t('units', language)}: {units or '—'} · {t('default', language)}: {p.default:g}"
        f"\n\n{t('source', language)}: {p.source}"
    )
    step = float(p.slider_step) if p.slider_step else slider_step(p.low, p.high)
    cols = st.columns([5, 1], vertical_alignment="bottom")
    with cols[0]:
        st.slider(
            f"{p.label(language)} ({units})" if units and p.units != "dmnl" else p.label(language),
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
