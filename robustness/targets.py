"""The targets a policy should meet, declared once in a targets file, and each run's margin.

A target names a model output, a window of saved times (years for the project's model), an aggregate
(the smallest or largest value in the window) and a threshold; its margin in a run is the aggregate's
distance from the threshold, as a share of it, positive where the target is met. The file beside a
model (``models/targets.toml`` for the project's) also says which output is the policy's cost, which
parameter is the time policy starts, and which levers the robust-front search leaves alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import sd_model
from sd_model import spec
from sd_model.parameters import in_language
from sd_model.paths import MODELS_DIR, beside

TARGETS_FILE = MODELS_DIR / "targets.toml"
AGGREGATES = ("min", "max")


def targets_file(model: sd_model.Model | None = None) -> Path:
    """The targets file beside a model's ``.mdl`` (``models/targets.toml`` for the project's model)."""
    return beside(model.mdl_file, "targets.toml") if model is not None else TARGETS_FILE


@dataclass(frozen=True)
class Objectives:
    """What a targets file says besides its targets.

    Attributes
    ----------
    cost_output : str or None
        The output whose value at the final time is a policy's cost (``cost_output``); None: no cost.
    policy_parameter : str or None
        The parameter holding the time from which a setting's levers act (``policy_parameter``);
        targets ``from = "policy_year"`` start there. None: levers act from the start.
    fixed_levers : tuple of str
        The levers the robust-front search keeps at their defaults.
    """

    cost_output: str | None = None
    policy_parameter: str | None = None
    fixed_levers: tuple[str, ...] = ()


def read_objectives(path: str | Path | None = None, model: sd_model.Model | None = None) -> Objectives:
    """The cost output, policy parameter and fixed levers of a targets file, checked against the model."""
    model = model or sd_model.default_model()
    if path is None and not targets_file(model).is_file():
        return Objectives()  # a model brought without a targets file: no cost, levers act from the start
    path = path or targets_file(model)
    doc = spec.read(path, spec.TARGETS)
    cost, policy = doc.get("cost_output"), doc.get("policy_parameter")
    if cost is not None and cost not in model.output_names:
        raise ValueError(f"{path}: cost_output {cost!r} is not an output of the model")
    if policy is not None and policy not in model.parameter_table:
        raise ValueError(f"{path}: policy_parameter {policy!r} is not a parameter of the model")
    return Objectives(cost, policy, _checked_levers(doc.get("fixed_levers", []), path, model))


@dataclass(frozen=True)
class Target:
    """One condition a policy should meet in a future (see ``models/targets.toml``)."""

    name: str
    label_en: str
    label_zh: str
    short_en: str
    short_zh: str
    output: str
    start: int | str
    end: int
    aggregate: str
    threshold: float
    at_least: bool
    why: str
    per: str | None = None
    relative_to: int | None = None

    def label(self, lang: str = "en") -> str:
        return in_language(self, "label", lang)

    def short(self, lang: str = "en") -> str:
        return in_language(self, "short", lang)

    def outputs(self) -> list[str]:
        return [self.output] + ([self.per] if self.per else [])


def _threshold(e: dict, where: str) -> float:
    """The target's ``at_least`` or ``at_most`` (exactly one, a non-zero number)."""
    if ("at_least" in e) == ("at_most" in e):
        raise ValueError(f"{where}: give exactly one of at_least and at_most")
    threshold = e.get("at_least", e.get("at_most"))
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, (int, float))
        or not math.isfinite(threshold)
        or threshold == 0
    ):
        raise ValueError(f"{where}: the threshold must be a non-zero number, got {threshold!r}")
    return threshold


def _years(e: dict, where: str, first, last) -> tuple:
    """The target's ``from``, ``to`` and ``relative_to``, checked against the model's times ``first``-``last``."""
    start, end = e.get("from"), e.get("to")
    years_ok = (
        isinstance(end, (int, float))
        and first <= end <= last
        and (start == "policy_year" or (isinstance(start, (int, float)) and first <= start <= end))
    )
    if not years_ok:
        raise ValueError(
            f"{where}: from must be 'policy_year' or a year and to a year, within {first}-{last}, from <= to"
        )
    relative = e.get("relative_to")
    if relative is not None and not (isinstance(relative, int) and first <= relative <= last):
        raise ValueError(f"{where}: relative_to must be a year within {first}-{last}")
    return start, end, relative


def read_targets(path: str | Path | None = None, model: sd_model.Model | None = None) -> list[Target]:
    """Read and check a targets file (default: the one beside the model).

    Raises
    ------
    ValueError
        Naming the target and the problem (unknown output, bad years or aggregate, no threshold).
    """
    model = model or sd_model.default_model()
    path = path or targets_file(model)
    doc = spec.read(path, spec.TARGETS)
    entries = doc.get("targets")
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{path}: no [[targets]]")
    times = model.times()
    first, last = times[0], times[-1]
    targets = []
    for i, e in enumerate(entries):
        where = f"{path}: target {e.get('name', i)!r}"
        for field in ("name", "label_en", "label_zh", "short_en", "short_zh", "output", "why"):
            if not isinstance(e.get(field), str) or not e[field]:
                raise ValueError(f"{where}: {field} must be a non-empty string")
        for field in ("output", "per"):
            if field in e and e[field] not in model.output_names:
                raise ValueError(f"{where}: {field} {e[field]!r} is not an output of the model")
        if e.get("aggregate") not in AGGREGATES:
            raise ValueError(f"{where}: aggregate must be one of {AGGREGATES}, got {e.get('aggregate')!r}")
        threshold = _threshold(e, where)
        start, end, relative = _years(e, where, first, last)
        targets.append(
            Target(
                e["name"],
                e["label_en"],
                e["label_zh"],
                e["short_en"],
                e["short_zh"],
                e["output"],
                start,
                end,
                e["aggregate"],
                float(threshold),
                "at_least" in e,
                e["why"],
                e.get("per"),
                relative,
            )
        )
    names = [t.name for t in targets]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: target names repeat")
    return targets


def fixed_levers(path: str | Path | None = None, model: sd_model.Model | None = None) -> tuple[str, ...]:
    """The levers the robust-front search keeps at their defaults (``fixed_levers`` of a targets file)."""
    model = model or sd_model.default_model()
    path = path or targets_file(model)
    return _checked_levers(spec.read(path, spec.TARGETS).get("fixed_levers", []), path, model)


def _checked_levers(names, path, model: sd_model.Model) -> tuple[str, ...]:
    """``fixed_levers`` of the targets file ``path``, each a lever of ``model``."""
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"{path}: fixed_levers must be a list of lever names")
    for name in names:
        if name not in model.parameter_table or model.parameter_table[name].kind != "lever":
            raise ValueError(f"{path}: fixed_levers names {name!r}, which is not a lever of the model")
    return tuple(names)


def target_outputs(targets, objectives: Objectives | None = None) -> list[str]:
    """The outputs the targets read, and the cost output of ``objectives`` if any."""
    cost = [objectives.cost_output] if objectives is not None and objectives.cost_output else []
    return list(dict.fromkeys([o for t in targets for o in t.outputs()] + cost))


def margins(dataset, targets, policy_year: np.ndarray) -> pd.DataFrame:
    """Margin of each target in each run of a :func:`sd_model.run_batch` result (``run`` × target).

    ``policy_year`` gives each run's policy year (for targets from the policy year). A target is met
    where its margin is not negative.
    """
    years = dataset[time_axis(dataset)].values
    result = {}
    for t in targets:
        values = dataset[t.output].values
        if t.per:
            values = values / dataset[t.per].values
        if t.relative_to is not None:
            values = values / values[:, [int(np.flatnonzero(years == t.relative_to)[0])]]
        start = np.asarray(policy_year, dtype=float)[:, None] if t.start == "policy_year" else float(t.start)
        inside = (years[None, :] >= np.floor(start)) & (years[None, :] <= t.end)
        fill = np.inf if t.aggregate == "min" else -np.inf
        masked = np.where(inside, values, fill)
        aggregate = masked.min(axis=1) if t.aggregate == "min" else masked.max(axis=1)
        sign = 1.0 if t.at_least else -1.0
        result[t.name] = sign * (aggregate - t.threshold) / abs(t.threshold)
    return pd.DataFrame(result)


def time_axis(dataset) -> str:
    """Name of the time dimension of a :func:`sd_model.run_batch` result (``year`` or ``time``)."""
    return next(d for d in dataset.dims if d != "run")
