"""Every run of every regression case equals its data; a 0.1 % change of any equation shows.

The data are in ``tests/data/`` (``python -m tests.regression`` regenerates them after a deliberate
model change). The comparison is :func:`tests.regression.differences`, relative 1e-9.
"""

from __future__ import annotations

import ast
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sd_model
from diagrams.mdl import read_equations
from engine.translation import load_pysd
from sd_model.paths import METADATA_FILE, MODEL_FILE

from .regression import case_run, cases, differences, read_reference, variables

FIX = (
    "if the model changed on purpose, run `python -m tests.regression` "
    "and say in the commit which outputs moved and why"
)
CASES = cases()
#: Edits that leave the model's numbers unchanged, so that no regression data can catch them.
NO_OPS = {
    "outside demand shock depth": "its default is 0, and 0 x 1.001 = 0",
    "outside demand shock duration": (
        "2.002 years ends the shock on the same time step as 2 years (time step 1/16 year)"
    ),
    "budget constraint": "its default is 0 (off), and 0 x 1.001 = 0",
    "second relocation round": "its default is 0, and 0 x 1.001 = 0",
    "county support budget": "it acts only with the budget constraint on, and no regression case turns it on",
}


@pytest.mark.parametrize("name", list(CASES))
def test_pysd_run_equals_regression_data(model, name):
    problems = differences(case_run(model, CASES[name]), read_reference(name))
    assert not problems, f"{name}: " + "; ".join(problems[:5]) + f"; {FIX}"


@pytest.mark.parametrize("name", list(CASES))
def test_fast_run_outputs_equal_regression_data(model, name):
    frame = model.run(CASES[name])
    frame.columns = [o.vensim_name for o in model.outputs]
    reference = read_reference(name)[frame.columns]
    nobody = reference["relocated population"] < 1  # per-person outputs are missing there
    reference.loc[nobody, [o.vensim_name for o in model.outputs if o.per_person]] = np.nan
    problems = differences(frame, reference)
    assert not problems, f"{name}: " + "; ".join(problems[:5]) + f"; {FIX}"


def test_differences_names_what_moved():
    reference = read_reference("baseline")
    moved = reference.copy()
    moved.loc[2030, "employment rate"] *= 1 + 1e-8
    (problem,) = differences(moved, reference)
    assert problem.startswith("employment rate:") and "in 2030" in problem
    assert not differences(reference * (1 + 1e-10), reference)
    assert differences(reference.drop(columns="local hiring"), reference) == ["local hiring: missing from the run"]


# ---------------------------------------------------------------- an equation scaled by 1.001


def scaled(text: str, name: str, factor: str) -> str:
    """The .mdl ``text`` with the equation of ``name`` multiplied by ``factor``."""
    equations, sep, sketch = text.partition("\\\\\\---///")
    blocks = equations.split("|")
    for i, block in enumerate(blocks):
        head, tilde, rest = block.partition("~")
        left, equals, expression = head.partition("=")
        if equals and " ".join(left.split()) == name:
            blocks[i] = f"{left}{equals}\n\t({expression.strip()}) * {factor}\n\t{tilde}{rest}"
            return "|".join(blocks) + sep + sketch
    raise ValueError(f"no equation {name!r}")


def scaled_translation(source: str, function: str, factor: str) -> str:
    """PySD's translated module ``source`` with the return value of ``function`` multiplied by ``factor``:
    what PySD writes for the .mdl edited by :func:`scaled` (a test checks one equation both ways)."""
    tree = ast.parse(source)
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function)
    (ret,) = [s for s in node.body if isinstance(s, ast.Return)]
    lines = source.splitlines(keepends=True)
    start = sum(len(line) for line in lines[: ret.value.lineno - 1]) + ret.value.col_offset
    end = sum(len(line) for line in lines[: ret.value.end_lineno - 1]) + ret.value.end_col_offset
    return source[:start] + f"({source[start:end]}) * {factor}" + source[end:]


def auxiliary_names() -> list[str]:
    """Every equation that is not a stock, a lookup or a time setting: auxiliaries, flows, constants."""
    return [e.name for e in read_equations(MODEL_FILE) if not (e.is_stock or e.is_lookup or e.group == "Control")]


def run_all_parameters(pysd_model, model: sd_model.Model, params) -> pd.DataFrame:
    """Every regression variable of a raw PySD model for ``params`` (every parameter set, so nothing leaks)."""
    values = model.defaults() | dict(params)
    frame = pysd_model.run(
        params={model.py_names[model.parameter_table[n].vensim_name]: v for n, v in values.items()},
        return_columns=variables(model),
        progress=False,
    )
    frame.index = pd.Index(frame.index.to_numpy().round().astype(int), name="year")
    return frame[variables(model)].astype(float)


def _caught(args) -> tuple[str, list[str]]:
    """Load the translation with one equation scaled; run the cases until one differs from its data.

    A parameter's equation is its default: scaled, it is the default every case starts from (a case
    that sets the parameter keeps its own value, as with the edited .mdl).
    """
    name, factor, folder = args
    model = sd_model.default_model()
    parameter = next((p.name for p in model.parameters if p.vensim_name == name), None)
    defaults = {parameter: model.parameter_table[parameter].default * float(factor)} if parameter else {}
    source = model.py_file.read_text(encoding="utf-8")
    py_file = Path(folder) / model.py_file.name
    py_file.write_text(source if parameter else scaled_translation(source, model.py_names[name], factor))
    pysd_model = load_pysd(py_file)
    for case, params in CASES.items():
        problems = differences(run_all_parameters(pysd_model, model, defaults | params), read_reference(case))
        if problems:
            return name, [f"{case}: {p}" for p in problems]
    return name, []


def test_a_scaled_equation_reads_the_same_from_the_mdl_and_from_its_translation(tmp_path, monkeypatch):
    """Ties the fast check below to the .mdl: PySD's translation of the edited .mdl runs to the same
    numbers as the edited translation, for a factor of 1 (nothing moves) and of 1.001."""
    text = MODEL_FILE.read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="no equation 'nothing'"):
        scaled(text, "nothing", "1")
    monkeypatch.setenv("SD_MODEL_CACHE", str(tmp_path / "cache"))
    model = sd_model.default_model()
    for factor in ("1", "1.001"):
        copy = tmp_path / factor / "relocation.mdl"
        copy.parent.mkdir()
        copy.write_text(scaled(text, "layoff time", factor), encoding="utf-8")
        from_mdl = sd_model.Model(copy, METADATA_FILE)
        params = CASES["stress_shock_and_new_target"]
        edited_mdl = case_run(from_mdl, params)
        _, problems = _caught(("layoff time", factor, str(copy.parent)))
        edited_py = run_all_parameters(load_pysd(copy.parent / model.py_file.name), model, params)
        assert not differences(edited_mdl, edited_py)
        assert bool(problems) == (factor != "1"), (factor, problems[:2])


@pytest.mark.slow
def test_every_equation_scaled_by_a_thousandth_fails_the_regression(tmp_path):
    names = auxiliary_names()
    assert len(names) > 80
    jobs = []
    for name in names:
        folder = tmp_path / f"eq{len(jobs)}"
        folder.mkdir()
        jobs.append((name, "1.001", str(folder)))
    os.environ.setdefault("SD_MODEL_CACHE", str(sd_model.default_model().py_file.parent.parent))
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = dict(pool.map(_caught, jobs))
    missed = {name for name, problems in results.items() if not problems}
    assert missed == set(NO_OPS), (
        f"scaling these equations by 1.001 changes no regression figure: {sorted(missed - set(NO_OPS))}"
    )
