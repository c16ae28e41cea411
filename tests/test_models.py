"""The fast engine on small models of one construct each (``tests/models/``): PySD's numbers or a
refusal that names the construct, before any step; never a crash, never a different number.

:data:`EXPECTED` is the coverage table of the README: a model that starts to run, or stops, must be
moved in it on purpose.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pysd
import pytest

import sd_model
from sd_model.check import TOLERANCE, relative_error

MODELS = Path(__file__).resolve().parent / "models"
#: model file -> "equal", or the words the refusal must contain
EXPECTED = {
    # IF THEN ELSE, XIDZ, ZIDZ, INTEGER, MODULO, PULSE, PULSE TRAIN, STEP, RAMP; SAVEPER = TIME STEP
    "builtins.mdl": "equal",
    # MODULO and INTEGER of negatives, branches on a stock's sign, an endless pulse train
    "negative_modulo_and_branches.mdl": "equal",
    "cosine_of_time.mdl": "equal",  # a flow of Time alone (crashed the generator with a CycleError before)
    "lookup_of_time.mdl": "equal",  # a flow equal to a table looked up at Time (the same)
    "smooth.mdl": "equal",  # SMOOTH
    "smooth_orders_initial.mdl": "equal",  # SMOOTH, SMOOTH3, SMOOTHI, SMOOTH N, INITIAL, ACTIVE INITIAL
    "delays.mdl": "equal",  # DELAY1, DELAY3, DELAY1I inside one expression, a delay time that is a parameter
    "delay_n_and_fixed.mdl": "equal",  # DELAY N (PySD keeps a delay time per stage), DELAY FIXED (a pipeline)
    "trend.mdl": "equal",  # TREND
    "time_step_expression.mdl": "TIME STEP changes with Time",
    # a subscripted stock, DELAY1 and SMOOTH; SUM, VMIN, VMAX, PROD; a subrange; IF THEN ELSE
    "subscripts_1d.mdl": "equal",
    "subscripts_2d.mdl": "equal",  # two dimensions, SUM over one, EXCEPT, a variable over a subrange, VMAX over both
    "ten_counties.mdl": "equal",  # a numbered range of 10 counties, ZIDZ, SMOOTH (the benchmark's model)
}


def test_every_model_is_in_the_table():
    assert sorted(p.name for p in MODELS.glob("*.mdl")) == sorted(EXPECTED)


def _pysd_params(model: sd_model.Model, row: dict[str, float]) -> dict:
    """PySD's ``run(params=...)`` for one parameter set: floats, and a DataArray per subscripted constant."""
    params = {}
    for name, value in row.items():
        if name in model._elements:
            constant, real, where = model._elements[name]
            params.setdefault(constant, model.constants[real].copy()).loc[where] = value
        else:
            params[name] = value
    return params


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_equal_to_pysd_or_refused_by_name(name):
    """Every ranged parameter (each element of a subscripted one) moves across three runs of a batch;
    each run, and the first one run alone, equals PySD's own run on every column and saved time."""
    model = sd_model.Model(MODELS / name)  # no metadata: every constant a parameter, every variable an output
    ranged = [p for p in model.parameters if np.isfinite(p.low) and np.isfinite(p.high)]
    n = 3
    samples = pd.DataFrame({p.name: np.linspace(p.low, p.high, n) for p in ranged}, index=range(n))
    if EXPECTED[name] != "equal":
        with pytest.raises(NotImplementedError, match=EXPECTED[name]):
            sd_model.run_batch(samples, model=model)
        return
    batch = sd_model.run_batch(samples, model=model)
    single = model.run(samples.iloc[0].to_dict()) if ranged else model.run()
    columns = list(model.engine.columns)
    for run in range(n):
        row = samples.iloc[run].to_dict()
        frame = pysd.load(str(model.py_file)).run(
            params=_pysd_params(model, row), return_columns=columns, progress=False
        )
        saved = [
            t for t in frame.index if abs(t / model.control["saveper"] - round(t / model.control["saveper"])) < 1e-9
        ]
        assert len(saved) == batch.sizes["time"]
        for output, column in zip(model.output_names, columns, strict=True):
            want = frame.loc[saved, column].to_numpy(dtype=float)
            got = batch[output].values[run]
            np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=f"{name}, run {run}, {column}: NaN")
            error = relative_error(got, want)
            assert error <= TOLERANCE, f"{name}, run {run}, {column}: off by {error:.3g}"
            if run == 0 and not model.engine.arrays:
                np.testing.assert_array_equal(single[output].to_numpy(), got)  # one run and a batch: the same floats
            elif run == 0:  # subscripted: NumPy may sum the elements in another order for another number of runs
                alone = single[output].to_numpy()
                error = relative_error(alone, want)
                assert error <= TOLERANCE, f"{name}, one run alone, {column}: off by {error:.3g}"
