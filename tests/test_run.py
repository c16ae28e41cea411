"""sd_model.run: shape, validation of bad input, independence of runs, translation cache."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import sd_model
from engine.translation import translated_file
from sd_model.paths import METADATA_FILE

from .conftest import edit_constant


def test_run_shape():
    results = sd_model.run()
    assert isinstance(results, pd.DataFrame)
    assert results.index.name == "year"
    assert results.index.dtype.kind == "i"
    assert list(results.index) == list(range(2015, 2036))
    assert tuple(results.columns) == sd_model.OUTPUTS
    per_person = [o.name for o in sd_model.default_model().outputs if o.per_person]
    assert np.isfinite(results.drop(columns=per_person).to_numpy()).all()
    assert np.isfinite(results.loc[2016:, per_person].to_numpy()).all()  # missing only where nobody lives (2015)


def test_final_time_and_time_step():
    short = sd_model.run(final_time=2025)
    assert list(short.index) == list(range(2015, 2026))
    pd.testing.assert_frame_equal(short, sd_model.run().loc[:2025])
    fine = sd_model.run(time_step=1 / 32)
    assert list(fine.index) == list(range(2015, 2036))


@pytest.mark.parametrize(
    ("params", "pattern"),
    [
        ({"training_coverag": 0.5}, r"unknown parameter 'training_coverag'.*did you mean 'training_coverage'"),
        ({"training_coverage": 1.5}, r"'training_coverage' = 1.5 is out of bounds.*\[0.05, 1\]"),
        ({"training_coverage": -0.1}, r"'training_coverage' = -0.1 is out of bounds"),
        ({"training_coverage": math.nan}, r"'training_coverage' is NaN"),
        ({"training_coverage": "0.5"}, r"'training_coverage' must be a number.*got '0.5' \(str\)"),
        ({"training_coverage": True}, r"'training_coverage' must be a number.*bool"),
        ({"training_coverage": None}, r"'training_coverage' must be a number.*NoneType"),
        ([("training_coverage", 0.5)], r"must be a mapping"),
    ],
)
def test_bad_params_raise_value_error(params, pattern):
    with pytest.raises(ValueError, match=pattern):
        sd_model.run(params)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"final_time": 2015}, "final_time"),
        ({"final_time": 2030.5}, "final_time"),
        ({"final_time": math.nan}, "final_time"),
        ({"time_step": 0.3}, "time_step"),
        ({"time_step": 0}, "time_step"),
        ({"time_step": 2}, "time_step"),
    ],
)
def test_bad_controls_raise_value_error(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        sd_model.run(**kwargs)


def test_runs_are_independent():
    before = sd_model.run()
    changed = sd_model.run({"training_coverage": 1.0, "dividend_rate": 0.08}, final_time=2025, time_step=1 / 32)
    assert not np.allclose(changed.loc[2025], before.loc[2025])
    after = sd_model.run()
    pd.testing.assert_frame_equal(before, after)
    model = sd_model.default_model()  # PySD's own (mutable) model object: nothing leaks either
    reference = model.run_pysd()
    model.run_pysd({"training_coverage": 1.0, "dividend_rate": 0.08}, final_time=2025)
    pd.testing.assert_frame_equal(model.run_pysd(), reference)
    pd.testing.assert_frame_equal(reference, before, check_exact=False, rtol=1e-12)


def test_numpy_numbers_accepted():
    a = sd_model.run({"training_coverage": np.float64(0.6), "second_relocation_round": np.int64(20000)})
    b = sd_model.run({"training_coverage": 0.6, "second_relocation_round": 20000})
    pd.testing.assert_frame_equal(a, b)


def test_translation_is_cached_and_rebuilt_when_mdl_changes(model_copy):
    first = translated_file(model_copy)
    stamp = first.stat().st_mtime_ns
    assert translated_file(model_copy) == first
    assert first.stat().st_mtime_ns == stamp
    edit_constant(model_copy, "dividend rate", "0.06")
    second = translated_file(model_copy)
    assert second != first and second.is_file()
    default = sd_model.Model(model_copy, METADATA_FILE)
    assert default.parameter_table["dividend_rate"].default == 0.06


def test_edited_constant_moves_results(model_copy):
    edit_constant(model_copy, "dividend rate historical", "0.07")  # the rate that acts before the policy year
    edited = sd_model.Model(model_copy, METADATA_FILE).run()
    base = sd_model.run()
    ratio = edited.loc[2020, "equity_income_per_capita"] / base.loc[2020, "equity_income_per_capita"]
    assert ratio == pytest.approx(0.07 / 0.05, rel=0.05)  # dividends scale with the rate before capital compounds
