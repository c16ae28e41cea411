"""Units checked by a real tool: pysimlin (Simlin's engine) reads the .mdl and its ``check()`` finds no issue.

``check()`` runs Simlin's whole model check, units inference included. (Its ``check_units()`` reports
nothing even for a deliberate error, so it is not used.) A second test plants a wrong unit in a copy of
the model and shows the check fails on it: the first test can fail.
"""

from __future__ import annotations

import re
import shutil

import simlin

from diagrams.mdl import read_equations
from sd_model.paths import MODEL_FILE


def issues_of(mdl_file) -> list[str]:
    """Every issue pysimlin's ``check()`` reports for ``mdl_file``, as one line each."""
    return [
        f"{i.severity} {i.variable or ''}: {' '.join(i.message.split())[:300]}"
        for i in simlin.load(str(mdl_file)).check()
    ]


def test_pysimlin_check_finds_no_issue():
    issues = issues_of(MODEL_FILE)
    assert not issues, "\n".join(issues[:10])


def test_the_check_fails_on_a_wrong_unit(tmp_path):
    """A wage declared in persons (the error the review found passing the old test) is reported by name."""
    copy = tmp_path / MODEL_FILE.name
    shutil.copy(MODEL_FILE, copy)
    text = copy.read_text(encoding="utf-8")
    right = "local wage=\n\tlocal base wage * Wage Index\n\t~\tyuan/(person*Year)"
    assert text.count(right) == 1
    copy.write_text(text.replace(right, "local wage=\n\tlocal base wage * Wage Index\n\t~\tpersons"), encoding="utf-8")
    issues = issues_of(copy)
    assert any("local_wage" in issue and "unit" in issue for issue in issues), issues


def test_no_numbers_inside_units():
    for equation in read_equations(MODEL_FILE):
        units = re.sub(r"^1/", "", equation.units)  # a rate per unit (1/Year) is fine
        assert not re.search(r"\d", units), f"{equation.name}: units {equation.units!r} hold a number"
