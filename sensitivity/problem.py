"""The SALib problem, derived from the parameter table of a model."""

from __future__ import annotations

import hashlib
import json
import math

import sd_model

#: Names of the parameter selections, and the parameter kind each selects.
SELECTIONS = {"levers": "lever", "uncertainties": "uncertainty", "history": "history"}


def _bounded(p: sd_model.Parameter) -> bool:
    return math.isfinite(p.low) and math.isfinite(p.high) and p.low < p.high


def select_parameters(spec: str | list[str] = "all", model: sd_model.Model | None = None) -> list[sd_model.Parameter]:
    """Parameters of ``model`` (default: the project's) named by ``spec``: ``"all"`` (every parameter
    with a range; a constant of a model brought without metadata has one where its ``.mdl`` gives
    ``[low,high]``), ``"levers"``, ``"uncertainties"``, ``"history"`` or names.

    Raises
    ------
    ValueError
        For an unknown name, a parameter without a range, or fewer than two parameters.
    """
    table = list((model or sd_model.default_model()).parameters)
    if isinstance(spec, str) and spec == "all":
        chosen = [p for p in table if _bounded(p)]
    elif isinstance(spec, str) and spec in SELECTIONS:
        chosen = [p for p in table if p.kind == SELECTIONS[spec]]
    else:
        names = [s.strip() for s in spec.split(",") if s.strip()] if isinstance(spec, str) else list(spec)
        known = {p.name: p for p in table}
        unknown = [name for name in names if name not in known]
        if unknown:
            raise ValueError(
                f"unknown parameter {unknown[0]!r}; use all, levers, uncertainties, history or names from "
                "`python -m sd_model params`"
            )
        chosen = [known[name] for name in names]
    unbounded = [p.name for p in chosen if not _bounded(p)]
    if unbounded:
        raise ValueError(
            f"no range for {', '.join(unbounded[:5])}: give [low,high] in the .mdl or bounds in the metadata"
        )
    if len(chosen) < 2:
        raise ValueError(
            f"a sensitivity analysis needs at least two parameters with a range; {spec!r} selects {len(chosen)}"
        )
    return chosen


def salib_problem(parameters: list[sd_model.Parameter]) -> dict:
    """SALib problem dict (names, bounds) of the parameters."""
    return {
        "num_vars": len(parameters),
        "names": [p.name for p in parameters],
        "bounds": [[p.low, p.high] for p in parameters],
    }


def table_hash(model: sd_model.Model | None = None) -> str:
    """SHA-256 of the parameter table, recorded in each run's manifest."""
    rows = [vars(p) for p in (model or sd_model.default_model()).parameters]
    return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()
