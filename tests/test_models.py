"""The fast engine on small models of one construct each (``tests/models/``): PySD's numbers or a
refusal that names the construct, before any step; never a crash, never a different number.

:data:`EXPECTED` is the coverage table of the README: a model that starts to run, or stops, must be
moved in it on purpose.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pysd
import pytest

from sd_model.engine import Engine
from sd_model.mdl import CONTROL_NAMES
from sd_model.translation import translated_file

MODELS = Path(__file__).resolve().parent / "models"
#: model file -> "equal", or the words the refusal must contain
EXPECTED = {
    "builtins.mdl": "equal",  # IF THEN ELSE, XIDZ, ZIDZ, INTEGER, MODULO, PULSE, PULSE TRAIN, STEP, RAMP; SAVEPER = TIME STEP
    "negative_modulo_and_branches.mdl": "equal",  # MODULO and INTEGER of negatives, branches on a stock's sign, an endless pulse train
    "cosine_of_time.mdl": "equal",  # a flow of Time alone (crashed the generator with a CycleError before)
    "lookup_of_time.mdl": "equal",  # a flow equal to a table looked up at Time (the same)
    "smooth.mdl": "equal",  # SMOOTH
    "smooth_orders_initial.mdl": "equal",  # SMOOTH, SMOOTH3, SMOOTHI, SMOOTH N, INITIAL, ACTIVE INITIAL
    "delays.mdl": "equal",  # DELAY1, DELAY3, DELAY1I inside one expression, a delay time that is a parameter
    "delay_n_and_fixed.mdl": "equal",  # DELAY N (PySD keeps a delay time per stage), DELAY FIXED (a pipeline)
    "trend.mdl": "equal",  # TREND
    "time_step_expression.mdl": "TIME STEP changes with Time",
}
TOLERANCE = 1e-9


def test_every_model_is_in_the_table():
    assert sorted(p.name for p in MODELS.glob("*.mdl")) == sorted(EXPECTED)


def _ranged_constants(model: pysd.py_backend.model.Model) -> dict[str, tuple[float, float]]:
    doc = model.doc
    controls = set(CONTROL_NAMES.values())
    ranges = {}
    for _, row in doc[(doc["Type"] == "Constant")].iterrows():
        low, high = row["Limits"]
        if row["Real Name"] not in controls and np.isfinite(low) and np.isfinite(high):
            ranges[row["Py Name"]] = (float(low), float(high))
    return ranges


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_equal_to_pysd_or_refused_by_name(name):
    py_file = translated_file(MODELS / name)
    reference = pysd.load(str(py_file))
    doc = reference.doc
    variables = [r for r, kind in zip(doc["Real Name"], doc["Type"], strict=True)
                 if kind in ("Stateful", "Auxiliary") and r not in CONTROL_NAMES.values()]  # fmt: skip
    engine = Engine(py_file, outputs=variables)
    control = engine.control
    ranges = _ranged_constants(reference)
    n = 3
    values = {py: np.linspace(low, high, n) for py, (low, high) in ranges.items()}
    if EXPECTED[name] != "equal":
        with pytest.raises(NotImplementedError, match=EXPECTED[name]):
            engine.run(n, values, control["final_time"], control["time_step"])
        return
    result = engine.run(n, values, control["final_time"], control["time_step"])  # (variables, runs, saves)
    single = engine.run(1, {py: v[:1] for py, v in values.items()}, control["final_time"], control["time_step"])
    for run in range(n):
        params = {py: float(v[run]) for py, v in values.items()}
        frame = pysd.load(str(py_file)).run(params=params, return_columns=variables)
        saved = [t for t in frame.index if abs(t / control["saveper"] - round(t / control["saveper"])) < 1e-9]
        for i, variable in enumerate(variables):
            want = frame.loc[saved, variable].to_numpy(dtype=float)
            got = result[i, run, : len(want)]
            error = np.abs(got - want).max() / max(np.abs(want).max(), 1e-12)
            assert error <= TOLERANCE, f"{name}, run {run}, {variable}: off by {error:.3g}"
            if run == 0:
                np.testing.assert_array_equal(single[i, 0, : len(want)], got)  # one run and a batch agree
