"""The *Where* page's data and charts: a model split by place and site type (``sd_model.split``).

An output ``X`` of such a model comes with ``X_by_place[place]``, ``X_by_type[site type]`` and
``X_by_site[place,site type]`` (the metadata written by ``python -m sd_model split``). The places' names
and tiles come from the copy of the place file beside the model (``places.csv``); without it the places
stand in a row under their ids.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import altair as alt
import pandas as pd

from robustness.experiments import futures, run_experiment
from sd_model.places import PlaceFileError, read_places
from sd_model.split import PLACES_BESIDE

from .i18n import t

_ELEMENT = re.compile(r"^(\w+)_by_(place|type|site)\[([\w,]+)\]$")


def split_outputs(names) -> list[str]:
    """The outputs of ``names`` that the model gives by place and by type, in order."""
    found = {}
    for name in names:
        match = _ELEMENT.match(name)
        if match:
            found.setdefault(match[1], set()).add(match[2])
    return [name for name in names if found.get(name, set()) >= {"place", "type", "site"}]


def elements(names, output: str, level: str) -> dict[str, str]:
    """Name (a result's column) of each element (``place``, ``type`` or ``place,type``) of ``output`` at
    ``level``, among ``names`` (a result's columns, or a model's output names)."""
    out = {}
    for column in names:
        match = _ELEMENT.match(column)
        if match and match[1] == output and match[2] == level:
            out[match[3]] = column
    return out


def places(mdl_file: Path, ids: list[str]) -> tuple[pd.DataFrame, str | None]:
    """Names and tiles of the places ``ids``: from the place file beside the model where it is there
    and names them all, else the ids in a row; and the problem with the file, if any (one line)."""
    path = Path(mdl_file).with_name(PLACES_BESIDE)
    problem = None
    table = None
    if path.is_file():
        try:
            table = read_places(path)
        except PlaceFileError as err:
            problem = str(err)
    if table is None or not set(ids) <= set(table.index):
        table = pd.DataFrame({"name_en": ids, "name_zh": ids}, index=pd.Index(ids, name="place_id"))
    table = table.loc[ids, ["name_en", "name_zh"] + [c for c in ("tile_row", "tile_col") if c in table]].copy()
    if "tile_row" not in table or table[["tile_row", "tile_col"]].isna().any().any():
        table["tile_row"], table["tile_col"] = 0, range(len(ids))
    return table, problem


def place_frame(results, baseline, output: str, year, table: pd.DataFrame, language: str) -> pd.DataFrame:
    """One row a place: its name, tile, the value of ``output`` in ``year``, the baseline's and the difference."""
    columns = elements(results.columns, output, "place")
    frame = table.copy()
    frame["name"] = frame[f"name_{language}"]
    frame["value"] = [float(results.loc[year, columns[p]]) for p in frame.index]
    frame["baseline"] = [float(baseline.loc[year, columns[p]]) for p in frame.index]
    frame["difference"] = frame["value"] - frame["baseline"]
    frame["shade"] = [float(f"{v:.4g}") for v in frame["value"]]  # places equal to 4 digits share a colour
    return frame.reset_index()


def type_frame(results, baseline, output: str, type_labels: dict[str, str]) -> pd.DataFrame:
    """Long frame of ``output`` by site type over time, the scenario and the baseline."""
    rows = []
    for kind, column in elements(results.columns, output, "type").items():
        for series, frame in (("scenario", results), ("baseline", baseline)):
            rows += [(float(time), type_labels.get(kind, kind), series, float(v)) for time, v in frame[column].items()]
    return pd.DataFrame(rows, columns=["time", "type", "series", "value"])


def site_table(results, output: str, year, table: pd.DataFrame, type_labels: dict, language: str) -> pd.DataFrame:
    """``output`` in ``year`` at each place (rows) and site type (columns)."""
    columns = elements(results.columns, output, "site")
    return site_grid(pd.Series({key: results.loc[year, column] for key, column in columns.items()}), table,
                     type_labels, language)  # fmt: skip


def site_grid(values: pd.Series, table: pd.DataFrame, type_labels: dict, language: str) -> pd.DataFrame:
    """A value per site (index ``place,type``) as places (rows) x types (columns), named."""
    cells = {}
    for key, value in values.items():
        place, kind = key.split(",")
        cells.setdefault(type_labels.get(kind, kind), {})[table.loc[place, f"name_{language}"]] = float(value)
    columns = [label for label in type_labels.values() if label in cells]
    return pd.DataFrame(cells)[columns].reindex(table[f"name_{language}"]).rename_axis(None)


def tile_map(frame: pd.DataFrame, title: str, language: str) -> alt.LayerChart:
    """The places as tiles where they lie, coloured by the value, labelled with name and value."""
    base = alt.Chart(frame).encode(
        x=alt.X("tile_col:O", axis=None),
        y=alt.Y("tile_row:O", axis=None),
        tooltip=[
            alt.Tooltip("name:N", title=t("where_place", language)),
            alt.Tooltip("value:Q", title=title, format=",.3~f"),
            alt.Tooltip("baseline:Q", title=t("series_baseline", language), format=",.3~f"),
            alt.Tooltip("difference:Q", title=t("where_difference", language), format="+,.3~f"),
        ],
    )
    tiles = base.mark_rect(cornerRadius=6, stroke="white", strokeWidth=3).encode(
        color=alt.Color("shade:Q", title=title, scale=alt.Scale(scheme="viridis"), legend=alt.Legend(format=",.4~g"))
    )
    names = base.mark_text(dy=-10, fontSize=14, fontWeight="bold", color="white").encode(text="name:N")
    numbers = base.mark_text(dy=10, fontSize=13, color="white").encode(text=alt.Text("value:Q", format=",.3~f"))
    return (tiles + names + numbers).properties(height=260)


def type_chart(frame: pd.DataFrame, title: str, language: str, order: list[str]) -> alt.Chart:
    """Small multiples: one panel a site type (in ``order``), the scenario against the baseline (dashed)."""
    series = {"scenario": t("series_scenario", language), "baseline": t("series_baseline", language)}
    frame = frame.assign(series=frame["series"].map(series))
    return (
        alt.Chart(frame)
        .mark_line()
        .encode(
            x=alt.X("time:Q", title=None, axis=alt.Axis(format="d")),
            y=alt.Y("value:Q", title=title),
            strokeDash=alt.StrokeDash("series:N", title=None, sort=list(series.values())),
            tooltip=["type:N", "series:N", alt.Tooltip("time:Q", format="d"), alt.Tooltip("value:Q", format=",.3~f")],
        )
        .properties(width=180, height=140)
        .facet(facet=alt.Facet("type:N", title=None, sort=order), columns=4)
    )


def site_targets(targets, names) -> dict[str, list]:
    """Each target whose output (and ``per``) the model gives by site, as one target a site: site label
    (``place,type``) to its targets, named as the provincial ones."""
    out: dict[str, list] = {}
    names = set(names)
    for target in targets:
        for label in sorted(elements(names, target.output, "site")):
            per = f"{target.per}_by_site[{label}]" if target.per else None
            if per is not None and per not in names:
                continue
            copy = dataclasses.replace(target, output=f"{target.output}_by_site[{label}]", per=per)
            out.setdefault(label, []).append(copy)
    return out


@dataclasses.dataclass(frozen=True)
class SiteFutures:
    """Each site's margin on each target in ``n`` futures at one lever setting.

    Attributes
    ----------
    worlds : pandas.DataFrame
        The futures (one row each: the uncertainties and historical settings).
    margins : pandas.DataFrame
        One row a future; columns ``(site, target)`` (``site`` as ``place,type``): the margin, met where ≥ 0.
    """

    worlds: pd.DataFrame
    margins: pd.DataFrame

    def shares(self) -> pd.DataFrame:
        """Share of the futures in which each site meets each target: rows ``place,type``, columns targets."""
        if self.margins.empty:
            return pd.DataFrame()
        return (self.margins >= 0).mean().unstack("target")

    def misses(self, site: str, target: str):
        """Whether ``site`` misses ``target`` in each future (a boolean array)."""
        return (self.margins[(site, target)] < 0).to_numpy()


def site_futures(model, levers: dict[str, float], targets, n: int, seed: int = 2016, *,
                 prior: bool = True) -> SiteFutures:  # fmt: skip
    """Run ``levers`` in ``n`` futures (posterior draws, or with ``prior`` a Latin hypercube over the full
    ranges of the uncertainties and historical settings) and read every site's margin on every target."""
    by_site = site_targets(targets, model.output_names)
    worlds = futures(n, seed, prior=prior, model=model)
    if not by_site:
        return SiteFutures(worlds, pd.DataFrame())
    outputs = sorted({o for ts in by_site.values() for t in ts for o in t.outputs()})
    experiment = run_experiment([levers], worlds, outputs, model=model)
    frames = {label: experiment.margins(site) for label, site in by_site.items()}
    margins = pd.concat(frames, axis=1, names=["site", "target"])
    return SiteFutures(worlds, margins)


def worst_site(shares: pd.Series) -> str:
    """The site (``place,type``) meeting a target in the fewest futures (the first such in order)."""
    return str(shares.idxmin())


def site_name(site: str, table: pd.DataFrame, type_labels: dict[str, str], language: str) -> str:
    """``Hechi · Central village`` for ``hechi,village``."""
    place, kind = site.split(",")
    return f"{table.loc[place, f'name_{language}']} · {type_labels.get(kind, kind)}"
