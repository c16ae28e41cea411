"""Every run of every named scenario equals its regression data; a 0.1 % change of any equation shows.

The data are in ``tests/data/`` (``python -m tests.regression`` regenerates them after a deliberate
model change). The comparison is :func:`tests.regression.differences`, relative 1e-9.
"""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

import sd_model
from sd_model.mdl import read_equations
from sd_model.paths import MODEL_FILE

from .regression import differences, read_reference, scenario_run, variables

FIX = "if the model changed on purpose, run `python -m tests.regression` and say in the commit which outputs moved and why"
SCENARIOS = sd_model.scenario_names()


@pytest.mark.parametrize("name", SCENARIOS)
def test_pysd_run_equals_regression_data(model, name):
    problems = differences(scenario_run(model, name), read_reference(name))
    assert not problems, f"{name}: " + "; ".join(problems[:5]) + f"; {FIX}"


@pytest.mark.parametrize("name", SCENARIOS)
def test_fast_run_outputs_equal_regression_data(model, name):
    frame = model.run(sd_model.load_scenario(name).parameters)
    frame.columns = [o.vensim_name for o in model.outputs]
    problems = differences(frame, read_reference(name)[frame.columns])
    assert not problems, f"{name}: " + "; ".join(problems[:5]) + f"; {FIX}"


def test_differences_names_what_moved():
    reference = read_reference("baseline")
    moved = reference.copy()
    moved.loc[2030, "employment rate"] *= 1 + 1e-8
    (problem,) = differences(moved, reference)
    assert problem.startswith("employment rate:") and "in 2030" in problem
    assert not differences(reference * (1 + 1e-10), reference)
    assert differences(reference.drop(columns="local hiring"), reference) == ["local hiring: missing from the run"]


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


def auxiliary_names() -> list[str]:
    """Every equation that is not a stock, a lookup or a time setting: auxiliaries, flows, constants."""
    return [e.name for e in read_equations(MODEL_FILE) if not (e.is_stock or e.is_lookup or e.group == "Control")]


def _caught(args) -> tuple[str, list[str]]:
    """Translate the .mdl with one equation scaled, run the baseline, compare with its data."""
    name, factor, folder = args
    os.environ["SD_MODEL_CACHE"] = str(Path(folder) / "cache")
    copy = Path(folder) / "relocation.mdl"
    copy.write_text(scaled(MODEL_FILE.read_text(encoding="utf-8"), name, factor), encoding="utf-8")
    model = sd_model.Model(copy)
    frame = model.run_variables(variables=variables(model))
    frame.index = pd.Index(frame.index.to_numpy().round().astype(int), name="year")
    return name, differences(frame, read_reference("baseline"))


def test_scaling_by_one_changes_nothing(tmp_path, monkeypatch):
    """The control of the test below: the edit itself (parentheses, a factor 1) leaves the model equal."""
    text = MODEL_FILE.read_text(encoding="utf-8")
    assert scaled(text, "local hiring", "1") != text
    with pytest.raises(ValueError, match="no equation 'nothing'"):
        scaled(text, "nothing", "1")
    monkeypatch.setenv("SD_MODEL_CACHE", str(tmp_path / "cache"))
    assert _caught(("local hiring", "1", tmp_path)) == ("local hiring", [])


@pytest.mark.slow
def test_every_equation_scaled_by_a_thousandth_fails_the_regression(tmp_path):
    names = auxiliary_names()
    assert len(names) > 50
    jobs = []
    for name in names:
        folder = tmp_path / f"eq{len(jobs)}"
        folder.mkdir()
        jobs.append((name, "1.001", str(folder)))
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = dict(pool.map(_caught, jobs))
    missed = [name for name, problems in results.items() if not problems]
    assert not missed, f"scaling these equations by 1.001 changes no regression figure: {missed}"
    shutil.rmtree(tmp_path, ignore_errors=True)
