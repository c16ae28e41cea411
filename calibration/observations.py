"""The observations the posterior is fitted to, read from a calibration file beside the model
(``models/calibration.toml`` for the project's model).

Each observation is a model output at a saved time (a year) with a published value (for the project's
model taken from ``data/reference/``, never repeated; for a model a user brings, given in the file as
``value`` with its ``source``) and an observation error. :func:`model_values` reads the matching model quantity from
a :func:`sd_model.run_batch` result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from sd_model import spec
from sd_model.parameters import in_language
from sd_model.paths import MODELS_DIR, REFERENCE_DIR, beside

from .fit import urbanization_reference

CALIBRATION_FILE = MODELS_DIR / "calibration.toml"


def calibration_file(model=None) -> Path:
    """The calibration file beside a model's ``.mdl`` (``models/calibration.toml`` for the project's model)."""
    return beside(model.mdl_file, "calibration.toml") if model is not None else CALIBRATION_FILE


ROLES = ("target", "holdout")
SERIES = {"urbanization_census_basis": lambda: urbanization_reference()["census_basis"]}


@dataclass(frozen=True)
class Observation:
    """A published figure and the model quantity it is compared with.

    Attributes
    ----------
    name : str
        Identifier, unique in the file (one per year for a series: ``NAME_YEAR``).
    role : {"target", "holdout"}
        Fitted to (in the likelihood), or only compared with.
    output : str
        Model output (Python name); divided by ``per`` when given.
    year : int
    value : float
        The published figure, from ``data/reference/``.
    sd : float
        Observation error (standard deviation of a normal error), in the output's units.
    label_en, label_zh, why, source : str
    per : str or None
    miss : str or None
        For a holdout the model misses: why (``miss`` in the file). A holdout is met within its error,
        or its miss is explained; it is never fitted.
    """

    name: str
    role: str
    output: str
    year: int
    value: float
    sd: float
    label_en: str
    label_zh: str
    why: str
    source: str
    per: str | None = None
    miss: str | None = None

    def label(self, lang: str = "en") -> str:
        return in_language(self, "label", lang)


def _fact(facts: pd.DataFrame, spec, where: str) -> tuple[float, str]:
    if not isinstance(spec, dict) or set(spec) != {"scope", "year", "quantity"}:
        raise ValueError(f"{where}: fact must be a table with scope, year and quantity, got {spec!r}")
    rows = facts[
        (facts["scope"] == spec["scope"])
        & (facts["year"] == str(spec["year"]))
        & (facts["quantity"] == spec["quantity"])
    ]
    if len(rows) != 1:
        raise ValueError(
            f"{where}: {len(rows)} rows of the facts files (data/reference/*_facts.csv) match {spec!r}; "
            "exactly one must"
        )
    row = rows.iloc[0]
    return float(row["value"]), f"{row['source']} ({row['file']}: {spec['quantity']}, {spec['year']})"


def _check_entry(entry: dict, where: str, output_names) -> None:
    """Refuse an observation whose role, strings, outputs, miss, error or value/source pairing is wrong."""
    if entry.get("role") not in ROLES:
        raise ValueError(f"{where}: role must be one of {ROLES}, got {entry.get('role')!r}")
    for field in ("name", "output", "label_en", "label_zh", "why"):
        if not isinstance(entry.get(field), str) or not entry[field]:
            raise ValueError(f"{where}: {field} must be a non-empty string")
    for field in ("output", "per"):
        if output_names is not None and field in entry and entry[field] not in output_names:
            raise ValueError(f"{where}: {field} {entry[field]!r} is not an output of the model")
    if "miss" in entry and (entry["role"] != "holdout" or not isinstance(entry["miss"], str) or not entry["miss"]):
        raise ValueError(f"{where}: miss explains a holdout the model misses: a non-empty string on a holdout")
    if ("sd" in entry) == ("rel_sd" in entry):
        raise ValueError(f"{where}: give exactly one of sd and rel_sd")
    error = entry.get("sd", entry.get("rel_sd"))
    if isinstance(error, bool) or not isinstance(error, (int, float)) or not math.isfinite(error) or error <= 0:
        raise ValueError(f"{where}: the observation error must be a positive number, got {error!r}")
    if ("value" in entry) != ("source" in entry) or ("value" in entry and "fact" in entry):
        raise ValueError(f"{where}: a value goes with its source (and not with a fact)")


def _points(entry: dict, facts: pd.DataFrame, where: str) -> tuple[list[tuple[str, int, float]], str]:
    """The ``(name, year, value)`` points of an observation (one, or one per year of a series) and their source."""
    if "fact" in entry:
        value, source = _fact(facts, entry["fact"], where)
        return [(entry["name"], int(entry["year"]), value)], source
    if "value" in entry:  # a figure given in the file, with its source (a model brought by a user)
        if not math.isfinite(entry["value"]) or not entry["source"].strip() or "year" not in entry:
            raise ValueError(f"{where}: value must be a finite number, with a non-empty source and a year")
        return [(entry["name"], entry["year"], float(entry["value"]))], entry["source"]
    if entry.get("series") in SERIES:
        series = SERIES[entry["series"]]()
        missing = [y for y in entry.get("years", []) if y not in series.index]
        if missing or not entry.get("years"):
            raise ValueError(f"{where}: series {entry['series']!r} has no figure for {missing or 'no years given'}")
        source = f"{entry['series']} (guangxi_urbanization.csv, calibration.fit)"
        return [(f"{entry['name']}_{y}", int(y), float(series[y])) for y in entry["years"]], source
    raise ValueError(f"{where}: give a fact, a value with its source, or a series (one of {', '.join(SERIES)})")


def read_observations(path: str | Path = CALIBRATION_FILE, output_names=None) -> list[Observation]:
    """Read and check the observations; values from ``data/reference/``.

    Parameters
    ----------
    path : path, optional
        A calibration file (default ``models/calibration.toml``).
    output_names : collection of str, optional
        The model's outputs, to check each observation's ``output`` and ``per`` against.

    Raises
    ------
    ValueError
        Naming the observation and the problem (unknown output, role or fact, missing or
        non-positive error, a year the series lacks).
    """
    doc = spec.read(path, spec.CALIBRATION)
    facts = pd.concat(
        [pd.read_csv(f, dtype={"year": str}).assign(file=f.name) for f in sorted(REFERENCE_DIR.glob("*_facts.csv"))]
    )
    entries = doc.get("observations")
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{path}: no [[observations]]")
    result = []
    for i, entry in enumerate(entries):
        where = f"{path}: observation {entry.get('name', i)!r}"
        _check_entry(entry, where, output_names)
        points, source = _points(entry, facts, where)
        for name, year, value in points:
            sd = float(entry["sd"]) if "sd" in entry else float(entry["rel_sd"]) * abs(value)
            labels = (entry["label_en"], entry["label_zh"], entry["why"], source, entry.get("per"), entry.get("miss"))
            result.append(Observation(name, entry["role"], entry["output"], year, value, sd, *labels))
    names = [o.name for o in result]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: observation names repeat: {sorted({n for n in names if names.count(n) > 1})}")
    return result


def needed_outputs(observations) -> list[str]:
    """The model outputs the observations read, in first-use order."""
    return list(dict.fromkeys(name for o in observations for name in (o.output, o.per) if name))


def model_values(results, observations, years=None) -> np.ndarray:
    """The model quantity of each observation in each run: an array ``(runs, observations)``.

    ``results`` is a :func:`sd_model.run_batch` dataset, or a mapping of output name to an array
    ``(runs, years)`` (from :meth:`sd_model.Model.evaluate`) with its ``years``.
    """
    if isinstance(results, xr.Dataset):
        years = results[next(d for d in results.dims if d != "run")].values  # year, or time
    column = {float(y): i for i, y in enumerate(years)}
    missing = [o.name for o in observations if float(o.year) not in column]
    if missing:
        raise ValueError(f"observation {missing[0]!r}: its year is not a saved time of the model")
    values = []
    for o in observations:
        value = np.asarray(results[o.output])[:, column[float(o.year)]]
        if o.per:
            value = value / np.asarray(results[o.per])[:, column[float(o.year)]]
        values.append(value)
    return np.column_stack(values)
