"""A Vensim model with its parameter table: validation, runs, and the one cache of loaded models."""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from .engine import Engine
from .engine.translation import model_digest, translated_file
from .parameters import (
    Parameter,
    ParameterError,
    build_parameters,
    in_language,
    read_metadata,
    unknown_name_message,
    validate_params,
)
from .paths import METADATA_FILE, MODEL_FILE


def _headline_outputs(metadata_file: Path = METADATA_FILE) -> tuple[str, ...]:
    """The ``kpis`` of a metadata file (``models/model.toml``): the headline outputs, in order."""
    return tuple(read_metadata(metadata_file).get("kpis", ()))


#: The project model's headline outputs, declared in ``models/model.toml`` (``kpis``).
KPIS = _headline_outputs()

#: Largest final time accepted (the model is calibrated for 2016-2035).
MAX_FINAL_TIME = 2100
#: Most Euler steps a run may take: 3,000 times the default model's 320, so a mistyped time step
#: (1e-7 would be 200 million steps, hours without a word) is refused in one line, not run.
MAX_STEPS = 1_000_000


@dataclass(frozen=True)
class Output:
    """One output column of :func:`sd_model.run`."""

    name: str
    vensim_name: str
    units: str
    label_en: str
    label_zh: str
    description: str
    units_zh: str = ""
    per_person: bool = False
    short_en: str = ""
    short_zh: str = ""

    def label(self, lang: str = "en") -> str:
        """Label in ``lang`` (``"en"`` or ``"zh"``)."""
        return in_language(self, "label", lang)

    def short(self, lang: str = "en") -> str:
        """A label short enough for a card title (``short_en``/``short_zh``), else the label."""
        return in_language(self, "short", lang) or self.label(lang)

    def units_label(self, lang: str = "en") -> str:
        """Units as shown in ``lang``."""
        return self.units_zh if lang == "zh" else self.units  # (units carry no _en suffix)


class Model:
    """A Vensim model, translated once by PySD, with its parameter table and its engine.

    Parameters
    ----------
    mdl_file : str or Path, optional
        The Vensim model; default ``models/relocation.mdl``.
    metadata_file : str or Path, optional
        Names, kinds and labels of parameters and outputs. Default: ``models/model.toml`` for
        ``models/relocation.mdl``; for any other model none, and then every constant is a parameter
        (bounds from the ``.mdl``'s ``[low,high]`` range, else unbounded; a subscripted constant is
        one parameter per element, ``name[element]``) and every stock, flow and auxiliary is an
        output, named by PySD's Python names (``name[element,element]`` per element, as PySD's
        ``run`` flattens them), over a ``time`` axis.

    Notes
    -----
    Use :func:`load_model` (or :func:`sd_model.default_model`) to share one loaded model per process.
    """

    def __init__(self, mdl_file: str | Path = MODEL_FILE, metadata_file: str | Path | None = None):
        self.mdl_file = Path(mdl_file).resolve()
        if metadata_file is None and self.mdl_file == Path(MODEL_FILE).resolve():
            metadata_file = METADATA_FILE
        self.metadata_file = Path(metadata_file).resolve() if metadata_file is not None else None
        self.digest = model_digest(self.mdl_file)
        self.py_file = translated_file(self.mdl_file)
        if self.metadata_file is None:
            self._init_generic()
            return
        metadata = read_metadata(self.metadata_file)
        self.engine = Engine(self.py_file, outputs=[o["vensim_name"] for o in metadata["outputs"]])
        doc = self.engine.doc
        self.constants = self.engine.constants
        self.py_names = self.engine.py_names
        self.control = self.engine.control
        self.headline_year = int(metadata.get("headline_year", self.control["final_time"]))
        if self.headline_year not in self.years():
            raise ValueError(f"{self.metadata_file}: headline_year {self.headline_year} is not a saved year of the model")
        self.parameters: tuple[Parameter, ...] = build_parameters(doc, self.constants, metadata)
        self.parameter_table = {p.name: p for p in self.parameters}
        #: the headline outputs (``kpis`` of the metadata), in order
        self.kpis = tuple(metadata.get("kpis", ()))
        self._elements = {}
        units = dict(zip(doc["Real Name"], doc["Units"], strict=True))
        comments = dict(zip(doc["Real Name"], doc["Comment"], strict=True))
        units_zh = metadata.get("units_zh", {})
        missing = sorted({units[o["vensim_name"]] for o in metadata["outputs"]} - set(units_zh))
        if missing:
            raise ValueError(f"{self.metadata_file}: [units_zh] has no Chinese form of {missing[0]!r}")
        self.outputs = tuple(
            Output(o["name"], o["vensim_name"], units[o["vensim_name"]], o["label_en"], o["label_zh"], comments[o["vensim_name"]],
                   units_zh[units[o["vensim_name"]]], bool(o.get("per_person", False)), o.get("short_en", ""),
                   o.get("short_zh", ""))
            for o in metadata["outputs"]
        )  # fmt: skip
        #: the output whose rows with nobody (under one person) leave the per-person outputs missing
        self.population_output = metadata.get("population_output")
        if self.population_output is not None and self.population_output not in {o.name for o in self.outputs}:
            raise ValueError(f"{self.metadata_file}: population_output {self.population_output!r} is not an output")
        unknown = [k for k in self.kpis if k not in {o.name for o in self.outputs}]
        if unknown:
            raise ValueError(f"{self.metadata_file}: kpis names {unknown[0]!r}, which is not an output")

    def _init_generic(self) -> None:
        """Parameters and outputs of a model without metadata: every constant, every variable."""
        from .generic import generic_parameters

        self.engine = Engine(self.py_file)
        self.constants = self.engine.constants
        self.py_names = self.engine.py_names
        self.control = self.engine.control
        self.headline_year = None
        self.kpis = ()
        self.population_output = None
        self.parameters, self._elements = generic_parameters(self.engine)
        self.parameter_table = {p.name: p for p in self.parameters}
        doc = self.engine.doc.set_index("Real Name")
        self.outputs = tuple(
            Output(py_column, real, doc.at[real, "Units"] or "", column, column, doc.at[real, "Comment"] or "")
            for (real, _, _), py_column, column in zip(self.engine.column_parts, self.engine.py_columns, self.engine.columns, strict=True)
        )  # fmt: skip

    @property
    def has_metadata(self) -> bool:
        """True for a model with a metadata file (whole-year ``year`` axis, headline outputs)."""
        return self.metadata_file is not None

    @property
    def default_outputs(self) -> tuple[str, ...]:
        """Outputs of :func:`sd_model.run_batch` when none are named: the KPIs, or every output of a
        model without metadata."""
        return (self.kpis or self.output_names) if self.has_metadata else self.output_names

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

    def check_outputs(self, outputs) -> list[str]:
        """``outputs`` as a list of output names; ``ValueError`` naming the first unknown one."""
        outputs = list(outputs)
        for name in outputs:
            if name not in self.output_names:
                raise ValueError(unknown_name_message(name, self.output_names, what="output"))
        return outputs

    def check_controls(self, final_time=None, time_step=None) -> tuple[float, float]:
        """Return (final_time, time_step), defaults filled in, or raise ``ValueError``."""
        initial = self.control["initial_time"]
        final_time = self.control["final_time"] if final_time is None else final_time
        time_step = self.control["time_step"] if time_step is None else time_step
        for name, value in (("final_time", final_time), ("time_step", time_step)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ParameterError(f"{name} must be a finite number, got {value!r}")
        if time_step > 0 and (final_time - initial) / time_step > MAX_STEPS:
            raise ParameterError(
                f"time_step {time_step:g} makes {(final_time - initial) / time_step:,.0f} steps from {initial:g} to "
                f"{final_time:g}; a run may take at most {MAX_STEPS:,} (time_step >= {(final_time - initial) / MAX_STEPS:.3g})"
            )
        if not self.has_metadata:
            return self._check_generic_controls(float(final_time), float(time_step))
        if not (float(final_time).is_integer() and initial < final_time <= MAX_FINAL_TIME):
            raise ParameterError(f"final_time must be a whole year in ({initial:g}, {MAX_FINAL_TIME}], got {final_time!r}")
        steps_per_year = 1 / time_step if time_step > 0 else math.inf
        if not (0 < time_step <= 1 and abs(steps_per_year - round(steps_per_year)) < 1e-9):
            raise ParameterError(f"time_step must be 1/k year for a whole k >= 1 (e.g. 0.0625), got {time_step!r}")
        return float(final_time), float(time_step)

    def _check_generic_controls(self, final_time: float, time_step: float) -> tuple[float, float]:
        """Controls of a model without metadata: any time axis whose saves fall on whole time steps."""
        initial, saveper = self.control["initial_time"], self.control["saveper"]
        if not final_time > initial:
            raise ParameterError(f"final_time must be after INITIAL TIME {initial:g}, got {final_time:g}")
        if not time_step > 0:
            raise ParameterError(f"time_step must be positive, got {time_step:g}")
        for what, span in (("SAVEPER", saveper), ("final_time - INITIAL TIME", final_time - initial)):
            if abs(span / time_step - round(span / time_step)) > 1e-9 or round(span / time_step) < 1:
                raise ParameterError(f"{what} ({span:g}) must be a whole number of time steps ({time_step:g})")
        return final_time, time_step

    def times(self, final_time: float | None = None, time_step: float | None = None) -> np.ndarray:
        """The saved times of a run: INITIAL TIME to ``final_time``, every SAVEPER (whole years with metadata)."""
        if self.has_metadata:
            return self.years(final_time)
        final_time, time_step = self.check_controls(final_time, time_step)
        rows = self.engine.saves(final_time, time_step)[2]
        return self.control["initial_time"] + np.arange(rows) * self.control["saveper"]

    @property
    def time_name(self) -> str:
        """Name of the time axis of results: ``year`` (with metadata) or ``time``."""
        return "year" if self.has_metadata else "time"

    def years(self, final_time: float | None = None) -> np.ndarray:
        """The saved years of a run to ``final_time`` (default FINAL TIME): INITIAL TIME to it, every SAVEPER."""
        final_time = self.control["final_time"] if final_time is None else final_time
        return np.arange(round(self.control["initial_time"]), round(final_time) + 1, round(self.control["saveper"]))

    def evaluate(
        self, n: int, columns: dict, outputs: Sequence[str], final_time: float, time_step: float
    ) -> dict[str, np.ndarray]:
        """Run ``n`` checked parameter sets with the engine's generated loop.

        Parameters
        ----------
        n : int
            Number of runs.
        columns : dict
            Parameter name to array of shape ``(n,)`` or to a float; other parameters keep their defaults.
        outputs : sequence of str
            Output names.
        final_time, time_step : float
            Checked simulation controls.

        Returns
        -------
        dict
            Output name to array of shape ``(n, years)``.
        """
        if self.has_metadata:
            values = {self.py_names[self.parameter_table[name].vensim_name]: value for name, value in columns.items()}
        else:
            from .generic import element_values

            values = element_values(self.engine, self._elements, columns, n)
        result = self.engine.run(n, values, final_time, time_step)
        index = {name: i for i, name in enumerate(self.output_names)}
        values = {name: result[index[name]].copy() for name in outputs}  # copies: let the rest go
        if self.population_output is not None:
            self.mask_nobody(values, result[index[self.population_output]])
        return values

    def mask_nobody(self, values: dict, population: np.ndarray) -> None:
        """Set the per-person outputs in ``values`` (name -> array) to NaN where ``population`` is under one
        person: an income or a share of nobody is missing, not a number."""
        nobody = population < 1.0
        if nobody.any():
            for o in self.outputs:
                if o.per_person and o.name in values:
                    values[o.name][nobody] = np.nan

    def run(self, params=None, *, final_time=None, time_step=None) -> pd.DataFrame:
        """Simulate the model once.

        PySD translates the model and computes the initial state; the time steps run in code
        generated from PySD's translation (:mod:`sd_model.engine.codegen`), which gives the same numbers
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
        values = self.validate(params)
        final_time, time_step = self.check_controls(final_time, time_step)
        result = self.evaluate(1, values, self.output_names, final_time, time_step)
        index = pd.Index(self.times(final_time, time_step), name=self.time_name)
        return pd.DataFrame({name: result[name][0] for name in self.output_names}, index=index)

    def run_pysd(self, params=None, *, final_time=None, time_step=None) -> pd.DataFrame:
        """Like :meth:`run`, but stepped by PySD's own ``Model.run`` (slower; the reference)."""
        columns = list(self.engine.columns) if not self.has_metadata else [o.vensim_name for o in self.outputs]
        frame = self.run_variables(params, variables=columns, final_time=final_time, time_step=time_step)
        frame.columns = list(self.output_names)
        if self.has_metadata:
            frame.index = pd.Index(frame.index.to_numpy().round().astype(int), name="year")
            if self.population_output is not None:
                values = {name: frame[name].to_numpy().copy() for name in frame.columns}
                self.mask_nobody(values, frame[self.population_output].to_numpy())
                frame = pd.DataFrame(values, index=frame.index)
        else:
            frame.index.name = "time"
        return frame

    def run_variables(self, params=None, *, variables, final_time=None, time_step=None, saveper=None) -> pd.DataFrame:
        """Run PySD's own loop and return any model variables by their Vensim names.

        Like :meth:`run_pysd`, but for modellers who need variables other than the outputs, or output
        at every time step (``saveper=time_step``). The index is PySD's float time.
        """
        values = self.validate(params)
        final_time, time_step = self.check_controls(final_time, time_step)
        saveper = self.control["saveper"] if saveper is None else saveper
        variables = list(variables)
        for name in variables:
            if name.split("[")[0] not in self.py_names:
                raise ValueError(unknown_name_message(name, self.py_names, what="model variable", list_known=False))
        if self._elements.keys() & values.keys():
            raise ParameterError("run_pysd sets scalar constants only; run() sets the elements of subscripted ones")
        values = {self.py_names[self.parameter_table[n].vensim_name.split("[")[0]]: v for n, v in values.items()}
        return self.engine.run_pysd(values, variables, final_time, time_step, saveper)


_models: dict[tuple, Model] = {}
_models_lock = threading.Lock()


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


def load_model(mdl_file: str | Path = MODEL_FILE, metadata_file: str | Path | None = None) -> Model:
    """The :class:`Model` of ``mdl_file``, loaded once per process and again when either file changes.

    ``metadata_file`` as in :class:`Model`. This is the one cache of loaded models:
    :func:`sd_model.default_model`, :func:`sd_model.run_batch` and its Dask workers all go through it.
    """
    mdl_file = Path(mdl_file).resolve()
    if metadata_file is None and mdl_file == Path(MODEL_FILE).resolve():
        metadata_file = METADATA_FILE
    metadata_file = Path(metadata_file).resolve() if metadata_file is not None else None
    stamp = _stamp(metadata_file) if metadata_file is not None else None
    key = (str(mdl_file), str(metadata_file), _stamp(mdl_file), stamp)
    with _models_lock:
        if key not in _models:
            for old in [k for k in _models if k[:2] == key[:2]]:
                del _models[old]  # an edited file: forget its old model
            _models[key] = Model(mdl_file, metadata_file)
        return _models[key]
