"""The sensitivity pipeline: Ishigami validation, reproducibility, resume, bad arguments, CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from SALib.test_functions import Ishigami

import sensitivity
from sensitivity.pipeline import model_evaluator, run_analysis

from .commands import run_module

ISHIGAMI = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
ANALYTIC = {"S1": [0.3139, 0.4424, 0.0], "ST": [0.5576, 0.4424, 0.2437]}


def ishigami(X, names):
    return {"y": Ishigami.evaluate(X)[:, None]}


def test_pipeline_reproduces_analytic_ishigami_indices():
    ds = run_analysis(
        "sobol", problem=ISHIGAMI, evaluate=ishigami, years_all=[0], years=[0], n=4096, seed=11, progress=False
    )
    for index, truth in ANALYTIC.items():
        values = ds[index].sel(output="y", year=0).values
        conf = ds[f"{index}_conf"].sel(output="y", year=0).values
        assert np.all(np.abs(values - truth) <= conf), f"{index}: {values} ± {conf} vs {truth}"


def known(method, problem, evaluate, n, seed=11):
    """Indices of ``method`` through the project's pipeline, for a function with known answers."""
    ds = run_analysis(
        method, problem=problem, evaluate=evaluate, years_all=[0], years=[0], n=n, seed=seed, progress=False
    )
    return ds.sel(output="y", year=0)


@pytest.mark.parametrize("seed", [20161231, 7, None])
def test_first_and_total_order_are_salibs_to_the_bit(seed):
    """The bootstrap of every parameter at once gives SALib's ``sobol.analyze`` numbers: the same
    resamples from the same seed, the same estimators, the same order of additions."""
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    from sensitivity.methods import sobol_first_and_total

    k = 23
    problem = {"num_vars": k, "names": [f"x{i}" for i in range(k)], "bounds": [[0.0, 1.0]] * k}
    X = sobol_sample.sample(problem, 256, calc_second_order=False, seed=3)
    weights = np.random.default_rng(0).normal(size=k)
    Y = np.sin(X @ weights) + 3 * X[:, 0] ** 2 + X[:, 5] * X[:, 7]
    np.random.seed(11)  # noqa: NPY002 (seed None: both draw from NumPy's global generator, as SALib does)
    reference = sobol_analyze.analyze(problem, Y, calc_second_order=False, num_resamples=100, seed=seed)
    np.random.seed(11)  # noqa: NPY002
    ours = sobol_first_and_total(k, Y, seed)
    for index in ("S1", "ST"):
        np.testing.assert_array_equal(ours[index][0], reference[index])
        np.testing.assert_array_equal(ours[index][1], reference[f"{index}_conf"])


def test_fast_reproduces_analytic_ishigami_indices():
    ds = known("fast", ISHIGAMI, ishigami, n=10_000)
    for index, truth in ANALYTIC.items():  # SALib's own regression tolerances for eFAST
        np.testing.assert_allclose(ds[index].values, truth, atol=5e-2, rtol=1e-1)


def test_morris_reproduces_ishigami_effects_and_salib():
    from SALib.analyze import morris as salib_morris

    from sensitivity.methods import MORRIS_LEVELS, elementary_effects, get_method

    ds = known("morris", ISHIGAMI, ishigami, n=2000)
    # x2 enters as 7 sin^2(x2): on the 4-level grid every elementary effect is +-7 * 0.75 / (2/3) = 7.875
    assert ds["mu_star"].values[1] == pytest.approx(7.875, rel=1e-9)
    # x1 and x3: SALib's regression figures for Ishigami (7.767792, 6.308785 at N = 10,000)
    np.testing.assert_allclose(ds["mu_star"].values[[0, 2]], [7.767792, 6.308785], rtol=0.05)
    sigma, half_width = ds["sigma"].values, ds["sigma_conf"].values
    assert np.all(half_width > 0) and np.all(half_width < 0.2 * sigma)
    # the elementary effects behind the sigma interval are SALib's: same mu, mu* and sigma
    X = get_method("morris").sample(ISHIGAMI, 500, 3, False)
    Y = ishigami(X, None)["y"][:, 0]
    salib = salib_morris.analyze(ISHIGAMI, X, Y, num_levels=MORRIS_LEVELS, seed=3)
    effects = elementary_effects(X, Y, MORRIS_LEVELS)
    np.testing.assert_allclose(effects.mean(axis=0), salib["mu"], rtol=1e-12)
    np.testing.assert_allclose(np.abs(effects).mean(axis=0), salib["mu_star"], rtol=1e-12)
    np.testing.assert_allclose(effects.std(axis=0, ddof=1), salib["sigma"], rtol=1e-12)
    with pytest.raises(ValueError, match="trajectories of 4 rows"):
        elementary_effects(X[:-1], Y[:-1], MORRIS_LEVELS)


def test_pawn_reproduces_the_analytic_indices_of_y_equals_x1():
    """y = x1 with x1, x2 uniform on [0, 1]: conditioning x1 on the slice [a, a + 1/10] gives a KS
    distance of max(a, 0.9 - a) to the unconditional output, so over the ten slices the median is
    0.7 and the maximum 0.9; x2 does nothing, so its distances are sampling noise."""
    problem = {"num_vars": 2, "names": ["x1", "x2"], "bounds": [[0.0, 1.0]] * 2}
    ds = known("pawn", problem, lambda X, names: {"y": X[:, :1]}, n=8192)
    assert ds["median"].values[0] == pytest.approx(0.7, abs=0.02)
    assert ds["maximum"].values[0] == pytest.approx(0.9, abs=0.02)
    n, m = 8192, 8192 / 10  # unconditional and slice sample sizes: the 5 % KS critical value
    assert ds["median"].values[1] < 1.36 * np.sqrt((n + m) / (n * m))


def test_sobol_second_order_on_request():
    ds = small("sobol", n=64, second_order=True)
    assert ds["S2"].dims == ("output", "year", "parameter", "other")
    upper = ds["S2"].sel(output="employment_rate", year=2030).values[np.triu_indices(ds.sizes["parameter"], 1)]
    assert np.isfinite(upper).all()
    from sensitivity.pipeline import tidy

    table = tidy(ds, "sobol")
    assert table[table["index"] == "S2"]["parameter"].str.contains(":").all()


def small(method="morris", **kwargs):
    options = dict(
        params="levers", outputs=["employment_rate", "equity_income_per_capita"], years="2020,2030", progress=False
    )
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
        params="levers",
        outputs=["employment_rate"],
        years="2025",
        n=32,
        out=tmp_path / "run",
        chunk_size=100,
        progress=False,
    )
    with pytest.raises(KeyboardInterrupt):
        run_analysis("morris", evaluate=flaky, **options)
    assert len(list((tmp_path / "run" / "chunks").glob("chunk_*.npz"))) == 2
    calls.clear()
    resumed = run_analysis(
        "morris", evaluate=lambda X, names: calls.append(len(X)) or inner(X, names), resume=True, **options
    )
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
    done = run_module(
        "sensitivity",
        "morris",
        "--params",
        "levers",
        "--outputs",
        "employment_rate",
        "--years",
        "2025,2030",
        "--n",
        "8",
        "--seed",
        "3",
        "--out",
        str(out),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    for name in (
        "indices.csv",
        "indices.nc",
        "samples.csv",
        "outputs.nc",
        "manifest.json",
        "report.md",
        "ranked_employment_rate.html",
        "ranked_employment_rate.png",
        "heatmap_employment_rate.png",
    ):
        assert (out / name).is_file(), name
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["method"] == "morris" and manifest["n"] == 8 and manifest["seed"] == 3
    assert {"parameter_table_sha256", "model_sha256", "versions", "created", "convergence"} <= set(manifest)
    table = pd.read_csv(out / "indices.csv")
    assert set(table.columns) == {"method", "output", "year", "parameter", "index", "value", "conf"}
    assert set(table["year"]) == {2025, 2030}
    bad = run_module("sensitivity", "sobol", "--n", "1000", "--out", str(tmp_path / "x"), timeout=120)
    assert bad.returncode == 2 and "power of two" in bad.stderr and "Traceback" not in bad.stderr


def test_pawn_on_the_posterior_varies_only_what_the_data_leave_open(tmp_path):
    out = tmp_path / "pawn"
    ds = run_analysis(
        "pawn", posterior=True, n=512, outputs=["urbanization_rate"], years="2030", seed=3, progress=False, out=out
    )
    assert (out / "ranked_urbanization_rate.png").is_file() and "draws of the bundled posterior" in (
        out / "report.md"
    ).read_text()
    info = json.loads(ds.attrs["manifest"])
    assert info["sample"] == "posterior"
    names = list(ds.parameter.values)
    assert "rural_urban_migration_rate" in names and "training_coverage" not in names
    assert "training_coverage_historical" in names
    median = ds["median"].sel(output="urbanization_rate", year=2030).to_series()
    # on the full ranges the migration rate is the whole story (Sobol ST 1.00); the data pin it down,
    # so given the data it matters less than the town-resettlement share it trades off against
    assert median["town_resettlement_share"] > 0.1
    with pytest.raises(ValueError, match="use pawn with --posterior"):
        run_analysis("sobol", posterior=True, n=64, progress=False)
    with pytest.raises(ValueError, match="not training_coverage"):
        run_analysis("pawn", posterior=True, params="training_coverage,move_in_time", n=64, progress=False)


def test_convergence_suggests_an_n_one_can_run_and_names_the_widest_interval():
    import numpy as np
    import xarray as xr

    from sensitivity.pipeline import MAX_N_GROWTH, convergence, get_method

    method = get_method("sobol")
    coords = {"output": ["a", "b"], "year": [2030], "parameter": ["p", "q"]}
    values = np.array([[[0.5, 0.3]], [[0.4, 0.2]]])
    conf = np.full_like(values, 0.01)
    conf[1, 0, 1] = 40.0  # one interval thousands of times too wide: "try N = 67108864" before
    indices = xr.Dataset(
        {
            method.main_index: (("output", "year", "parameter"), values),
            f"{method.main_index}_conf": (("output", "year", "parameter"), conf),
        },
        coords=coords,
    )
    conv = convergence(indices, method, 256)
    assert not conv["converged"] and conv["suggestion_capped"]
    assert conv["suggested_n"] == 256 * MAX_N_GROWTH
    assert conv["widest"] == {"output": "b", "year": "2030", "parameter": "q"}
    conf[1, 0, 1] = 0.06  # 0.12 wide against 0.1: a modest step, not capped
    conv = convergence(indices, method, 256)
    assert not conv["suggestion_capped"] and conv["suggested_n"] == 512
