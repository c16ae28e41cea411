"""The parameter table agrees with the .mdl, which is read here independently of PySD."""

from __future__ import annotations

import re

import pytest

import sd_model
from diagrams.mdl import read_equations
from sd_model import parameter_frame
from sd_model.cli import markdown_table
from sd_model.paths import MODEL_FILE, MODELS_DIR


@pytest.fixture(scope="module")
def equations():
    return {e.name: e for e in read_equations(MODEL_FILE)}


def test_table_size_and_kinds():
    table = sd_model.parameters()
    assert len(table) >= 20
    assert {p.kind for p in table} == {"lever", "uncertainty", "history"}
    assert len({p.name for p in table}) == len(table)
    assert sd_model.parameters("lever") and all(p.kind == "lever" for p in sd_model.parameters("lever"))
    with pytest.raises(ValueError, match="kind"):
        sd_model.parameters("policy")


def test_every_parameter_exists_in_mdl_with_same_default_bounds_units(equations):
    for p in sd_model.parameters():
        eq = equations.get(p.vensim_name)
        assert eq is not None, p.vensim_name
        assert float(eq.expression) == p.default, p.name
        assert (eq.low, eq.high) == (p.low, p.high), p.name
        assert eq.units == p.units, p.name
        assert p.low <= p.default <= p.high, p.name


def test_every_ranged_constant_is_in_the_table(equations):
    ranged = {name for name, e in equations.items() if e.high is not None and e.group != "Control"}
    assert ranged == {p.vensim_name for p in sd_model.parameters()}


def test_names_are_pysd_names_and_identifiers(model):
    for p in model.parameters:
        assert p.name.isidentifier()
        assert model.py_names[p.vensim_name] == p.name


def test_records_are_documented():
    for p in sd_model.parameters():
        assert p.source and p.description, p.name
        assert p.label_en and p.label_zh, p.name
        assert p.description_zh and p.describe("zh") == p.description_zh and p.describe("en") == p.description, p.name
        assert p.theme in sd_model.THEMES, p.name
        assert (p.theme == "assumptions") == (p.kind == "uncertainty"), p.name
        assert (p.theme == "history") == (p.kind == "history"), p.name


#: what was done with no lever after the policy year: a lever that could not act after the programme
#: (the places were built, the rights confirmed) is history, not a slider
HISTORY_WITHOUT_A_LEVER = {
    "relocation_target_historical",
    "site_construction_time_historical",
    "rights_confirmation_time_historical",
}


def test_every_lever_with_a_history_has_it_in_the_table_with_the_levers_default():
    """Policy unchanged means each lever at its historical setting: their defaults agree."""
    table = {p.name: p for p in sd_model.parameters()}
    history = sd_model.parameters("history")
    assert len(history) == 18
    for h in history:
        lever = table.get(h.name.removesuffix("_historical"))
        if h.name in HISTORY_WITHOUT_A_LEVER:
            assert lever is None, h.name
            continue
        assert lever.kind == "lever" and lever.default == h.default, h.name
        assert lever.low <= h.low <= h.high <= lever.high, h.name


def test_every_equation_has_units_and_comment(equations):
    for name, eq in equations.items():
        assert eq.units, f"{name} has no units"
        assert eq.comment, f"{name} has no comment"


def test_only_standard_vensim_functions(equations):
    allowed = {
        "INTEG",
        "SMOOTH",
        "SMOOTH3",
        "DELAY1",
        "DELAY3",
        "MIN",
        "MAX",
        "IF",
        "THEN",
        "ELSE",
        "STEP",
        "RAMP",
        "PULSE",
        "EXP",
        "INTEGER",
    }
    for name, eq in equations.items():
        if eq.is_lookup:
            continue
        calls = set(re.findall(r"\b([A-Z][A-Z0-9_]*)\s*\(", eq.expression))
        assert calls <= allowed, f"{name} uses {calls - allowed}"


def test_kpis_are_labelled_outputs_in_card_order():
    outputs = {o.name: o for o in sd_model.outputs()}
    for kpi in sd_model.KPIS:
        assert kpi in outputs, f"KPI {kpi} is not an output in models/model.toml"
        assert outputs[kpi].label_en and outputs[kpi].label_zh and outputs[kpi].units, kpi
    assert sd_model.OUTPUTS[: len(sd_model.KPIS)] == sd_model.KPIS  # the explorer's cards follow the outputs' order


def test_models_readme_table_is_current():
    readme = (MODELS_DIR / "README.md").read_text(encoding="utf-8")
    assert markdown_table(parameter_frame()) in readme, (
        "run `python -m sd_model params --format markdown` and paste into models/README.md"
    )


def test_bounds_of_a_subscripted_constant_one_pair_per_element_or_a_clear_error():
    from sd_model.parameters import _bounds

    row = {"Limits": (0.0, 9.0)}
    entry = {"name": "f", "vensim_name": "f", "low": [0.5, 1.0], "high": [2.0, 4.0]}
    assert _bounds(entry, row, "m.toml", 2) == [(0.5, 2.0), (1.0, 4.0)]
    assert _bounds({"name": "f", "vensim_name": "f"}, row, "m.toml", 2) == [(0.0, 9.0), (0.0, 9.0)]
    with pytest.raises(ValueError, match=r"m.toml: parameter 'f': low and high give 2 and 2 values for 3 elements"):
        _bounds(entry, row, "m.toml", 3)
    with pytest.raises(ValueError, match="low 4 must be below high 2"):
        _bounds(entry | {"low": [4.0, 1.0]}, row, "m.toml", 2)
