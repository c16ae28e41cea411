"""A translated Vensim model with its parameter table, run through PySD."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from .parameters import Parameter, ParameterError, build_parameters, in_language, read_metadata, validate_params
from .paths import METADATA_FILE, MODEL_FILE
from .translation import load_pysd, model_digest, translated_file

#: Python names of the four headline outputs.
KPIS = ("relocated_population", "employment_rate", "urbanization_rate", "equity_income_per_capita")

#: Largest final time accepted (the model is calibrated for 2016-2035).
MAX_FINAL_TIME = 2100


@dataclass(frozen=True)
class Output:
    """One output column of :func:`sd_model.run`."""

    name: str
    vensim_name: str
    units: str
    label_en: str
    label_zh: str
    description: str

    def label(self, lang: str = "en") -> str:
        """Label in ``lang`` (``"en"`` or ``"zh"``)."""
        return in_language(self, "label", lang)


class Model:
    """A Vensim model, translated once by PySD, with its parameter table.

    Parameters
    ----------
    mdl_file : str or Path, optional
        The Vensim model; default ``models/relocation.mdl``.
    metadata_file : str or Path, optional
        Names, kinds and labels of parameters and outputs; default ``models/model.toml``.

    Notes
    -----
    The PySD model object is mutable and shared by the runs of this instance, so every run passes
    the value of every parameter and the simulation controls, under a lock.
    """

    def __init__(self, mdl_file: str | Path = MODEL_FILE, metadata_file: str | Path = METADATA_FILE):
        self.mdl_file = Path(mdl_file).resolve()
        self.metadata_file = Path(metadata_file)
        self.digest = model_digest(self.mdl_file)
        self.py_file = translated_file(self.mdl_file)
        self._pysd = load_pysd(self.py_file)
        self._lock = threading.Lock()
        metadata = read_metadata(self.metadata_file)
        doc = self._pysd.doc
        constants = doc[doc["Type"] == "Constant"]
        # Read every constant's value now, before any run can change it.
        self.constants = {
            row["Real Name"]: float(getattr(self._pysd.components, row["Py Name"])()) for _, row in constants.iterrows()
        }
        self.py_names = dict(zip(doc["Real Name"], doc["Py Name"], strict=True))
        self.parameters: tuple[Parameter, ...] = build_parameters(doc, self.constants, metadata)
        self.parameter_table = {p.name: p for p in self.parameters}
        self._current = self.defaults()  # parameter values the PySD object holds
        units = dict(zip(doc["Real Name"], doc["Units"], strict=True))
        comments = dict(zip(doc["Real Name"], doc["Comment"], strict=True))
        self.outputs = tuple(
            Output(o["name"], o["vensim_name"], units[o["vensim_name"]], o["label_en"], o["label_zh"], comments[o["vensim_name"]])
            for o in metadata["outputs"]
        )
        self.control = {
            "initial_time": self.constants["INITIAL TIME"],
            "final_time": self.constants["FINAL TIME"],
            "time_step": self.constants["TIME STEP"],
            "saveper": self.constants["SAVEPER"],
        }

    @cached_property
    def output_names(self) -> tuple[str, ...]:
        """Python names of the output columns, in order."""
        return tuple(o.name for o in self.outputs)

    def defaults(self) -> dict[str, float]:
        """Default value of every parameter."""
        return {p.name: p.default for p in self.parameters}

    def validate(self, params=None, *, where: str = "") -> dict[str, float]:
        """Validate ``params`` (see :func:`sd_model.parameters.validate_params`)."""
        return validate_params(params, self.parameter_table, where=where)

    def check_controls(self, final_time=None, time_step=None) -> tuple[float, float]:
        """Return (final_time, time_step), defaults filled in, or raise ``ValueError``."""
        initial = self.control["initial_time"]
        final_time = self.control["final_time"] if final_time is None else final_time
        time_step = self.control["time_step"] if time_step is None else time_step
        for name, value in (("final_time", final_time), ("time_step", time_step)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
                raise ParameterError(f"{name} must be a number, got {value!r}")
        if not (float(final_time).is_integer() and initial < final_time <= MAX_FINAL_TIME):
            raise ParameterError(f"final_time must be a whole year in ({initial:g}, {MAX_FINAL_TIME}], got {final_time!r}")
        steps_per_year = 1 / time_step if time_step > 0 else math.inf
        if not (0 < time_step <= 1 and abs(steps_per_year - round(steps_per_year)) < 1e-9):
            raise ParameterError(f"time_step must be 1/k year for a whole k >= 1 (e.g. 0.0625), got {time_step!r}")
        return float(final_time), float(time_step)

    def run(self, params=None, *, final_time=None, time_step=None) -> pd.DataFrame:
        """Simulate the model once.

        PySD translates the model and computes the initial state; the time steps run in code
        generated from PySD's translation (:mod:`sd_model.codegen`), which gives the same numbers
        as PySD's own loop (:meth:`run_pysd`, checked by the tests) about ten times faster.

        Parameters
        ----------
        params : mapping, optional
            Parameter name to value; parameters not given keep their defaults.
        final_time : int, optional
            Last year simulated (default: the model's FINAL TIME, 2035).
        time_step : float, optional
            Euler time step in years, 1/k for a whole k (default: the model's TIME STEP).

        Returns
        -------
        pandas.DataFrame
            One row per year (index ``year``, int), one column per output.

        Raises
        ------
        ValueError
            For an unknown parameter, a non-number, NaN, a value out of bounds or bad controls.
        """
        from .batch import engine_for

        values = self.validate(params)
        final_time, time_step = self.check_controls(final_time, time_step)
        result = engine_for(self).simulate(1, values, self.output_names, final_time, time_step)
        frame = pd.DataFrame(
            {name: result[name][0] for name in self.output_names}, index=pd.Index(self.years(final_time), name="year")
        )
        return frame

    def years(self, final_time: float) -> np.ndarray:
        """The saved years of a run to ``final_time``: INITIAL TIME to it, every SAVEPER."""
        return np.arange(round(self.control["initial_time"]), round(final_time) + 1, round(self.control["saveper"]))

    def run_pysd(self, params=None, *, final_time=None, time_step=None) -> pd.DataFrame:
        """Like :meth:`run`, but stepped by PySD's own ``Model.run`` (slower; the reference)."""
        columns = [o.vensim_name for o in self.outputs]
        frame = self.simulate(params, variables=columns, final_time=final_time, time_step=time_step)
        frame.columns = list(self.output_names)
        frame.index = pd.Index(frame.index.to_numpy().round().astype(int), name="year")
        return frame

    def simulate(self, params=None, *, variables, final_time=None, time_step=None, saveper=None) -> pd.DataFrame:
        """Run PySD and return any model variables by their Vensim names.

        Like :meth:`run`, but for modellers who need variables other than the outputs, or output
        at every time step (``saveper=time_step``). The index is PySD's float time.
        """
        values = self.defaults() | self.validate(params)
        final_time, time_step = self.check_controls(final_time, time_step)
        saveper = self.control["saveper"] if saveper is None else saveper
        unknown = [v for v in variables if v not in self.py_names]
        if unknown:
            raise ValueError(f"unknown model variable {unknown[0]!r}")
        with self._lock:
            # Hand PySD only the values that differ from what its model object holds now: every
            # parameter is tracked, so nothing leaks between runs, and PySD skips re-wiring its
            # caches (about half the cost of a run) when nothing changed.
            changed = {n: v for n, v in values.items() if self._current[n] != v}
            self._current.update(changed)
            frame = self._pysd.run(
                params={self.py_names[self.parameter_table[n].vensim_name]: v for n, v in changed.items()},
                return_columns=list(variables),
                final_time=final_time,
                time_step=time_step,
                saveper=saveper,
                progress=False,
            )
        return frame[list(variables)].astype(float)
