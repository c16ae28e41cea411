"""The engine on public sample models of SDXorg/test-models (``samples/``, copied into
``tests/models/sdxorg``; see ``tests/models/SOURCES.md``): PySD's numbers or a refusal by name, on the
compiled kernel (the default) and on the NumPy loop.

- the Roessler attractor: three stocks and a constant named ``c``, the name of the loop's constants
  argument (the NumPy loop crashed with ``TypeError: 'float' object is not subscriptable``);
- a pendulum whose SAVEPER (0.1) is not a whole number of its TIME STEP (1/128): PySD saves where the
  two meet, every 64 steps (0.5 apart); it was refused with ``ParameterError``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sd_model
from engine.runner import pysd_saves
from sd_model.check import TOLERANCE, check_model, relative_error
from sd_model.parameters import ParameterError

SAMPLES = Path(__file__).resolve().parent / "models" / "sdxorg"
ROESSLER = SAMPLES / "roessler_chaos.mdl"
PENDULUM = SAMPLES / "Single_Pendulum.mdl"


def assert_equal_to_pysd(model: sd_model.Model, **controls) -> None:
    """``Model.run`` against PySD's own run: the same saved times, every column within TOLERANCE."""
    ours, reference = model.run(**controls), model.run_pysd(**controls)
    np.testing.assert_allclose(ours.index.to_numpy(), reference.index.to_numpy(), rtol=0, atol=1e-9)
    for column in model.output_names:
        assert relative_error(ours[column].to_numpy(), reference[column].to_numpy()) <= TOLERANCE, column


@pytest.mark.parametrize("engine", ["compiled", "numpy"])
@pytest.mark.parametrize("mdl", [ROESSLER, PENDULUM], ids=lambda p: p.stem)
def test_sample_runs_equal_to_pysd(mdl, engine, monkeypatch):
    monkeypatch.setenv("SD_MODEL_ENGINE", engine)
    model = sd_model.Model(mdl)
    assert_equal_to_pysd(model)
    kernels = [kernel for kernel in model.engine._kernels.values() if kernel is not None]
    assert len(kernels) == (engine == "compiled")  # the compiled kernel ran it, or the NumPy loop


def test_a_variable_named_as_the_loops_argument_is_renamed():
    source = sd_model.Model(ROESSLER).engine.source
    assert "    c_ = c['c']\n" in source  # the constant c, read once; ``c`` stays the loop's argument
    assert "dzdt = b + z * (x - c_)" in source


def test_pendulum_saves_where_pysd_does():
    model = sd_model.Model(PENDULUM)
    assert model.control["saveper"] == 0.1 and model.control["time_step"] == 0.0078125
    np.testing.assert_array_equal(model.times(), np.arange(201) * 0.5)
    assert model.engine.saves(100.0, 0.0078125) == (12800, 64, 201)
    assert_equal_to_pysd(model, final_time=20.0)  # the model's own TIME STEP, a final time of the user's


def test_pendulum_in_the_coverage_check():
    assert check_model(PENDULUM).status == "equal"


def test_a_time_step_of_the_users_must_divide_saveper():
    with pytest.raises(ParameterError, match=r"^SAVEPER \(0.1\) must be a whole number of time steps \(0.03\)$"):
        sd_model.Model(PENDULUM).run(time_step=0.03)


def test_uneven_saves_are_refused_by_name():
    """SAVEPER a hair over TIME STEP: PySD saves at the first 20 steps, then no more (its tolerance is
    1e-5 of a time step); the generated loop saves every so many steps, so it refuses."""
    with pytest.raises(NotImplementedError, match=r"SAVEPER 0\.10000005 with TIME STEP 0\.1: PySD saves at steps not"):
        pysd_saves(0.0, 5.0, 0.1, 0.10000005)
    assert pysd_saves(0.0, 10.1, 0.3, 0.5) == (34, 5, 7)  # PySD steps past a FINAL TIME between two steps
