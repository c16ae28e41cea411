"""One :class:`sd_model.model.ModelSpec` behind every model: a metadata file or none, years or days.

A tank drains at ``Water / drain time``; the same ``.mdl`` is loaded without metadata (every constant
a parameter, every variable an output) and with a small metadata file, which must give the same
numbers; in days (``time`` axis, any time step that divides SAVEPER) and in years (``time_axis =
"year"``: whole years). After loading, nothing asks whether a metadata file exists.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import sd_model
from sd_model.model import TIME, YEAR, Model, ModelSpec
from sd_model.parameters import ParameterError

pytestmark = pytest.mark.xdist_group("model_spec")

PARAMS = {"drain_time": 2.5, "initial_water": 40.0}


def tank_mdl(units: str, initial: float, final: float, saveper: float, time_step: float) -> str:
    """A stock draining at ``Water / drain time``, its time in ``units``."""
    variables = [
        ("Water", "INTEG (-outflow, initial water)", "litre", "Water in the tank."),
        ("outflow", "Water / drain time", f"litre/{units}", "What drains."),
        ("initial water", "100", "litre [0,1000]", "Water at the start."),
        ("drain time", "4", f"{units} [1,10]", "Time to drain at the first rate."),
    ]
    controls = [
        ("FINAL TIME", final, units),
        ("INITIAL TIME", initial, units),
        ("SAVEPER", saveper, f"{units} [0,?]"),
        ("TIME STEP", time_step, f"{units} [0,?]"),
    ]
    text = ["{UTF-8}"]
    text += [f"{name}=\n\t{equation}\n\t~\t{unit}\n\t~\t{note}\n\t|\n" for name, equation, unit, note in variables]
    text.append("*" * 56 + "\n\t.Control\n" + "*" * 56 + "~\n\t\tSimulation Control Parameters\n\t|\n")
    text += [f"{name}  = {value}\n\t~\t{unit}\n\t~\t{name}.\n\t|\n" for name, value, unit in controls]
    return "\n".join(text)


def tank_metadata(units: str, top: str = "") -> str:
    """A metadata file for :func:`tank_mdl`: its two constants and two variables, by the generic names."""
    parameters = "".join(
        f'[[parameters]]\nname = "{name}"\nvensim_name = "{real}"\nkind = "uncertainty"\ntheme = "assumptions"\n'
        f'label_en = "{real}"\nlabel_zh = "{real}"\n\n'
        for name, real in (("initial_water", "initial water"), ("drain_time", "drain time"))
    )
    outputs = "".join(
        f'[[outputs]]\nname = "{name}"\nvensim_name = "{real}"\nlabel_en = "{real}"\nlabel_zh = "{real}"\n\n'
        for name, real in (("water", "Water"), ("outflow", "outflow"))
    )
    units_zh = f'[units_zh]\nlitre = "升"\n{units} = "{units}"\n"litre/{units}" = "升/{units}"\n\n'
    return f"{top}\n{parameters}{units_zh}{outputs}"


@pytest.fixture(scope="module")
def tanks(tmp_path_factory):
    """(folder, days .mdl, days metadata, years .mdl, years metadata), translated into a private cache."""
    folder = tmp_path_factory.mktemp("tanks")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SD_MODEL_CACHE", str(folder / "cache"))
        days, years = folder / "days" / "tank.mdl", folder / "years" / "tank.mdl"
        for path, text in ((days, tank_mdl("Day", 0, 10, 0.5, 0.25)), (years, tank_mdl("Year", 2020, 2030, 1, 0.25))):
            path.parent.mkdir()
            path.write_text(text, encoding="utf-8")
        (days.parent / "tank.toml").write_text(tank_metadata("Day"), encoding="utf-8")
        (years.parent / "tank.toml").write_text(tank_metadata("Year", 'time_axis = "year"'), encoding="utf-8")
        yield folder, days, days.parent / "tank.toml", years, years.parent / "tank.toml"


def test_with_and_without_metadata_the_same_numbers(tanks):
    _, days, metadata, _, _ = tanks
    generic, described = sd_model.load_model(days), sd_model.load_model(days, metadata)
    assert generic.metadata_file is None and described.metadata_file == metadata
    outputs = list(described.output_names)
    assert set(outputs) <= set(generic.output_names)
    labelled = {"kind": "uncertainty", "theme": "assumptions"}  # as the file has them
    assert described.parameter_table == {
        name: dataclasses.replace(p, **labelled, units_zh=described.parameter_table[name].units_zh)
        for name, p in generic.parameter_table.items()
    }  # the same constants, defaults, bounds, units and descriptions
    for params in (None, PARAMS):
        pd.testing.assert_frame_equal(described.run(params), generic.run(params)[outputs], check_exact=True)
        pd.testing.assert_frame_equal(described.run_pysd(params), generic.run_pysd(params)[outputs], check_exact=True)
    samples = pd.DataFrame({"drain_time": [1.0, 4.0, 9.5], "initial_water": [0.0, 100.0, 1000.0]})
    xr.testing.assert_identical(
        sd_model.run_batch(samples, model=described, final_time=8, time_step=0.125),
        sd_model.run_batch(samples, model=generic, outputs=outputs, final_time=8, time_step=0.125),
    )


def test_a_metadata_model_in_days_runs_on_the_time_axis(tanks):
    _, days, metadata, _, _ = tanks
    model = sd_model.load_model(days, metadata)
    assert model.spec.time_axis == TIME and model.time_name == "time"
    assert model.headline_year == 10  # FINAL TIME, when the file names none
    frame = model.run({"drain_time": 4.0}, final_time=7.5, time_step=0.125)  # no whole year, a step of 1/8 day
    assert frame.index.name == "time"
    np.testing.assert_array_equal(frame.index, np.arange(0, 7.75, 0.5))
    assert frame["water"].iloc[-1] == pytest.approx(100 * (1 - 0.125 / 4) ** 60, rel=1e-12)  # Euler, 60 steps
    reference = model.run_pysd({"drain_time": 4.0}, final_time=7.5, time_step=0.125)
    pd.testing.assert_frame_equal(frame, reference, rtol=1e-12)
    batch = sd_model.run_batch(pd.DataFrame({"drain_time": [2.0, 3.0]}), model=model, final_time=7.5, time_step=0.125)
    assert batch["water"].dims == ("run", "time") and batch.sizes["time"] == 16
    with pytest.raises(ParameterError, match=r"^SAVEPER \(0.5\) must be a whole number of time steps \(0.3\)$"):
        model.run(time_step=0.3)


def test_a_metadata_model_in_years_runs_on_whole_years(tanks):
    _, _, _, years, metadata = tanks
    model = sd_model.load_model(years, metadata)
    assert model.spec.time_axis == YEAR
    frame = model.run(PARAMS, final_time=2026, time_step=0.125)
    assert frame.index.name == "year" and frame.index.dtype == np.int64
    assert list(frame.index) == list(range(2020, 2027))
    pd.testing.assert_frame_equal(frame, model.run_pysd(PARAMS, final_time=2026, time_step=0.125), rtol=1e-12)
    with pytest.raises(ParameterError, match=r"^final_time must be a whole year in \(2020, 2100\], got 2025.5$"):
        model.run(final_time=2025.5)


def test_the_time_axis_of_a_metadata_file_is_checked(tanks):
    folder, days, _, _, _ = tanks
    month = folder / "month.toml"
    month.write_text(tank_metadata("Day", 'time_axis = "month"'), encoding="utf-8")
    with pytest.raises(ValueError, match=r"month.toml: time_axis must be one of 'year', 'time', got 'month'$"):
        Model(days, month)
    year = folder / "year.toml"
    year.write_text(tank_metadata("Day", 'time_axis = "year"'), encoding="utf-8")  # SAVEPER 0.5: no whole years
    message = r"year.toml: time_axis 'year' needs a whole INITIAL TIME and SAVEPER, got 0 and 0.5$"
    with pytest.raises(ValueError, match=message):
        Model(days, year)


def _behaviour(model: Model) -> tuple:
    """What a model does: its axis, default outputs, controls, runs (engine and PySD) and saved times."""
    return (
        model.time_name,
        model.default_outputs,
        model.check_controls(),
        model.times(),
        model.run(PARAMS),
        model.run_pysd(PARAMS),
    )


def _assert_same(got: tuple, want: tuple) -> None:
    for a, b in zip(got, want, strict=True):
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b, check_exact=True)
        else:
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("files", ["days", "years"])
def test_no_method_asks_whether_there_is_a_metadata_file(tanks, files):
    """The spec decides: dropping or adding a metadata file after loading changes nothing; another
    spec changes the axis."""
    _, days, days_metadata, years, years_metadata = tanks
    mdl, metadata = (days, days_metadata) if files == "days" else (years, years_metadata)
    assert not hasattr(Model, "has_metadata")
    for model, other in ((Model(mdl, metadata), None), (Model(mdl), metadata)):
        want = _behaviour(model)
        model.metadata_file = other
        _assert_same(_behaviour(model), want)
    model = Model(mdl, metadata)
    axis = TIME if files == "years" else dataclasses.replace(TIME, name="day")
    model.spec = dataclasses.replace(model.spec, time_axis=axis)
    assert model.run().index.name == axis.name
    assert isinstance(Model(mdl).spec, ModelSpec) and Model(mdl).spec.time_axis == TIME
