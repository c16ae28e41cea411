"""A small reader of Vensim ``.mdl`` equation text, for documentation and cross-checks.

Simulation goes through PySD; this reader only splits the text into equations (name, expression,
units, range, comment) so that the explorer can show every equation as written and the tests can
check PySD's reading against the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

#: Vensim names of the simulation controls, keyed as :attr:`sd_model.Model.control` keys them.
CONTROL_NAMES = {
    "initial_time": "INITIAL TIME",
    "final_time": "FINAL TIME",
    "time_step": "TIME STEP",
    "saveper": "SAVEPER",
}

_RANGE = re.compile(r"\[([^\]]*)\]\s*$")


@dataclass(frozen=True)
class Equation:
    """One equation of a ``.mdl`` file, as written."""

    name: str
    expression: str
    units: str
    low: float | None
    high: float | None
    comment: str
    group: str

    @property
    def is_stock(self) -> bool:
        """True for ``INTEG`` equations."""
        return re.match(r"INTEG\s*\(", self.expression, re.IGNORECASE) is not None

    @property
    def is_lookup(self) -> bool:
        """True for lookup tables (``name( [(x,y)-...] ...)``)."""
        return self.expression.startswith("[")


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def read_equations(mdl_file: str | Path) -> list[Equation]:
    """Equations of ``mdl_file`` in file order (control variables included, sketch excluded)."""
    text = Path(mdl_file).read_text(encoding="utf-8")
    text = text.split("\\\\\\---///", 1)[0].replace("{UTF-8}", "", 1)
    equations, group = [], ""
    for block in text.split("|"):
        parts = block.split("~")
        head = " ".join(parts[0].split())
        if head.startswith("*"):
            group = head.strip("* ").lstrip(".").split("*")[0].strip()
            continue
        if len(parts) < 3:
            continue
        units_field = " ".join(parts[1].split())
        comment = " ".join("~".join(parts[2:]).split())
        low = high = None
        match = _RANGE.search(units_field)
        if match:
            bounds = [b.strip() for b in match.group(1).split(",")]
            low, high = _number(bounds[0]), _number(bounds[1]) if len(bounds) > 1 else None
            units_field = units_field[: match.start()].strip()
        if "=" in head and not head.split("=")[0].rstrip().endswith(")"):
            name, _, expression = head.partition("=")
        else:  # lookup definition: name( [(...)] ...)
            name, _, expression = head.partition("(")
            expression = expression.strip()[:-1].strip() if expression.strip().endswith(")") else expression
        equations.append(Equation(name.strip(), expression.strip(), units_field, low, high, comment, group))
    return equations
