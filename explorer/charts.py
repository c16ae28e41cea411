"""Altair charts of the explorer, built by pure functions from long-format data.

Each chart is two parts: a *template*, the Altair chart without its data, which depends only on the
language and the series shown; and a *table*, the long-format data of one run. The explorer draws
the Vega-Lite specs of :func:`kpi_spec` (one per KPI), :func:`people_spec` and :func:`income_spec`: each
template is built and validated by Altair once and reused on every slider move, with the table of
the moment as its dataset. :func:`kpi_chart` gives a KPI chart as an Altair object with its data,
for notebooks.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

import altair as alt
import numpy as np
import pandas as pd

from sd_model import KPIS

from .i18n import t

PEOPLE = ("awaiting_relocation", "settling_in", "integrated_residents", "back_at_the_origin", "moved_away")
INCOME = (
    ("wage", "wage_income_per_capita"),
    ("equity", "equity_income_per_capita"),
    ("transfer", "transfer_income_per_capita"),
)
PERCENT = ("employment_rate", "urbanization_rate")
#: outputs shown scaled: name -> language -> (factor, unit on charts, unit on cards)
SCALED = {
    "fiscal_cost": {"en": (1e-9, "bn yuan/yr", "bn"), "zh": (1e-8, "亿元/年", "亿元")},
    "cumulative_fiscal_cost": {"en": (1e-9, "bn yuan", "bn"), "zh": (1e-8, "亿元", "亿元")},
}
# Streamlit fits a stretched chart, legend and titles included, into its height.
HEIGHT = 420
KPI_HEIGHT = 300
TICK_EVERY = 5  # label every fifth year
LEGEND_CHARACTERS = 36  # series names longer than this in all go one a line
COLORS = ("#1f5fa8", "#6baed6", "#e6550d", "#31a354")  # series in legend order
GREY = "#9e9e9e"  # the reference baseline
TABLE = "table"  # the name of the one dataset every template reads


def _data() -> alt.NamedData:
    return alt.NamedData(name=TABLE)


def with_data(template: alt.TopLevelMixin, table: pd.DataFrame) -> alt.TopLevelMixin:
    """The template with ``table`` as its data (an Altair chart for notebooks and tests)."""
    chart = template.copy(deep=False)
    chart.data = table
    return chart


_SPECS: dict[tuple, str] = {}  # a template's Vega-Lite JSON, by template and arguments
_BUILDING = threading.Lock()


def _spec_json(template: Callable[..., alt.TopLevelMixin], *args) -> str:
    """Vega-Lite JSON of a template, built and validated once per distinct arguments.

    Built under a lock: the sessions of a workshop room run in threads and ask for the same new template
    at the same moment (thirty builds of 0.1-0.5 s each, not one, without it); the lock also keeps
    Altair's global theme switch to one thread at a time."""
    key = (template, args)
    found = _SPECS.get(key)
    if found is None:
        with _BUILDING:
            found = _SPECS.get(key)
            if found is None:
                with alt.theme.enable("none"):  # Streamlit applies its own theme, as it does for st.altair_chart
                    found = _SPECS[key] = json.dumps(template(*args).to_dict())
    return found


def vega_lite(template: Callable[..., alt.TopLevelMixin], args: tuple, table: pd.DataFrame) -> dict:
    """Spec for ``st.vega_lite_chart(spec=...)``: a fresh copy of the cached template, ``table`` its dataset."""
    spec = json.loads(_spec_json(template, *args))
    spec["datasets"] = {TABLE: table}
    return spec


#: Most saved times a chart of a model on its own time units draws (its runs may save every time step).
MAX_POINTS = 601


def thinned(frame: pd.DataFrame, max_points: int = MAX_POINTS) -> pd.DataFrame:
    """Every k-th row of a run, the last included, so that at most about ``max_points`` are drawn."""
    if len(frame) <= max_points:
        return frame
    step = -(-(len(frame) - 1) // (max_points - 1))
    rows = list(range(0, len(frame), step))
    return frame.iloc[rows if rows[-1] == len(frame) - 1 else [*rows, len(frame) - 1]]


# ---------------------------------------------------------------- KPIs over time


def kpi_long(frames: dict[str, pd.DataFrame], labels: dict[str, str], kpis=KPIS) -> pd.DataFrame:
    """Long table (year, kpi, label, series, value) of the KPIs (or the outputs ``kpis``) of several
    named runs; the time column is the runs' index (``year``, or ``time`` for a model on its own time units)."""
    parts = []
    for series, frame in frames.items():
        time = frame.index.name or "year"
        part = frame[list(kpis)].reset_index().melt(time, var_name="kpi", value_name="value")
        part["series"] = series
        parts.append(part)
    long = pd.concat(parts, ignore_index=True)
    long["label"] = long["kpi"].map(labels)
    return long


def time_column(table: pd.DataFrame) -> str:
    """The time column of a long table: ``year``, or ``time`` for a model on its own time units."""
    return "year" if "year" in table.columns else "time"


def display_scale(name: str, lang: str) -> tuple[float, str]:
    """How the project's charts show an output: its factor and the unit added to its label (rates in
    percent, money in billions or 亿; 1 and nothing for the rest)."""
    if name in PERCENT:
        return 100.0, " (%)"
    if name in SCALED:
        return SCALED[name][lang][0], f" ({SCALED[name][lang][1]})"
    return 1.0, ""


def kpi_table(
    lines: pd.DataFrame, bands: pd.DataFrame | None, lang: str = "en", *, scaled: bool = True
) -> pd.DataFrame:
    """The lines from :func:`kpi_long` joined with the bands, rates in percent, money scaled (the
    project's outputs; ``scaled=False`` leaves another model's values as they are)."""
    data = lines.copy()
    if bands is not None:
        time = time_column(lines)
        data = data.merge(bands[[time, "kpi", "q05", "q25", "q75", "q95"]], on=[time, "kpi"], how="left")
    if not scaled:
        return data
    shown = {k: display_scale(k, lang) for k in data["kpi"].unique()}
    factors, units = {k: f for k, (f, _) in shown.items()}, {k: u for k, (_, u) in shown.items()}
    scale = data["kpi"].map(factors)
    for column in ("value", "q05", "q25", "q75", "q95"):
        if column in data:
            data[column] = data[column] * scale
    data["label"] = data["label"] + data["kpi"].map(units).fillna("")
    return data


def kpi_template(
    lang: str,
    title: str,
    series: tuple[str, ...],
    dash_series: str | None,
    bands: bool,
    ticks: tuple[int, ...],
    thin_series: str | None = None,
    time: tuple[str, str] | None = None,
) -> alt.LayerChart:
    """One KPI over time: a line per series, optional 5-95 % and 25-75 % bands of ``series[0]``.

    The chart takes the width of its container, so that four of them fill the main area.

    Parameters
    ----------
    lang : str
        Language of the axis titles.
    title : str
        The KPI's label (with its units).
    series : tuple of str
        Series names in legend order.
    dash_series : str or None
        Series drawn dashed (the baseline).
    bands : bool
        Whether the table has the band columns q05, q25, q75, q95.
    ticks : tuple of int
        Years labelled on the x axis.
    thin_series : str or None
        Series drawn as a thin grey line (the reference baseline at default assumptions).
    time : (str, str) or None
        The time column and the axis title of a model on its own time units (a continuous axis, the
        ticks its own); None: whole years, ``ticks`` labelled.
    """
    if time is None:
        x = alt.X("year:O", title=t("year", lang), axis=alt.Axis(labelAngle=0, values=list(ticks)))
    else:
        x = alt.X(f"{time[0]}:Q", title=time[1], axis=alt.Axis(labelAngle=0, format=",~r"), scale=alt.Scale(nice=False))
    dash = (
        alt.condition(alt.datum.series == dash_series, alt.value([5, 4]), alt.value([1, 0]))
        if dash_series
        else alt.value([1, 0])
    )
    colors = [GREY if name == thin_series else COLORS[i % len(COLORS)] for i, name in enumerate(series)]
    width = (
        alt.condition(alt.datum.series == thin_series, alt.value(1.2), alt.value(2.5))
        if thin_series
        else alt.value(2.5)
    )
    line = alt.Chart().mark_line().encode(
        x=x, y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)),
        color=alt.Color("series:N", title=None, sort=list(series), legend=_series_legend(series),
                        scale=alt.Scale(domain=list(series), range=colors)),
        strokeDash=dash, strokeWidth=width,
        tooltip=[alt.Tooltip("series:N"), alt.Tooltip("year:O" if time is None else f"{time[0]}:Q"),
                 alt.Tooltip("value:Q", format=",.3~f")],
    )  # fmt: skip
    layers = []
    if bands:
        band = alt.Chart().encode(x=x).transform_filter(alt.datum.series == series[0])
        layers.append(band.mark_area(opacity=0.15, color="#4c78a8").encode(y="q05:Q", y2="q95:Q"))
        layers.append(band.mark_area(opacity=0.3, color="#4c78a8").encode(y="q25:Q", y2="q75:Q"))
    return alt.layer(*layers, line, data=_data()).properties(
        title=alt.Title(title, fontSize=15), width="container", height=KPI_HEIGHT
    )


def _series_legend(series: tuple[str, ...]) -> alt.Legend:
    """Legend below the chart: side by side for short names, one a line for long ones (scenario titles)."""
    long = sum(len(name) for name in series) > LEGEND_CHARACTERS
    return alt.Legend(orient="bottom", columns=1 if long else len(series), labelLimit=0)


def kpi_chart(
    lines: pd.DataFrame,
    bands: pd.DataFrame | None,
    lang: str,
    kpi: str,
    *,
    dash_series: str | None = None,
    thin_series: str | None = None,
) -> alt.LayerChart:
    """The chart of :func:`kpi_template` for ``kpi`` with its data (lines from :func:`kpi_long`).

    ``bands`` has columns year, kpi, q05, q25, q75, q95 (from ``explorer.ensemble.bands``) or is None.
    """
    args, table = _kpi_parts(lines, bands, lang, kpi, dash_series, thin_series)
    return with_data(kpi_template(*args), table)


def kpi_spec(
    lines: pd.DataFrame,
    bands: pd.DataFrame | None,
    lang: str,
    kpi: str,
    *,
    dash_series: str | None = None,
    thin_series: str | None = None,
    time_title: str | None = None,
) -> dict:
    """:func:`kpi_chart` as a Vega-Lite spec from the cached template. ``time_title`` is the axis title
    of a model on its own time units (a ``time`` column), whose values are drawn unscaled."""
    return vega_lite(kpi_template, *_kpi_parts(lines, bands, lang, kpi, dash_series, thin_series, time_title))


def _kpi_parts(
    lines, bands, lang: str, kpi: str, dash_series, thin_series, time_title=None
) -> tuple[tuple, pd.DataFrame]:
    """The template arguments and the table of one KPI's chart."""
    if kpi not in set(lines["kpi"]):
        raise ValueError(f"unknown KPI {kpi!r}; KPIs: {', '.join(dict.fromkeys(lines['kpi']))}")
    table = kpi_table(lines[lines["kpi"] == kpi], bands, lang, scaled=time_title is None).reset_index(drop=True)
    label = str(table["label"].iloc[0])
    return _kpi_args(table, label, lang, dash_series, thin_series, time_title, bands is not None), table


def _kpi_args(table: pd.DataFrame, label: str, lang: str, dash_series, thin_series, time_title, bands: bool) -> tuple:
    """The arguments of :func:`kpi_template` for one KPI's table (``label`` its title)."""
    series = tuple(dict.fromkeys(table["series"]))
    if time_title is not None:
        time = (time_column(table), time_title)
        return lang, label, series, dash_series, bands, (), thin_series, time
    ticks = tuple(int(y) for y in np.unique(table["year"].to_numpy())[::TICK_EVERY])
    return lang, label, series, dash_series, bands, ticks, thin_series


def _chart_label(label, unit: str) -> str | None:
    """A KPI's chart title: its label and the unit it is shown in (None without a label)."""
    return label + unit if isinstance(label, str) else None


def kpi_tables(
    frames: dict[str, pd.DataFrame],
    bands: pd.DataFrame | None,
    labels: dict[str, str],
    lang: str,
    kpis,
    *,
    scaled: bool = True,
    keys: bool = True,
) -> dict[str, pd.DataFrame]:
    """Each KPI's chart table, as :func:`kpi_table` makes it from :func:`kpi_long` (row for row, value for
    value: a test holds them equal), built from the runs' columns directly: the explorer draws these on
    every rerun, and the long table's string keys (melt, filter, merge) cost most of a rerun of a
    workshop room's team page under load (benchmarks/bench_workshop.py). ``keys=False`` leaves out the
    columns ``kpi`` and ``label``, which the chart does not read."""
    times = [frame.index.to_numpy() for frame in frames.values()]
    time = next(iter(frames.values())).index.name or "year"
    all_times = np.concatenate(times)
    series = pd.array(np.repeat(np.array(list(frames), dtype=object), [len(x) for x in times]), dtype="str")
    quantiles = ["q05", "q25", "q75", "q95"]
    if bands is not None:  # as plain arrays once: a KPI's rows by a comparison, its years by a search
        band_kpi, band_time = bands["kpi"].to_numpy(dtype=object), bands[time].to_numpy()
        band_values = bands[quantiles].to_numpy(dtype=float)
    out = {}
    for kpi in kpis:
        factor, unit = display_scale(kpi, lang) if scaled else (1.0, "")
        label = labels.get(kpi)
        columns = {
            time: all_times,
            "kpi": pd.array([kpi] * len(all_times), dtype="str"),
            "value": np.concatenate([frame[kpi].to_numpy(dtype=float) for frame in frames.values()]) * factor,
            "series": series,
            "label": pd.array([_chart_label(label, unit)] * len(all_times), dtype="str"),
        }
        if not keys:
            del columns["kpi"], columns["label"]
        if bands is not None:
            own = band_kpi == kpi
            at, values = band_time[own], band_values[own]
            order = np.argsort(at, kind="stable")
            at, values = at[order], values[order]
            where = np.minimum(np.searchsorted(at, all_times), max(len(at) - 1, 0))
            found = (at[where] == all_times) if len(at) else np.zeros(len(all_times), dtype=bool)
            for i, column in enumerate(quantiles):
                columns[column] = np.where(found, values[where, i] if len(at) else np.nan, np.nan) * factor
        out[kpi] = pd.DataFrame(columns)
    return out


def kpi_specs(
    frames: dict[str, pd.DataFrame],
    bands: pd.DataFrame | None,
    labels: dict[str, str],
    lang: str,
    kpis,
    *,
    dash_series: str | None = None,
    thin_series: str | None = None,
    time_title: str | None = None,
) -> dict[str, dict]:
    """:func:`kpi_spec` of every KPI in ``kpis`` from the runs ``frames`` (tables by :func:`kpi_tables`)."""
    scaled, banded = time_title is None, bands is not None
    tables = kpi_tables(frames, bands, labels, lang, kpis, scaled=scaled, keys=False)
    specs = {}
    for kpi, table in tables.items():
        label = str(_chart_label(labels.get(kpi), display_scale(kpi, lang)[1] if scaled else ""))
        args = _kpi_args(table, label, lang, dash_series, thin_series, time_title, banded)
        specs[kpi] = vega_lite(kpi_template, args, table)
    return specs


# ---------------------------------------------------------------- where people are


def people_long(frame: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """Long table (year, stock, where, value) of where relocated people are."""
    long = frame[list(PEOPLE)].reset_index().melt("year", var_name="stock", value_name="value")
    long["where"] = long["stock"].map(labels)
    return long


def people_template(lang: str, order: tuple[str, ...]) -> alt.Chart:
    """Stacked areas of awaiting, settling in, integrated, back at the origin and moved away, in ``order``."""
    return (
        alt.Chart(_data())
        .mark_area()
        .encode(
            x=alt.X("year:O", title=t("year", lang), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("value:Q", title=t("persons", lang), stack="zero", axis=alt.Axis(format="~s")),
            color=alt.Color("where:N", title=None, sort=list(order), legend=alt.Legend(orient="bottom", columns=2)),
            order=alt.Order("order:Q"),
            tooltip=["where:N", "year:O", alt.Tooltip("value:Q", format=",.0f")],
        )
        .transform_calculate(order=f"indexof({list(order)!r}, datum.where)")
        .properties(title=t("people_chart", lang), height=HEIGHT)
    )


def people_spec(long: pd.DataFrame, lang: str) -> dict:
    """:func:`people_template` with the table from :func:`people_long`, as a Vega-Lite spec."""
    return vega_lite(people_template, (lang, tuple(dict.fromkeys(long["where"]))), long)


# ---------------------------------------------------------------- income


def income_long(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Long table (year, source, value, is_line) of income per person by source and the poverty line."""
    sources = [(t(key, lang), frame[column], False) for key, column in INCOME]
    parts = [
        pd.DataFrame({"year": frame.index, "source": name, "value": values.to_numpy(), "is_line": is_line})
        for name, values, is_line in [*sources, (t("poverty_line", lang), frame["monitoring_line"], True)]
    ]
    return pd.concat(parts, ignore_index=True)


def income_template(lang: str) -> alt.LayerChart:
    """Stacked income by source (rows with ``is_line`` false) and the poverty line (true)."""
    x = alt.X("year:O", title=t("year", lang), axis=alt.Axis(labelAngle=0))
    areas = (
        alt.Chart()
        .mark_area()
        .encode(
            x=x,
            y=alt.Y("value:Q", title=t("yuan", lang), stack="zero"),
            color=alt.Color(
                "source:N", title=None, sort=[t(k, lang) for k, _ in INCOME], legend=alt.Legend(orient="bottom")
            ),
            tooltip=["source:N", "year:O", alt.Tooltip("value:Q", format=",.0f")],
        )
        .transform_filter(~alt.datum.is_line)
    )
    line = (
        alt.Chart()
        .mark_line(color="black", strokeDash=[6, 3])
        .encode(x=x, y="value:Q", tooltip=["source:N", "year:O", alt.Tooltip("value:Q", format=",.0f")])
        .transform_filter(alt.datum.is_line)
    )
    return alt.layer(areas, line, data=_data()).properties(title=t("income_chart", lang), height=HEIGHT)


def income_spec(long: pd.DataFrame, lang: str) -> dict:
    """:func:`income_template` with the table from :func:`income_long`, as a Vega-Lite spec."""
    return vega_lite(income_template, (lang,), long)
