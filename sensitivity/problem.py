"""The SALib problem, derived from the parameter table."""

from __future__ import annotations

import hashlib
import json

import sd_model

#: Names of the parameter selections, and the parameter kind each selects.
SELECTIONS = {"levers": "lever", "uncertainties": "uncertainty", "history": "history"}


def select_parameters(spec: str | list[str] = "all") -> list[sd_model.Parameter]:
    """Parameters named by ``spec``: ``"all"``, ``"levers"``, ``"uncertainties"`` or names.

    Raises
    ------
    ValueError
        For an unknown name or an empty selection.
    """
    table = sd_model.parameters()
    if isinstance(spec, str):
        if spec == "all":
            return table
        if spec in SELECTIONS:
            return sd_model.parameters(SELECTIONS[spec])
        spec = [s.strip() for s in spec.split(",") if s.strip()]
    known = {p.name: p for p in table}
    unknown = [name for name in spec if name not in known]
    if unknown:
        raise ValueError(
            f"unknown parameter {unknown[0]!r}; use all, levers, uncertainties, history or names from `python -m sd_model params`"
        )
    if len(spec) < 2:
        raise ValueError("a sensitivity analysis needs at least two parameters")
    return [known[name] for name in spec]


def salib_problem(parameters: list[sd_model.Parameter]) -> dict:
    """SALib problem dict (names, bounds) of the parameters."""
    return {"num_vars": len(parameters), "names": [p.name for p in parameters], "bounds": [[p.low, p.high] for p in parameters]}


def table_hash() -> str:
    """SHA-256 of the parameter table, recorded in each run's manifest."""
    rows = [vars(p) for p in sd_model.parameters()]
    return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()
