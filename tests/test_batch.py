"""run_batch equals PySD run for run, validates like run(), and moves with the .mdl."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy.stats import qmc

import sd_model
from sd_model.paths import METADATA_FILE, ROOT

from .conftest import edit_constant

RTOL = 1e-9


def assert_equal_to_pysd(dataset: xr.Dataset, frames: list[pd.DataFrame]):
    for i, frame in enumerate(frames):
        for output in dataset.data_vars:
            batch = dataset[output].values[i]
            pysd = frame[output].to_numpy()
            # a per-person output is missing (NaN) where nobody lives, in both engines alike
            missing = np.isnan(pysd)
            assert np.array_equal(np.isnan(batch), missing), f"run {i}, {output}: missing in one engine only"
            batch, pysd = batch[~missing], pysd[~missing]
            scale = np.maximum(np.abs(pysd), np.finfo(float).tiny)
            worst = np.max(np.abs(batch - pysd) / scale, initial=0.0)
            assert worst <= RTOL, f"run {i}, {output}: relative difference {worst:.3g}"


def lhs(n, seed):
    table = sd_model.parameters()
    lows, highs = [p.low for p in table], [p.high for p in table]
    return qmc.scale(qmc.LatinHypercube(d=len(table), seed=seed).random(n), lows, highs)


def test_equal_to_pysd_on_200_samples_across_bounds():
    names = [p.name for p in sd_model.parameters()]
    samples = lhs(200, seed=7)
    dataset = sd_model.run_batch(samples, outputs=sd_model.OUTPUTS, progress=False)
    assert dataset[sd_model.KPIS[0]].dims == ("run", "year")
    assert list(dataset.year.values) == list(range(2015, 2036))
    model = sd_model.default_model()
    assert_equal_to_pysd(dataset, [model.run_pysd(dict(zip(names, row, strict=True))) for row in samples])


def test_equal_to_pysd_on_scenarios_and_controls():
    scenarios = [sd_model.load_scenario(n).parameters for n in sd_model.scenario_names()]
    frame = pd.DataFrame(scenarios).fillna({k: v for k, v in sd_model.default_model().defaults().items()})
    dataset = sd_model.run_batch(frame, outputs=sd_model.OUTPUTS, final_time=2030, time_step=1 / 32)
    model = sd_model.default_model()
    expected = [model.run_pysd(dict(row.items()), final_time=2030, time_step=1 / 32) for _, row in frame.iterrows()]
    assert_equal_to_pysd(dataset, expected)


def test_partial_columns_keep_defaults():
    dataset = sd_model.run_batch(np.array([[0.9], [0.1]]), names=["training_coverage"])
    assert set(dataset.data_vars) == set(sd_model.KPIS)
    model = sd_model.default_model()
    assert_equal_to_pysd(
        dataset, [model.run_pysd({"training_coverage": 0.9}), model.run_pysd({"training_coverage": 0.1})]
    )
    np.testing.assert_array_equal(dataset.training_coverage.values, [0.9, 0.1])


@pytest.mark.parametrize(
    ("samples", "kwargs", "pattern"),
    [
        (pd.DataFrame({"training_coverag": [0.5]}), {}, r"unknown parameter 'training_coverag'"),
        (
            pd.DataFrame({"training_coverage": [0.5, 0.6, 0.7, np.nan]}),
            {},
            r"row 3: parameter 'training_coverage' is NaN",
        ),
        (
            pd.DataFrame({"dividend_rate": [0.05] * 5 + [0.5]}),
            {},
            r"row 5: parameter 'dividend_rate' = 0.5 is out of bounds",
        ),
        (pd.DataFrame({"dividend_rate": [0.05, "x"]}), {}, r"row 1: parameter 'dividend_rate' must be a number"),
        (np.array([[0.5, 0.05]]), {"names": ["training_coverage"]}, r"2 columns but 1 names"),
        (np.array([0.5, 0.05]), {"names": ["training_coverage"]}, r"2-D"),
        (np.array([[0.5]]), {"names": ["training_coverage"], "outputs": ["jobs"]}, r"unknown output 'jobs'"),
        (np.array([[0.5]]), {"names": ["training_coverage"], "time_step": 0.3}, r"time_step"),
    ],
)
def test_bad_samples_raise_before_any_work(samples, kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        sd_model.run_batch(samples, **kwargs)


def test_both_engines_follow_an_edited_mdl(model_copy):
    edit_constant(model_copy, "poverty line", "8000")
    edited = sd_model.Model(model_copy, METADATA_FILE)
    params = {"training_coverage": 0.4}
    batch = sd_model.run_batch(pd.DataFrame([params]), model=edited, outputs=["relapse_risk_share"])
    single = edited.run_pysd(params)
    base = sd_model.run(params)
    assert single.loc[2025, "relapse_risk_share"] > 2 * base.loc[2025, "relapse_risk_share"]
    assert_equal_to_pysd(batch, [single])
    assert_equal_to_pysd(
        xr.Dataset({k: (("run", "year"), v.to_numpy()[None]) for k, v in edited.run(params).items()}), [single]
    )


def test_run_equals_pysd_loop_on_scenarios_and_samples():
    model = sd_model.default_model()
    names = [p.name for p in model.parameters]
    sets = [sd_model.load_scenario(n).parameters for n in sd_model.scenario_names()]
    sets += [dict(zip(names, row, strict=True)) for row in lhs(20, seed=9)]
    for params in sets:
        fast, reference = model.run(params), model.run_pysd(params)
        pd.testing.assert_index_equal(fast.index, reference.index)
        assert_equal_to_pysd(
            xr.Dataset({k: (("run", "year"), v.to_numpy()[None]) for k, v in fast.items()}), [reference]
        )


def test_generator_refuses_what_it_does_not_know(model_copy):
    edit_constant(model_copy, "poverty line", "SAMPLE IF TRUE(Time > 2020, 4400, 4000)")
    edited = sd_model.Model(model_copy, METADATA_FILE)
    with pytest.raises(NotImplementedError, match=r"SampleIfTrue \(SAMPLE IF TRUE\) has no generated form"):
        edited.run()
    growth = np.exp(edited.constants["monitoring line growth"] * (2030 - 2021))
    assert edited.run_pysd().loc[2030, "monitoring_line"] == pytest.approx(
        4400 * edited.constants["monitoring line multiple"] * growth, rel=1e-12
    )


def test_generator_runs_if_then_else_as_pysd_does(model_copy):
    edit_constant(model_copy, "poverty line", "IF THEN ELSE(Time > 2020, 4400, 4000)")
    edited = sd_model.Model(model_copy, METADATA_FILE)
    fast, pysd_run = edited.run(), edited.run_pysd()
    growth = np.exp(edited.constants["monitoring line growth"] * (2030 - 2021))
    assert fast.loc[2030, "monitoring_line"] == pytest.approx(
        4400 * edited.constants["monitoring line multiple"] * growth, rel=1e-12
    )
    assert fast.loc[2020, "monitoring_line"] == 4000
    np.testing.assert_allclose(fast.to_numpy(), pysd_run[fast.columns].to_numpy(), rtol=1e-9, atol=1e-12)


def test_chunks_give_the_same_result():
    samples = lhs(50, seed=3)
    whole = sd_model.run_batch(samples)
    chunked = sd_model.run_batch(samples, chunk_size=7)
    xr.testing.assert_identical(whole, chunked)


def test_cli_batch_writes_netcdf_and_csv(tmp_path):
    samples = pd.DataFrame({"training_coverage": [0.2, 0.8], "dividend_rate": [0.04, 0.07]})
    samples.to_csv(tmp_path / "samples.csv", index=False)
    for name in ("results.nc", "results.csv"):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "sd_model",
                "batch",
                "--samples",
                str(tmp_path / "samples.csv"),
                "--out",
                str(tmp_path / name),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
    expected = sd_model.run_batch(samples)
    with xr.open_dataset(tmp_path / "results.nc") as written:
        xr.testing.assert_allclose(written.load(), expected, rtol=1e-12)
    table = pd.read_csv(tmp_path / "results.csv", index_col=["run", "year"])
    np.testing.assert_allclose(table["employment_rate"].to_numpy(), expected.employment_rate.values.ravel(), rtol=1e-12)
