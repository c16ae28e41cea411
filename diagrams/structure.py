"""The model's structure as its equations state it: sectors, dependencies, the flows of each stock.

Read from the equation text of the ``.mdl`` (:mod:`diagrams.mdl`), not from a translation, so that the
explorer's diagrams, the Vensim sketch writer (:mod:`diagrams.sketch`) and the conservation tests
share one reading; a test checks it against PySD's dependency graph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .mdl import CONTROL_NAMES, Equation, read_equations


def canonical(name: str) -> str:
    """Vensim's identity of a name: case, spaces and underscores do not matter."""
    return " ".join(name.replace("_", " ").lower().split())


#: Canonical names of the time settings (and Time): not part of any sector.
TIME_SETTINGS = frozenset({canonical(name) for name in CONTROL_NAMES.values()} | {"time"})


@dataclass
class Structure:
    """The model's structure as its equations state it: sectors, dependencies, the flows of each stock."""

    equations: dict[str, Equation]  # canonical name -> equation (control variables excluded)
    references: dict[str, list[str]]  # canonical name -> canonical names its equation uses
    flows: dict[str, list[tuple[int, str]]]  # stock -> [(+1 inflow / -1 outflow, flow)], pipes only
    home: dict[str, str]  # canonical name -> the sector whose view defines it


def _split_top(text: str, separators: str) -> list[tuple[str, str]]:
    """Split at separators outside parentheses: [(separator before, part), ...]."""
    parts, depth, start, before = [], 0, 0, ""
    for i, char in enumerate(text):
        depth += (char == "(") - (char == ")")
        if depth == 0 and char in separators and text[:i].strip():
            parts.append((before, text[start:i]))
            before, start = char, i + 1
    parts.append((before, text[start:]))
    return parts


def name_pattern(names) -> re.Pattern:
    """A regular expression finding any of the (canonical) ``names`` in equation text, as Vensim reads
    names: any case, spaces or underscores between the words, the longest name first; group 1 the name."""
    alternatives = "|".join(r"[\s_]+".join(map(re.escape, n.split())) for n in sorted(names, key=len, reverse=True))
    return re.compile(r"(?<![\w])(" + alternatives + r")(?![\w])", re.IGNORECASE)


def structure(mdl_file: str | Path) -> Structure:
    """References and stock flows of every equation of ``mdl_file``."""
    equations = {canonical(e.name): e for e in read_equations(mdl_file) if canonical(e.name) not in TIME_SETTINGS}
    pattern = name_pattern(equations)
    references = {}
    for name, equation in equations.items():
        found = [] if equation.is_lookup else [canonical(m) for m in pattern.findall(equation.expression)]
        references[name] = list(dict.fromkeys(found))
    flows = {}
    for name, equation in equations.items():
        if not equation.is_stock:
            continue
        inner = equation.expression[equation.expression.index("(") + 1 : equation.expression.rindex(")")]
        rate = _split_top(inner, ",")[0][1]
        terms = []
        for sign, term in _split_top(rate, "+-"):
            term = term.strip()
            if term[:1] in "+-":  # a leading sign: -outflow
                sign, term = term[0], term[1:]
            terms.append((-1 if sign == "-" else 1, canonical(term)))
        if all(term in equations and not equations[term].is_stock for _, term in terms):
            flows[name] = terms
    # A variable lives in its sector's view, except a flow whose stocks all share another sector.
    home = {name: equation.group for name, equation in equations.items()}
    for flow in {f for terms in flows.values() for _, f in terms}:
        groups = {equations[stock].group for stock, terms in flows.items() if any(f == flow for _, f in terms)}
        if len(groups) == 1:
            home[flow] = groups.pop()
    return Structure(equations, references, flows, home)
