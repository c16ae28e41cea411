"""Places as data: a CSV of prefectures or counties, each figure with its source, checked before use.

One row a place (``data/places/guangxi.csv`` ships with the province as Hechi, Baise and the rest;
a user brings a county's own file). :data:`COLUMNS` declares every column once: its kind, whether it
is required, and the source column a figure must carry. :func:`read_places` reads a file as text (never
executes it) and refuses it in one line naming the row and the column at the first problem.
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from .paths import ROOT

PLACES_DIR = ROOT / "data" / "places"
PLACES_FILE = PLACES_DIR / "guangxi.csv"
#: A place file larger than this is refused before it is parsed.
MAX_BYTES = 1_000_000
MAX_ROWS = 2_000
#: Site types of the resettlement sites (the columns ``sites_<type>``).
SITE_TYPES = ("county_seat", "town", "industrial_park", "village")


class Column(NamedTuple):
    """One column of a place file."""

    kind: str  # "id", "text", "count" (a whole number >= 0), "amount" (a number > 0) or "share" (in [0, 1])
    required: bool = False
    source: str | None = None  # the column that must name where a value of this one comes from
    period: str | None = None  # the column that must name the year (or the period, ending in a year) of a value


#: Every column a place file may have, in order.
COLUMNS: dict[str, Column] = {
    "place_id": Column("id", required=True),
    "name_en": Column("text", required=True),
    "name_zh": Column("text", required=True),
    "level": Column("text"),
    "parent": Column("text"),
    "people_relocated": Column("count", required=True, source="people_source"),
    "people_period": Column("text"),
    "people_source": Column("text", required=True),
    "sites_total": Column("count", source="sites_source"),
    **{f"sites_{kind}": Column("count", source="sites_source") for kind in SITE_TYPES},
    "sites_source": Column("text"),
    "income_per_person": Column("amount", source="income_source", period="income_period"),
    "income_period": Column("text"),
    "income_source": Column("text"),
    "employed_share": Column("share", source="employment_source", period="employment_period"),
    "employment_period": Column("text"),
    "employment_source": Column("text"),
    "tile_row": Column("count"),
    "tile_col": Column("count"),
    "note": Column("text"),
}

_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")
_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)")


def figure_year(period: str) -> int | None:
    """The year a figure is compared in: the last year its period names (``2021-10/2022-07`` -> 2022)."""
    years = _YEAR.findall(period or "")
    return int(years[-1]) if years else None


class PlaceFileError(ValueError):
    """A place file that cannot be used; the message names the file, the row and the column."""


def read_places(path: str | Path = PLACES_FILE) -> pd.DataFrame:
    """A checked place file: one row per place, indexed by ``place_id``; numbers as floats (NaN where
    not known), text as text.

    Raises
    ------
    PlaceFileError
        For a file that is missing, too large, not UTF-8 CSV, ragged, without a required column, with
        an unknown column, a duplicate or malformed ``place_id``, a value of the wrong kind, or a
        figure without its source; the message names the row (as a spreadsheet counts it, the header
        being row 1) and the column.
    """
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise PlaceFileError(f"{path}: no such file")
    if path.stat().st_size > MAX_BYTES:
        raise PlaceFileError(f"{name}: larger than {MAX_BYTES:,} bytes; a place file has one row per place")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise PlaceFileError(f"{name}: not UTF-8 text (byte {err.start})") from None
    rows = list(csv.reader(io.StringIO(text, newline="")))
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise PlaceFileError(f"{name}: empty; the first row names the columns")
    header = [cell.strip() for cell in rows[0]]
    _check_header(name, header)
    if len(rows) == 1:
        raise PlaceFileError(f"{name}: no places, only the header")
    if len(rows) - 1 > MAX_ROWS:
        raise PlaceFileError(f"{name}: {len(rows) - 1:,} places; at most {MAX_ROWS:,}")
    records, seen = [], set()
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise PlaceFileError(f"{name} row {number}: {len(row)} cells for {len(header)} columns")
        record = {column: _value(name, number, column, cell.strip()) for column, cell in zip(header, row, strict=True)}
        _check_sources(name, number, record)
        if record["place_id"] in seen:
            raise PlaceFileError(f"{name} row {number}, column place_id: {record['place_id']!r} appears twice")
        seen.add(record["place_id"])
        records.append(record)
    frame = pd.DataFrame(records).set_index("place_id")
    return frame.reindex(columns=[c for c in COLUMNS if c != "place_id"])


def _check_header(name: str, header: list[str]) -> None:
    unknown = [c for c in header if c not in COLUMNS]
    if unknown:
        raise PlaceFileError(f"{name} row 1: unknown column {unknown[0]!r}; the columns are {', '.join(COLUMNS)}")
    missing = [c for c, spec in COLUMNS.items() if spec.required and c not in header]
    if missing:
        raise PlaceFileError(f"{name} row 1: no column {missing[0]!r} (required: place_id, names, people and source)")
    repeated = {c for c in header if header.count(c) > 1}
    if repeated:
        raise PlaceFileError(f"{name} row 1: column {sorted(repeated)[0]!r} appears twice")


def _value(name: str, number: int, column: str, cell: str):
    """One cell as its column's kind; an empty cell is unknown (NaN, or '' for text)."""
    kind = COLUMNS[column].kind
    where = f"{name} row {number}, column {column}"
    if kind == "id":
        if not _ID.fullmatch(cell):
            raise PlaceFileError(f"{where}: {cell!r} is not an id (lower-case letters, digits and _, a letter first)")
        return cell
    if kind == "text":
        if COLUMNS[column].required and not cell:
            raise PlaceFileError(f"{where}: empty")
        return cell
    if not cell:
        if COLUMNS[column].required:
            raise PlaceFileError(f"{where}: empty; it is required")
        return math.nan
    try:
        value = float(cell.replace(",", "").replace("_", ""))
    except ValueError:
        raise PlaceFileError(f"{where}: {cell!r} is not a number") from None
    if not math.isfinite(value):
        raise PlaceFileError(f"{where}: {cell!r} is not a finite number")
    if kind == "count" and (value < 0 or value != int(value)):
        raise PlaceFileError(f"{where}: {cell!r} is not a whole number of zero or more")
    if kind == "amount" and value <= 0:
        raise PlaceFileError(f"{where}: {cell!r} must be more than zero")
    if kind == "share" and not 0 <= value <= 1:
        raise PlaceFileError(f"{where}: {cell!r} is not a share between 0 and 1")
    return value


def _check_sources(name: str, number: int, record: dict) -> None:
    for column, spec in COLUMNS.items():
        value = record.get(column)
        if spec.source and value is not None and not (isinstance(value, float) and math.isnan(value)):
            if not record.get(spec.source):
                raise PlaceFileError(f"{name} row {number}, column {spec.source}: empty, but {column} is given")
            if spec.period and figure_year(record.get(spec.period, "")) is None:
                raise PlaceFileError(
                    f"{name} row {number}, column {spec.period}: names no year, but {column} is given "
                    "(a year such as 2022, or a period ending in one)"
                )
