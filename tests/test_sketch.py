"""The Vensim views in the .mdl agree with its equations, and PySD reads them."""

from __future__ import annotations

import shutil

import pysd
import pytest

import sd_model
from diagrams.sketch import generate_sketch, read_sketch
from diagrams.structure import TIME_SETTINGS, canonical, structure
from sd_model.cli import main as cli

from .conftest import MODEL_FILE

FIX = "regenerate with `python -m sd_model sketch --write` or redraw it in Vensim"


@pytest.fixture(scope="module")
def views():
    found = read_sketch(MODEL_FILE)
    assert found, f"models/relocation.mdl has no sketch section; {FIX}"
    return found


@pytest.fixture(scope="module")
def model_structure():
    return structure(MODEL_FILE)


def test_every_variable_is_drawn_once_and_shadows_point_to_it(views, model_structure):
    names = set(model_structure.equations)
    defined = [name for view in views for name in view.defined]
    assert sorted(set(defined)) == sorted(names), f"variables missing from the views; {FIX}"
    assert len(defined) == len(set(defined)), "a variable is defined in two views"
    for view in views:
        assert view.shadows <= names - view.defined
    stocks = {n for n, e in model_structure.equations.items() if e.is_stock}
    assert set().union(*(v.stocks for v in views)) == stocks


def test_arrows_and_pipes_are_the_equations_dependencies(views, model_structure):
    refs, flows = model_structure.references, model_structure.flows
    for view in views:
        for cause, effect in view.arrows:
            assert cause in refs[effect], f"view {view.title}: arrow {cause} -> {effect} is not in the equation; {FIX}"
        for flow, stock, into in view.pipes:
            assert ((1 if into else -1), flow) in flows[stock], f"view {view.title}: pipe {flow} / {stock}; {FIX}"
        drawn = view.arrows | {(flow, stock) for flow, stock, _ in view.pipes}
        for effect in view.defined:
            for cause in refs[effect]:
                assert (cause, effect) in drawn, (
                    f"view {view.title}: {effect} uses {cause} but no arrow shows it; {FIX}"
                )


def test_references_agree_with_pysd(model):
    doc = model.engine.doc
    py = {canonical(real): name for real, name in zip(doc["Real Name"], doc["Py Name"], strict=True)}
    deps = model.engine.dependencies
    for name, references in structure(MODEL_FILE).references.items():
        entry = dict(deps[py[name]] or {})
        for stateful in [k for k in entry if k.startswith(("_integ_", "_delay_"))]:
            entry.pop(stateful)
            entry |= deps[stateful]["initial"] | deps[stateful]["step"]
        expected = {k for k in entry if not k.startswith("_") and canonical(k) not in TIME_SETTINGS}
        assert {py[r] for r in references} == expected, name


def test_pysd_splits_the_model_by_views_and_runs_it_unchanged(tmp_path, views):
    copy = tmp_path / "relocation.mdl"
    shutil.copyfile(MODEL_FILE, copy)
    split = pysd.read_vensim(str(copy), split_views=True)
    modules = sorted(p.stem for p in (tmp_path / "modules_relocation").glob("_*.py"))
    sectors = set(structure(MODEL_FILE).home.values())
    assert len(modules) == len(views) == len(sectors) == 12
    columns = {"relocated_population": "Relocated Population", "employment_rate": "Employment Rate"}
    result = split.run(return_columns=list(columns))
    expected = sd_model.run()
    for column in columns:
        assert result[column].iloc[-1] == pytest.approx(expected[column].iloc[-1], rel=1e-12)


def test_cli_writes_views_into_a_model_without_any(tmp_path, capsys):
    copy = tmp_path / "bare.mdl"
    text = MODEL_FILE.read_text(encoding="utf-8")
    copy.write_text(text.split("\\\\\\---///", 1)[0], encoding="utf-8")
    assert read_sketch(copy) == []
    assert cli(["sketch", "--mdl", str(copy), "--write"]) == 0
    assert "wrote 12 views" in capsys.readouterr().err
    assert [v.title for v in read_sketch(copy)] == [v.title for v in read_sketch(MODEL_FILE)]
    assert generate_sketch(copy) == generate_sketch(copy)  # deterministic
    assert cli(["sketch", "--mdl", str(tmp_path / "missing.mdl")]) == 2
