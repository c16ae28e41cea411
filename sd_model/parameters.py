"""The parameter table: one record per exposed constant of the model.

Numbers come from the ``.mdl`` (value, ``[low,high]`` range, units, comment); names, kind, theme and
labels from ``models/model.toml``. Sliders, CLI flags, SALib problems, validation and the
documentation are all derived from this table.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

KINDS = ("lever", "uncertainty", "history")
THEMES = ("policy", "relocation", "livelihood", "assets", "governance", "assumptions", "history", "targeted")


def in_language(record, field: str, lang: str) -> str:
    """``record.<field>_zh`` when ``lang`` is ``"zh"``, else ``record.<field>_en``."""
    return getattr(record, f"{field}_{'zh' if lang == 'zh' else 'en'}")


class ParameterError(ValueError):
    """A parameter name or value that the model does not accept."""


@dataclass(frozen=True)
class Parameter:
    """One exposed constant of the model.

    Attributes
    ----------
    name : str
        Python identifier, used in ``run(params=...)``, scenario files, CLI flags and URLs.
    vensim_name : str
        The constant's name in the ``.mdl``.
    default, low, high : float
        Value in the ``.mdl`` and the bounds of its ``[low,high]`` range.
    units : str
        Vensim units.
    kind : {"lever", "uncertainty", "history"}
        A policy choice; something policy does not control; or a lever's setting before the policy
        year (what was done, known only roughly, calibrated by the posterior).
    theme : str
        Group of sliders in the explorer (one of :data:`THEMES`).
    label_en, label_zh : str
        Short labels in English and Chinese.
    description : str
        What the constant means (the ``.mdl`` comment before ``Source:``).
    description_zh : str
        The same in Chinese (``models/model.toml``).
    costs_public_money : bool
        A lever whose use the model's Cost sector counts in ``fiscal cost``.
    units_zh : str
        The units in Chinese (``[units_zh]`` of ``models/model.toml``).
    slider_step : float or None
        The explorer's slider step where declared (whole years for calendar years).
    source : str
        Where the value comes from (the ``.mdl`` comment after ``Source:``).
    """

    name: str
    vensim_name: str
    default: float
    low: float
    high: float
    units: str
    kind: str
    theme: str
    label_en: str
    label_zh: str
    description: str
    source: str
    description_zh: str = ""
    costs_public_money: bool = False
    units_zh: str = ""
    slider_step: float | None = None

    def label(self, lang: str = "en") -> str:
        """Label in ``lang`` (``"en"`` or ``"zh"``)."""
        return in_language(self, "label", lang)

    def units_label(self, lang: str = "en") -> str:
        """Units as shown in ``lang``: the Vensim units in English, their Chinese form in Chinese."""
        return self.units_zh if lang == "zh" else self.units

    def describe(self, lang: str = "en") -> str:
        """Meaning in ``lang`` (English from the ``.mdl`` comment, Chinese from ``models/model.toml``)."""
        return self.description_zh if lang == "zh" and self.description_zh else self.description

    def check(self, value, *, where: str = "") -> float:
        """Return ``value`` as a float, or raise :class:`ParameterError` naming what is allowed."""
        if type(value) is float and self.low <= value <= self.high:  # the common case, checked first
            return value
        prefix = f"{where}: " if where else ""
        allowed = f"a number in [{self.low:g}, {self.high:g}] {self.units}"
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            got = f"{value!r} ({type(value).__name__})"
            raise ParameterError(f"{prefix}parameter {self.name!r} must be {allowed}, got {got}")
        try:
            value = float(value)
        except OverflowError:  # an integer too large for a float (10**400)
            digits = int(int(value).bit_length() * math.log10(2)) + 1
            raise ParameterError(
                f"{prefix}parameter {self.name!r} is an integer of about {digits} digits; it must be {allowed}"
            ) from None
        if math.isnan(value):
            raise ParameterError(f"{prefix}parameter {self.name!r} is NaN; it must be {allowed}")
        if not self.low <= value <= self.high:
            raise ParameterError(f"{prefix}parameter {self.name!r} = {value:g} is out of bounds; it must be {allowed}")
        return value


class Slot(NamedTuple):
    """Where a parameter's value goes in the engine.

    Attributes
    ----------
    constant : str
        Python name of the model's constant.
    vensim_name : str
        Its Vensim name.
    where : dict
        ``{dimension: element}`` of the one element a parameter of a subscripted constant sets; empty
        for a scalar constant, which the parameter sets whole.
    """

    constant: str
    vensim_name: str
    where: dict


def split_comment(comment: str) -> tuple[str, str]:
    """Split a ``.mdl`` comment ``"meaning. Source: where from"`` into its two parts."""
    description, sep, source = (comment or "").partition("Source:")
    return description.strip(), source.strip() if sep else ""


def read_metadata(metadata_file: Path) -> dict:
    """Read ``models/model.toml``."""
    from . import spec

    return spec.read(metadata_file, spec.MODEL)


def text(value) -> str:
    """A text field of PySD's documentation: ``""`` where the ``.mdl`` gives none (PySD's NaN)."""
    return value if isinstance(value, str) else ""


def _bounds(entry: dict, row, where: str, count: int = 1) -> list[tuple[float, float]]:
    """A parameter's bounds, one pair per element (``count``): ``low`` and ``high`` of its metadata entry
    where given (they take precedence, for a model whose ``.mdl`` one may not edit; for a subscripted
    constant either a number for every element or a list of one per element, in the elements' order),
    else the ``[low,high]`` range of its ``.mdl`` units."""
    if ("low" in entry) != ("high" in entry):
        raise ValueError(f"{where}: parameter {entry['name']!r}: give both low and high, or neither")
    low, high = (entry["low"], entry["high"]) if "low" in entry else row["Limits"]
    lows, highs = (v if isinstance(v, list) else [v] * count for v in (low, high))
    if len(lows) != count or len(highs) != count:
        raise ValueError(
            f"{where}: parameter {entry['name']!r}: low and high give {len(lows)} and {len(highs)} values "
            f"for {count} elements"
        )
    pairs = []
    for low, high in zip(lows, highs, strict=True):
        if low is None or high is None or math.isnan(low) or math.isnan(high):
            raise ValueError(
                f"{where}: parameter {entry['name']!r}: no [low,high] range for {entry['vensim_name']!r} in the "
                ".mdl; give low and high in the metadata"
            )
        if not low < high:
            raise ValueError(f"{where}: parameter {entry['name']!r}: low {low:g} must be below high {high:g}")
        pairs.append((float(low), float(high)))
    return pairs


def build_parameters(
    doc, defaults: Mapping[str, float], metadata: dict, where: str = "models/model.toml", elements=None
) -> tuple[Parameter, ...]:
    """Merge PySD's documentation of the model with the metadata table.

    A subscripted constant is one parameter per element, ``name[element,element]`` (its labels followed
    by the element in parentheses), when ``elements`` gives its elements.

    Parameters
    ----------
    doc : pandas.DataFrame
        ``pysd.Model.doc``: one row per model variable.
    defaults : mapping
        Vensim name to value of every constant, read from the model before any run.
    metadata : dict
        The content of the metadata file (``models/model.toml`` for the project's model).
    where : str
        The metadata file's name, for messages.
    elements : callable, optional
        Vensim name to ``{label: (position, default)}`` (``{"": ({}, value)}`` for a scalar); default:
        every constant a scalar, its value ``defaults[name]``.
    """
    rows = {row["Real Name"]: row for _, row in doc.iterrows()}
    units_zh = metadata.get("units_zh", {})
    table = []
    for entry in metadata["parameters"]:
        vensim_name = entry["vensim_name"]
        if vensim_name not in rows:
            name = entry["name"]
            raise ValueError(f"{where}: parameter {name!r}: no variable {vensim_name!r} in the model")
        row = rows[vensim_name]
        description, source = split_comment(text(row["Comment"]))
        units = text(row["Units"])
        if units not in units_zh:
            raise ValueError(f"{where}: [units_zh] has no Chinese form of {units!r} ({entry['name']})")
        cells = elements(vensim_name) if elements is not None else {"": ({}, defaults[vensim_name])}
        bounds = _bounds(entry, row, where, len(cells))
        for (label, (_, default)), (low, high) in zip(cells.items(), bounds, strict=True):
            suffix = f"[{label}]" if label else ""
            shown = f" ({label.replace(',', ', ')})" if label else ""
            table.append(
                Parameter(
                    name=entry["name"] + suffix,
                    vensim_name=vensim_name + suffix,
                    default=float(default),
                    low=float(low),
                    high=float(high),
                    units=units,
                    kind=entry["kind"],
                    theme=entry["theme"],
                    label_en=entry["label_en"] + shown,
                    label_zh=entry["label_zh"] + shown,
                    description=description,
                    source=source,
                    description_zh=entry.get("description_zh", ""),
                    costs_public_money=bool(entry.get("costs_public_money", False)),
                    units_zh=units_zh[units],
                    slider_step=entry.get("slider_step"),
                )
            )
    return tuple(table)


def unknown_name_message(name, known, *, what: str = "parameter", list_known: bool = True) -> str:
    """Message for a name that is not in ``known``, with the closest matches (and all names)."""
    close = difflib.get_close_matches(str(name), list(known), n=3)
    message = f"unknown {what} {name!r}" + (f"; did you mean {', '.join(map(repr, close))}?" if close else "")
    return message + (f"{'' if close else '.'} Known {what}s: {', '.join(known)}" if list_known else "")


def validate_params(params, table: Mapping[str, Parameter], *, where: str = "") -> dict[str, float]:
    """Check a mapping of parameter names to values against the table.

    Returns
    -------
    dict
        Name to float for the given parameters only.

    Raises
    ------
    ParameterError
        For an unknown name, a non-number, NaN or a value out of bounds; the message names the
        parameter and what is allowed.
    """
    if params is None:
        return {}
    prefix = f"{where}: " if where else ""
    if not isinstance(params, Mapping):
        raise ParameterError(f"{prefix}parameters must be a mapping of name to value, got {type(params).__name__}")
    checked = {}
    for name, value in params.items():
        if name not in table:
            raise ParameterError(prefix + unknown_name_message(name, table))
        checked[name] = table[name].check(value, where=where)
    return checked
