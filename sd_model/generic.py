"""The parameter table of a model brought without metadata: every constant, bounds from the ``.mdl``.

A scalar constant is one parameter, named by PySD's Python name; a subscripted constant is one
parameter per element, ``name[element,element]`` (as PySD's ``run`` names columns). Bounds are the
``[low,high]`` range of the ``.mdl`` where given, else unbounded. :meth:`sd_model.model.ModelSpec.from_engine`
makes the spec of such a model from these parameters.
"""

from __future__ import annotations

import math

from engine.arrays import element_labels
from engine.codegen import CONTROL

from .parameters import Parameter, Slot, split_comment

#: The kind of every parameter of a model without metadata.
CONSTANT = "constant"


def _bound(value, default: float) -> float:
    return default if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def generic_parameters(engine) -> tuple[tuple[Parameter, ...], dict[str, Slot]]:
    """Parameters of every constant of ``engine``'s model, and the :class:`~sd_model.parameters.Slot`
    of each: its constant, and ``{dimension: element}`` for an element of a subscripted one."""
    table, slots = [], {}
    for _, row in engine.doc[engine.doc["Type"] == "Constant"].iterrows():
        py, real = row["Py Name"], row["Real Name"]
        if py in CONTROL:
            continue
        limits = tuple(row["Limits"]) if isinstance(row["Limits"], (tuple, list)) else ()
        low, high = (
            _bound(limits[0] if limits else None, -math.inf),
            _bound(limits[1] if len(limits) > 1 else None, math.inf),
        )
        description, source = split_comment(row["Comment"] if isinstance(row["Comment"], str) else "")
        value = engine.constants[real]
        dims = engine.subscripts.get(py, [])
        try:
            defaults = element_defaults(value, dims, engine.elements)
        except (KeyError, TypeError, AttributeError, ValueError):
            continue  # a value that does not cover its subscripts element by element: left as the model has it
        for label, (where, default) in defaults.items():
            name = f"{py}[{label}]" if label else py
            slots[name] = Slot(py, real, where)
            table.append(
                Parameter(
                    name=name,
                    vensim_name=f"{real}[{label}]" if label else real,
                    default=default,
                    low=low,
                    high=high,
                    units=row["Units"] or "",
                    kind=CONSTANT,
                    theme="",
                    label_en=real,
                    label_zh=real,
                    description=description,
                    source=source,
                )
            )
    return tuple(table), slots


def element_defaults(value, dims, elements) -> dict[str, tuple[dict[str, str], float]]:
    """Label of each element (``""`` for a scalar) to its position ``{dimension: element}`` and the
    constant's value there."""
    if not dims:
        return {"": ({}, float(value))}
    defaults = {}
    for label in element_labels(dims, elements):
        where = dict(zip(dims, label.split(","), strict=True))
        defaults[label] = (where, float(value.loc[where]))
    return defaults
