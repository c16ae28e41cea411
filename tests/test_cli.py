"""The command line, end to end in a subprocess."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

import sd_model
from sd_model.paths import ROOT

from .commands import run_module


def cli(*args, package="sd_model"):
    return run_module(package, *args, timeout=120)


def test_params_lists_every_parameter():
    done = cli("params", "--format", "csv")
    assert done.returncode == 0, done.stderr
    names = [line.split(",")[0] for line in done.stdout.splitlines()[1:]]
    assert names == [p.name for p in sd_model.parameters()]


def test_run_scenario_with_set_to_csv(tmp_path):
    out = tmp_path / "results.csv"
    done = cli("run", "--scenario", "livelihood_first", "--set", "dividend_rate=0.07", "--out", str(out))
    assert done.returncode == 0, done.stderr
    written = pd.read_csv(out, index_col="year")
    params = sd_model.load_scenario("livelihood_first").parameters | {"dividend_rate": 0.07}
    expected = sd_model.run(params)
    pd.testing.assert_frame_equal(written, expected, check_exact=False, rtol=1e-12, check_names=False)


def test_run_to_stdout():
    done = cli("run", "--outputs", "employment_rate,urbanization_rate", "--final-time", "2020")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "year,employment_rate,urbanization_rate"
    assert len(lines) == 1 + 6


def test_bad_input_gives_message_not_traceback():
    for args, message in [
        (("run", "--set", "dividend_rat=0.05"), "unknown parameter 'dividend_rat'"),
        (("run", "--set", "dividend_rate=0.5"), "'dividend_rate' = 0.5 is out of bounds"),
        (("run", "--set", "dividend_rate=abc"), "'abc' is not a number"),
        (("run", "--set", "dividend_rate"), "expects name=value"),
        (("run", "--scenario", "nope"), "unknown scenario 'nope'"),
        (("run", "--outputs", "jobs"), "unknown output 'jobs'"),
        (("calibration", "--out", "x"), "--out and --bundle go with --posterior"),
        (("calibration", "--posterior"), "give one of --out DIR and --bundle"),
        (
            ("calibration", "--posterior", "--runs", "1", "--out", "/tmp/sd_model_cli_runs"),
            "runs must be a whole number of at least 2",
        ),
        (("sd_model", "run", "--metadata", "models/model.toml"), "--metadata goes with --mdl"),
        (("robustness", "--targets", "models/nope.toml", "--n", "10"), "models/nope.toml: cannot read"),
        (
            ("robustness", "optimize", "--mdl", "tests/models/smooth.mdl", "--prior", "--n", "10"),
            "name the cost output",
        ),
    ]:
        package, *args = args if args[0] in ("sd_model", "calibration", "robustness") else ("sd_model", *args)
        done = cli(*args, package=package)
        assert done.returncode == 2, args
        assert message in done.stderr, done.stderr
        assert "Traceback" not in done.stderr


def test_unwritable_outputs_give_one_line_before_any_work(tmp_path):
    samples = tmp_path / "samples.csv"
    pd.DataFrame({"dividend_rate": [0.05]}).to_csv(samples, index=False)
    (tmp_path / "folder.csv").mkdir()
    for command, message in [
        (["sd_model", "run", "--out", "/nonexistent/dir/x.csv"], "folder /nonexistent/dir does not exist"),
        (["sd_model", "run", "--out", str(tmp_path / "folder.csv")], "it is a folder"),
        (["sd_model", "batch", "--samples", str(samples), "--out", "/proc/x.nc"], "cannot write /proc/x.nc"),
        (["sensitivity", "sobol", "--n", "8", "--out", "/proc/x"], "cannot create folder /proc/x"),
        (["sensitivity", "bundle", "--out", "/proc/x"], "cannot create folder /proc/x"),
        (["calibration", "--posterior", "--out", "/proc/x"], "cannot create folder /proc/x"),
    ]:
        done = run_module(*command, timeout=120)
        assert done.returncode == 2, (command, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0] and lines[0].startswith("error: "), (command, done.stderr)


def test_calibrate_posterior_writes_draws_report_and_charts_and_says_when_not_converged(tmp_path):
    """A deliberately small calibration (150 particles, 2 runs): every file is written, and the run
    says plainly that 300 draws cannot reach the effective sample size required, with exit status 1."""
    import json

    out = tmp_path / "posterior"
    done = run_module(
        "calibration",
        "--posterior",
        "--particles",
        "150",
        "--runs",
        "2",
        "--workers",
        "2",
        "--final-steps",
        "5",
        "--out",
        str(out),
        timeout=300,
    )
    assert "Traceback" not in done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["converged"] is False and done.returncode == 1
    assert "NOT CONVERGED" in done.stderr and "--particles" in done.stderr
    for name in (
        "posterior.nc",
        "report.md",
        "predictive.csv",
        "parameters.csv",
        "correlations.csv",
        "diagnostics.csv",
        "predictive.png",
        "predictive.html",
        "parameters.png",
        "parameters.html",
    ):
        assert (out / name).is_file(), name
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "**NOT CONVERGED" in report and "| holdout |" in report
    from calibration.posterior import arviz

    idata = arviz().from_netcdf(str(out / "posterior.nc"))
    assert idata.posterior.sizes["chain"] == 2 and idata.posterior.sizes["draw"] == 150
    assert "rural_urban_migration_rate" in idata.posterior.data_vars


def test_run_and_batch_on_another_model(tmp_path):
    """--mdl: a modeller's own model, its constants as parameters (one per element), by PySD's names."""
    mdl = "tests/models/ten_counties.mdl"
    done = cli(
        "run",
        "--mdl",
        mdl,
        "--set",
        "hiring_rate=0.5",
        "--set",
        "training_coverage[c3]=0.9",
        "--outputs",
        "employed[c3]",
    )
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(io.StringIO(done.stdout), index_col="time")
    model = sd_model.Model(ROOT / mdl)
    expected = model.run({"hiring_rate": 0.5, "training_coverage[c3]": 0.9})["employed[c3]"]
    np.testing.assert_allclose(frame["employed[c3]"].to_numpy(), expected.to_numpy(), rtol=1e-12)
    samples = tmp_path / "samples.csv"
    samples.write_text("hiring_rate,training_coverage[c1]\n0.2,0.1\n0.4,0.9\n")
    out = tmp_path / "results.nc"
    done = cli("batch", "--mdl", mdl, "--samples", str(samples), "--outputs", "total_employed", "--out", str(out))
    assert done.returncode == 0 and "2 runs x 21 saved times" in done.stderr, done.stderr
    bad = cli("run", "--mdl", mdl, "--set", "hiring_rate=5")
    assert bad.returncode == 2 and "'hiring_rate' = 5 is out of bounds" in bad.stderr and "Traceback" not in bad.stderr
    bad = cli("run", "--mdl", mdl, "--scenario", "livelihood_first")
    assert bad.returncode == 2 and "unknown scenario 'livelihood_first'; no scenarios in" in bad.stderr


def test_check_says_equal_or_refused():
    done = cli("check", "--mdl", "tests/models/ten_counties.mdl", "tests/models/time_step_expression.mdl")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("equal") and "subscripted" in lines[0] and "62 columns" in lines[0]
    assert lines[1].startswith("refused") and "TIME STEP changes with Time" in lines[2]
