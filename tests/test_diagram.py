"""The explorer's per-sector stock-and-flow diagram (Graphviz DOT) follows the equations."""

from __future__ import annotations

import re

import pytest

from diagrams.structure import structure
from explorer.diagram import sector_dot

from .conftest import MODEL_FILE


@pytest.fixture(scope="module")
def model_structure():
    return structure(MODEL_FILE)


def edges(dot: str) -> dict[tuple[str, str], bool]:
    """(from, to) -> bold (a pipe)."""
    found = re.findall(r'^\s*"([^"]+)" -> "([^"]+)"( \[style=bold)?', dot, re.MULTILINE)
    return {(a, b): bool(bold) for a, b, bold in found}


def test_relocation_sector_pipes_and_links(model_structure):
    dot = sector_dot(model_structure, "Relocation")
    drawn = edges(dot)
    # the chain of people: a stock -> its outflow -> the next stock, as bold pipes
    for pipe in [
        ("awaiting relocation", "relocation"),
        ("relocation", "settling in"),
        ("settling in", "citizenization"),
        ("citizenization", "integrated residents"),
        ("going back to the origin", "back at the origin"),
    ]:
        assert drawn[pipe] is True, pipe
    assert ("relocation", "awaiting relocation") not in drawn  # a stock's use of its flow is the pipe
    assert drawn[("site capacity", "site construction")] is False  # a flow's use of its stock is a link
    assert '"employment rate" [label="employment rate", shape=ellipse, style=dashed' in dot  # from Employment
    assert '"second relocation round"' not in dot  # constants hidden by default
    assert '"second relocation round"' in sector_dot(model_structure, "Relocation", show_constants=True)


@pytest.mark.parametrize(
    "sector", ["Employment", "Skills", "Mindset", "Community", "Entrepreneurship", "Equity", "Income", "Urbanization"]
)
def test_every_sector_draws_its_dependencies(model_structure, sector):
    dot = sector_dot(model_structure, sector, show_constants=True)
    drawn = edges(dot)
    members = [n for n in model_structure.equations if model_structure.home[n] == sector]
    for name in members:
        assert f'"{name}" [label=' in dot
        for reference in model_structure.references[name]:
            assert (reference, name) in drawn or (name, reference) in drawn, (reference, name)


def test_unknown_sector_is_named(model_structure):
    with pytest.raises(ValueError, match="unknown sector 'Nowhere'; sectors: Policy, Relocation"):
        sector_dot(model_structure, "Nowhere")
