"""The sensitivity pipeline: Ishigami validation, reproducibility, resume, bad arguments, CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from SALib.test_functions import Ishigami

import sensitivity
from sd_model.paths import ROOT
from sensitivity.pipeline import model_evaluator, run_analysis

ISHIGAMI = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
ANALYTIC = {"S1": [0.3139, 0.4424, 0.0], "ST": [0.5576, 0.4424, 0.2437]}


def ishigami(X, names):
    return {"y": Ishigami.evaluate(X)[:, None]}


def test_pipeline_reproduces_analytic_ishigami_indices():
    ds = run_analysis("sobol", problem=ISHIGAMI, evaluate=ishigami, years_all=[0], years=[0], n=4096, seed=11, progress=False)
    for index, truth in ANALYTIC.items():
        values = ds[index].sel(output="y", year=0).values
        conf = ds[f"{index}_conf"].sel(output="y", year=0).values
        assert np.all(np.abs(values - truth) <= conf), f"{index}: {values} ± {conf} vs {truth}"


def test_sobol_second_order_on_request():
    ds = small("sobol", n=64, second_order=True)
    assert ds["S2"].dims == ("output", "year", "parameter", "other")
    upper = ds["S2"].sel(output="employment_rate", year=2030).values[np.triu_indices(ds.sizes["parameter"], 1)]
    assert np.isfinite(upper).all()
    from sensitivity.pipeline import tidy

    table = tidy(ds, "sobol")
    assert table[table["index"] == "S2"]["parameter"].str.contains(":").all()


def small(method="morris", **kwargs):
    options = dict(params="levers", outputs=["employment_rate", "equity_income_per_capita"], years="2020,2030", progress=False)
    return run_analysis(method, **(options | kwargs))


def test_same_seed_same_numbers_and_other_seed_differs():
    a, b = small(n=16, seed=5), small(n=16, seed=5)
    xr.testing.assert_identical(a.drop_attrs(), b.drop_attrs())
    c = small(n=16, seed=6)
    assert not np.allclose(a["mu_star"].values, c["mu_star"].values, equal_nan=True)


@pytest.mark.parametrize(
    ("method", "n", "index"), [("sobol", 64, "ST"), ("fast", 80, "S1"), ("pawn", 256, "median"), ("morris", 8, "sigma")]
)
def test_every_method_reports_indices_per_output_and_year(method, n, index):
    ds = small(method, n=n)
    assert ds[index].dims == ("output", "year", "parameter")
    assert list(ds.year.values) == [2020, 2030]
    assert np.isfinite(ds[index].values).all()


def test_resume_skips_finished_chunks(tmp_path):
    calls = []
    inner = model_evaluator(["employment_rate"])

    def flaky(X, names):
        calls.append(len(X))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return inner(X, names)

    options = dict(
        params="levers", outputs=["employment_rate"], years="2025", n=32, out=tmp_path / "run", chunk_size=100, progress=False
    )
    with pytest.raises(KeyboardInterrupt):
        run_analysis("morris", evaluate=flaky, **options)
    assert len(list((tmp_path / "run" / "chunks").glob("chunk_*.npz"))) == 2
    calls.clear()
    resumed = run_analysis("morris", evaluate=lambda X, names: calls.append(len(X)) or inner(X, names), resume=True, **options)
    total = 32 * (len(sensitivity.pipeline.select_parameters("levers")) + 1)
    assert sum(calls) == total - 200  # the two saved chunks were not recomputed
    assert json.loads(resumed.attrs["manifest"])["chunks_reused"] == 2
    fresh = run_analysis("morris", **options)
    xr.testing.assert_allclose(resumed.drop_attrs(), fresh.drop_attrs())
    with pytest.raises(ValueError, match="cannot resume"):
        run_analysis("morris", resume=True, **(options | {"n": 16}))


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"method_name": "sobol", "n": 1000}, r"power of two \(e\.g\. 1024\)"),
        ({"method_name": "fast", "n": 50}, r"eFAST needs N > 4 M\^2 = 64"),
        ({"method_name": "magic"}, r"unknown method 'magic'"),
        ({"method_name": "morris", "params": "training_coverage,nope"}, r"unknown parameter 'nope'"),
        ({"method_name": "morris", "params": "training_coverage"}, r"at least two"),
        ({"method_name": "morris", "outputs": ["jobs"]}, r"unknown output 'jobs'"),
        ({"method_name": "morris", "years": "2050"}, r"year 2050 is not simulated"),
        ({"method_name": "morris", "years": "soon"}, r"years must be"),
    ],
)
def test_bad_arguments(kwargs, pattern):
    method = kwargs.pop("method_name")
    with pytest.raises(ValueError, match=pattern):
        run_analysis(method, progress=False, **kwargs)


def test_cli_writes_all_files(tmp_path):
    out = tmp_path / "morris"
    done = subprocess.run(
        [sys.executable, "-m", "sensitivity", "morris", "--params", "levers", "--outputs", "employment_rate",
         "--years", "2025,2030", "--n", "8", "--seed", "3", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for name in ("indices.csv", "indices.nc", "samples.csv", "outputs.nc", "manifest.json", "report.md",
                 "ranked_employment_rate.html", "ranked_employment_rate.png", "heatmap_employment_rate.png"):  # fmt: skip
        assert (out / name).is_file(), name
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["method"] == "morris" and manifest["n"] == 8 and manifest["seed"] == 3
    assert {"parameter_table_sha256", "model_sha256", "versions", "created", "convergence"} <= set(manifest)
    table = pd.read_csv(out / "indices.csv")
    assert set(table.columns) == {"method", "output", "year", "parameter", "index", "value", "conf"}
    assert set(table["year"]) == {2025, 2030}
    bad = subprocess.run([sys.executable, "-m", "sensitivity", "sobol", "--n", "1000", "--out", str(tmp_path / "x")],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert bad.returncode == 2 and "power of two" in bad.stderr and "Traceback" not in bad.stderr
