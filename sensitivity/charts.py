"""Altair charts of sensitivity indices, from the tidy ``indices.csv`` table.

The table has columns ``output, year, parameter, index, value, conf`` (``conf``: half-width of the
95 % confidence interval). The main index of a method is the first of :data:`MAIN_INDICES` present.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

MAIN_INDICES = ("ST", "mu_star", "delta", "median", "S1")


def main_index(indices: pd.DataFrame) -> str:
    """The index used for ranking (total order for Sobol, mu* for Morris, ...)."""
    present = set(indices["index"])
    return next(i for i in MAIN_INDICES if i in present)


def ranked_chart(indices: pd.DataFrame, output: str, *, year: int | None = None, top: int = 15) -> alt.LayerChart:
    """Horizontal bars of the main index at ``year`` (default: last), with confidence intervals."""
    data = indices[indices["output"] == output]
    year = int(data["year"].max()) if year is None else year
    index = main_index(data)
    data = data[(data["year"] == year) & (data["index"] == index)].nlargest(top, "value").copy()
    data["low"] = data["value"] - data["conf"]
    data["high"] = data["value"] + data["conf"]
    # sorted by the value itself: "-x" would follow the error bars' layer too
    y = alt.Y("parameter:N", sort=alt.EncodingSortField("value", order="descending"), title=None)
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(x=alt.X("value:Q", title=f"{index} ({year})"), y=y, tooltip=["parameter", "value", "conf"])
    )
    errors = (
        alt.Chart(data)
        .mark_errorbar(color="black")
        .encode(x=alt.X("low:Q", title=f"{index} ({year})"), x2="high:Q", y=y)
    )
    return alt.layer(bars, errors).properties(title=f"{output}: {index} at {year}", width=420)


def heatmap_chart(indices: pd.DataFrame, output: str, *, top: int = 12) -> alt.Chart:
    """Heat map of the main index by parameter and year, for the ``top`` parameters."""
    data = indices[indices["output"] == output]
    index = main_index(data)
    data = data[data["index"] == index]
    leaders = data.groupby("parameter")["value"].max().nlargest(top).index
    data = data[data["parameter"].isin(leaders)]
    return (
        alt.Chart(data)
        .mark_rect()
        .encode(
            x=alt.X("year:O", title=None),
            y=alt.Y("parameter:N", sort=list(leaders), title=None),
            color=alt.Color("value:Q", title=index, scale=alt.Scale(scheme="blues")),
            tooltip=["parameter", "year", alt.Tooltip("value:Q", format=".3f")],
        )
        .properties(title=f"{output}: {index} over the years", width=520)
    )
