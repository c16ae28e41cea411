"""Regression data, as PySD keeps its canonical outputs: every variable of every named scenario.

``python -m tests.regression`` (or ``make regression-data``) runs the baseline, every named scenario
and the stress cases below with PySD's own loop and writes ``tests/data/CASE.csv``: one row per saved
year, one column per model variable (every stock, flow, auxiliary and output, by its Vensim name;
other constants are the case's inputs). ``tests/test_regression.py`` compares each run with these
files at :data:`RTOL`. Regenerate them only after a deliberate change of the model, and say in the
commit message which outputs moved and why.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

import sd_model

DATA_DIR = Path(__file__).resolve().parent / "data"
RTOL = 1e-9
#: below this magnitude two values are equal whatever their ratio (values that should be zero)
ATOL = 1e-12


#: Cases beside the named scenarios that exercise structure the scenarios leave idle: an outside-demand
#: shock and subsidised jobs withdrawn at once (layoffs), a relocation target raised after the
#: programme (registration).
STRESS_CASES = {
    "stress_shock_and_new_target": {
        "outside_demand_shock_depth": 0.4,
        "outside_demand_shock_year": 2028,
        "second_relocation_round": 50_000,
        "support_floor": 0.0,
        "support_taper_time": 1,
        "support_dependence_of_industry_jobs": 0.8,
    },
    "stress_shock_in_the_default_year": {"outside_demand_shock_depth": 0.3},
}


def cases() -> dict[str, dict[str, float]]:
    """Name to parameters of every regression case: the named scenarios, then the stress cases."""
    return {name: dict(sd_model.load_scenario(name).parameters) for name in sd_model.scenario_names()} | STRESS_CASES


def variables(model: sd_model.Model) -> list[str]:
    """Vensim names of every stock, flow and auxiliary of ``model`` and every output (constants,
    lookups and Time aside, unless an output)."""
    doc = model.engine.doc
    kinds = zip(doc["Real Name"], doc["Type"], strict=True)
    computed = {name for name, kind in kinds if kind in ("Auxiliary", "Stateful") and name != "Time"}
    return sorted(computed | {o.vensim_name for o in model.outputs})


def case_run(model: sd_model.Model, params) -> pd.DataFrame:
    """Every variable of a run with PySD's loop, index ``year``."""
    frame = model.run_variables(params, variables=variables(model))
    frame.index = pd.Index(frame.index.to_numpy().round().astype(int), name="year")
    return frame


def data_file(name: str) -> Path:
    return DATA_DIR / f"{name}.csv"


def read_reference(name: str) -> pd.DataFrame:
    """The regression data of scenario ``name``."""
    return pd.read_csv(data_file(name), index_col="year")


def differences(frame: pd.DataFrame, reference: pd.DataFrame) -> list[str]:
    """What differs beyond :data:`RTOL`: missing or extra variables or years, and each variable off,
    with its worst year and relative difference. Empty when the run matches its reference."""
    problems = []
    if list(frame.index) != list(reference.index):
        problems.append(f"years {list(frame.index)} != {list(reference.index)}")
        return problems
    for name in sorted(set(reference.columns) ^ set(frame.columns)):
        problems.append(f"{name}: {'missing from the run' if name in reference.columns else 'not in the data'}")
    for name in sorted(set(reference.columns) & set(frame.columns)):
        got, want = frame[name].to_numpy(dtype=float), reference[name].to_numpy(dtype=float)
        if not np.array_equal(np.isnan(got), np.isnan(want)):  # missing (nobody at the sites) in one only
            problems.append(
                f"{name}: missing in {list(frame.index[np.isnan(got) != np.isnan(want)])} in one of run and data"
            )
            continue
        got, want = np.nan_to_num(got), np.nan_to_num(want)
        error = np.abs(got - want)
        allowed = RTOL * np.abs(want) + ATOL
        if not np.all(error <= allowed):
            worst = int(np.argmax(error - allowed))
            relative = error[worst] / max(abs(want[worst]), ATOL)
            problems.append(
                f"{name}: {got[worst]!r} vs {want[worst]!r} in {frame.index[worst]} (relative {relative:.3g})"
            )
    return problems


def write_all() -> list[Path]:
    """Write the regression data of every case."""
    model = sd_model.default_model()
    DATA_DIR.mkdir(exist_ok=True)
    written = []
    for name, params in cases().items():
        path = data_file(name)
        case_run(model, params).to_csv(path, float_format="%.17g")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_all():
        print(f"wrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    sys.exit(0)
