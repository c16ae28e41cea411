"""Units checked by a real tool: pysimlin (Simlin's engine) reads the .mdl and finds no unit issue."""

from __future__ import annotations

import re

import simlin

from sd_model.mdl import read_equations
from sd_model.paths import MODEL_FILE


def test_pysimlin_finds_no_unit_issue():
    issues = list(simlin.load(str(MODEL_FILE)).check_units())
    assert not issues, "\n".join(f"{i.variable}: {i.message}" for i in issues[:10])


def test_no_numbers_inside_units():
    for equation in read_equations(MODEL_FILE):
        units = re.sub(r"^1/", "", equation.units)  # a rate per unit (1/Year) is fine
        assert not re.search(r"\d", units), f"{equation.name}: units {equation.units!r} hold a number"
