"""Altair charts of the explorer, built by pure functions from long-format data."""

from __future__ import annotations

import altair as alt
import pandas as pd

from sd_model import KPIS

from .i18n import t

PEOPLE = ("awaiting_relocation", "settling_in", "integrated_residents", "returned_to_origin", "moved_out_of_province")
INCOME = (("wage", "wage_income_per_capita"), ("equity", "equity_income_per_capita"), ("transfer", "transfer_income_per_capita"))
PERCENT = ("employment_rate", "urbanization_rate")


def kpi_long(frames: dict[str, pd.DataFrame], labels: dict[str, str]) -> pd.DataFrame:
    """Long table (year, kpi, label, series, value) of the KPIs of several named runs."""
    parts = []
    for series, frame in frames.items():
        part = frame[list(KPIS)].reset_index().melt("year", var_name="kpi", value_name="value")
        part["series"] = series
        parts.append(part)
    long = pd.concat(parts, ignore_index=True)
    long["label"] = long["kpi"].map(labels)
    return long


def kpi_chart(lines: pd.DataFrame, bands: pd.DataFrame | None, lang: str, *, dash_series: str | None = None) -> alt.FacetChart:
    """One panel per KPI: lines per series, optional 5-95 % and 25-75 % bands.

    Built as a single faceted, layered chart over one table (rates shown in percent), which
    Streamlit serialises several times faster than separate panels.

    Parameters
    ----------
    lines : DataFrame
        From :func:`kpi_long`.
    bands : DataFrame or None
        Columns year, kpi, q05, q25, q75, q95.
    dash_series : str, optional
        Series drawn dashed (the baseline).
    """
    data = lines.copy()
    if bands is not None:
        data = data.merge(bands[["year", "kpi", "q05", "q25", "q75", "q95"]], on=["year", "kpi"], how="left")
    scale = data["kpi"].isin(PERCENT).map({True: 100.0, False: 1.0})
    for column in ("value", "q05", "q25", "q75", "q95"):
        if column in data:
            data[column] = data[column] * scale
    data["label"] = data["label"] + data["kpi"].isin(PERCENT).map({True: " (%)", False: ""})
    data["order"] = data["kpi"].map({k: i for i, k in enumerate(KPIS)})
    order = list(dict.fromkeys(lines["series"]))
    x = alt.X("year:O", title=t("year", lang), axis=alt.Axis(labelAngle=0, values=list(range(2015, 2036, 5))))
    dash = (
        alt.condition(alt.datum.series == dash_series, alt.value([5, 4]), alt.value([1, 0])) if dash_series else alt.value([1, 0])
    )
    line = alt.Chart().mark_line(strokeWidth=2.5).encode(
        x=x, y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)),
        color=alt.Color("series:N", title=None, sort=order, legend=alt.Legend(orient="bottom")), strokeDash=dash,
        tooltip=[alt.Tooltip("series:N"), alt.Tooltip("year:O"), alt.Tooltip("value:Q", format=",.3~f")],
    )  # fmt: skip
    layers = []
    if bands is not None:
        band = alt.Chart().encode(x=x).transform_filter(alt.datum.series == order[0])
        layers.append(band.mark_area(opacity=0.15, color="#4c78a8").encode(y="q05:Q", y2="q95:Q"))
        layers.append(band.mark_area(opacity=0.3, color="#4c78a8").encode(y="q25:Q", y2="q75:Q"))
    facet = alt.Facet(
        "label:N", title=None, sort=alt.SortField("order"), header=alt.Header(labelFontSize=14, labelFontWeight="bold")
    )
    return (
        alt.layer(*layers, line, data=data)
        .properties(width=330, height=210)
        .facet(facet=facet, columns=2)
        .resolve_scale(y="independent")
    )


def people_long(frame: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """Long table (year, where, value) of where relocated people are."""
    long = frame[list(PEOPLE)].reset_index().melt("year", var_name="stock", value_name="value")
    long["where"] = long["stock"].map(labels)
    return long


def people_chart(long: pd.DataFrame, lang: str) -> alt.Chart:
    """Stacked areas of awaiting, settling in, integrated, returned and moved out."""
    order = list(dict.fromkeys(long["where"]))
    return (
        alt.Chart(long)
        .mark_area()
        .encode(
            x=alt.X("year:O", title=t("year", lang), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("value:Q", title=t("persons", lang), stack="zero", axis=alt.Axis(format="~s")),
            color=alt.Color("where:N", title=None, sort=order, legend=alt.Legend(orient="bottom", columns=3)),
            order=alt.Order("order:Q"),
            tooltip=["where:N", "year:O", alt.Tooltip("value:Q", format=",.0f")],
        )
        .transform_calculate(order=f"indexof({order!r}, datum.where)")
        .properties(title=t("people_chart", lang), height=300)
    )


def income_long(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Long table (year, source, value) of income per person by source."""
    parts = [
        pd.DataFrame({"year": frame.index, "source": t(key, lang), "value": frame[column].to_numpy()}) for key, column in INCOME
    ]
    return pd.concat(parts, ignore_index=True)


def income_chart(long: pd.DataFrame, poverty_line: pd.Series, lang: str) -> alt.LayerChart:
    """Stacked income by source with the poverty line."""
    areas = (
        alt.Chart(long)
        .mark_area()
        .encode(
            x=alt.X("year:O", title=t("year", lang), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("value:Q", title=t("yuan", lang), stack="zero"),
            color=alt.Color("source:N", title=None, legend=alt.Legend(orient="bottom")),
            tooltip=["source:N", "year:O", alt.Tooltip("value:Q", format=",.0f")],
        )
    )
    line_data = pd.DataFrame({"year": poverty_line.index, "value": poverty_line.to_numpy(), "what": t("poverty_line", lang)})
    line = (
        alt.Chart(line_data)
        .mark_line(color="black", strokeDash=[6, 3])
        .encode(x="year:O", y="value:Q", tooltip=["what:N", "value:Q"])
    )
    return alt.layer(areas, line).properties(title=t("income_chart", lang), height=300)
