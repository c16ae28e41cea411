"""A Vensim model with its spec (parameters, outputs, time axis): validation, runs, and the one cache
of loaded models.

A :class:`Model` is built from one :class:`ModelSpec`, read from a metadata file
(:meth:`ModelSpec.from_metadata`) or derived from the engine for a model without one
(:meth:`ModelSpec.from_engine`); nothing after that asks where the spec came from.
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from engine import Engine
from engine.arrays import RUN
from engine.translation import model_digest, translated_file

from .generic import element_defaults, generic_parameters
from .parameters import (
    Parameter,
    ParameterError,
    Slot,
    build_parameters,
    in_language,
    read_metadata,
    text,
    unknown_name_message,
    validate_params,
)
from .paths import METADATA_FILE, MODEL_FILE, beside


def _headline_outputs(metadata_file: Path = METADATA_FILE) -> tuple[str, ...]:
    """The ``kpis`` of a metadata file (``models/model.toml``): the headline outputs, in order."""
    return tuple(read_metadata(metadata_file).get("kpis", ()))


#: The project model's headline outputs, declared in ``models/model.toml`` (``kpis``).
KPIS = _headline_outputs()

#: Largest final time accepted on a ``year`` axis (the project's model is calibrated for 2016-2035).
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


@dataclass(frozen=True)
class TimeAxis:
    """The time axis of a model's results.

    Attributes
    ----------
    name : str
        The axis: index of :meth:`Model.run`, dimension of :func:`sd_model.run_batch`.
    whole_years : bool
        True: saves fall on whole years, labelled by ``int``; ``final_time`` must be a whole year in
        (INITIAL TIME, :data:`MAX_FINAL_TIME`] and ``time_step`` 1/k year for a whole k. False: saves
        are labelled by the model's own (float) times, in its own units; any positive ``time_step``
        that divides SAVEPER and ``final_time - INITIAL TIME`` is accepted.
    """

    name: str
    whole_years: bool

    def labels(self, times: np.ndarray) -> np.ndarray:
        """Labels of saved ``times`` on this axis: whole years as ``int``, else the times themselves."""
        return times.round().astype(int) if self.whole_years else times


#: The axis of the project's model (``time_axis = "year"`` in ``models/model.toml``).
YEAR = TimeAxis("year", whole_years=True)
#: The axis of every other model: its own time units.
TIME = TimeAxis("time", whole_years=False)
#: The values ``time_axis`` may take in a metadata file.
TIME_AXES = {axis.name: axis for axis in (YEAR, TIME)}


@dataclass(frozen=True)
class ModelSpec:
    """What :class:`Model` knows of a model besides its engine, the same whatever its source.

    Made by :meth:`from_metadata` from a metadata file (``models/model.toml`` for the project's model)
    or by :meth:`from_engine` for a model without one.

    Attributes
    ----------
    parameters : tuple of Parameter
        The parameter table.
    outputs : tuple of Output
        The output columns, in the order of the engine's result rows.
    slots : dict
        Parameter name to its :class:`~sd_model.parameters.Slot` in the engine: a scalar constant,
        or one element of a subscripted constant.
    kpis : tuple of str
        The headline outputs, in order (none without metadata).
    headline_year : float or None
        The saved time shown first (``headline_year`` of the metadata, default FINAL TIME; an ``int``
        on a ``year`` axis; None without metadata).
    population_output : str or None
        The output under one person of which the per-person outputs are missing (NaN).
    time_axis : TimeAxis
        :data:`YEAR` or :data:`TIME`.
    """

    parameters: tuple[Parameter, ...]
    outputs: tuple[Output, ...]
    slots: dict[str, Slot]
    kpis: tuple[str, ...] = ()
    headline_year: float | None = None
    population_output: str | None = None
    time_axis: TimeAxis = TIME

    @classmethod
    def from_engine(cls, engine: Engine) -> ModelSpec:
        """The spec of a model without metadata: every constant a parameter (:mod:`sd_model.generic`),
        every stock, flow and auxiliary of ``engine`` an output named by PySD's Python names (one per
        element of a subscripted one), a ``time`` axis."""
        parameters, slots = generic_parameters(engine)
        doc = engine.doc.set_index("Real Name")
        outputs = tuple(
            Output(py_column, real, doc.at[real, "Units"] or "", column, column, doc.at[real, "Comment"] or "")
            for (real, _, _), py_column, column in zip(
                engine.column_parts, engine.py_columns, engine.columns, strict=True
            )
        )
        return cls(parameters, outputs, slots)

    @classmethod
    def from_metadata(cls, engine: Engine, metadata: dict, source: str | Path) -> ModelSpec:
        """The spec a metadata file gives a model.

        Parameters
        ----------
        engine : Engine
            The model's engine, its outputs those of the metadata.
        metadata : dict
            The file, read by :func:`sd_model.parameters.read_metadata`. Its optional ``time_axis`` is
            ``"year"`` (the project's model: whole years, :data:`YEAR`) or ``"time"`` (the default:
            the model's own time units, :data:`TIME`, as for a model without metadata).
        source : str or Path
            The file's name, for errors.

        Raises
        ------
        ValueError
            In one line naming ``source``, for a name, axis or headline the model does not have.
        """
        axis = _time_axis(metadata.get("time_axis", TIME.name), engine.control, source)
        control = engine.control
        headline = metadata.get("headline_year", control["final_time"])
        headline = int(headline) if axis.whole_years else headline
        if not np.isclose(_saved_times(engine, axis, control["final_time"], control["time_step"]), headline).any():
            raise ValueError(f"{source}: headline_year {headline} is not a saved {axis.name} of the model")

        def dims(real: str) -> list[str]:
            return engine.subscripts.get(engine.py_names[real], [])

        def elements(real: str) -> dict:  # one parameter per element of a subscripted constant
            return element_defaults(engine.constants[real], dims(real), engine.elements)

        parameters = build_parameters(engine.doc, engine.constants, metadata, str(source), elements)
        slots = {}
        for p in parameters:
            real, _, label = p.vensim_name.partition("[")
            where = dict(zip(dims(real), label[:-1].split(","), strict=True)) if label else {}
            slots[p.name] = Slot(engine.py_names[real], real, where)
        outputs = _metadata_outputs(engine, metadata, source)
        names = {o.name for o in outputs}
        population = metadata.get("population_output")
        if population is not None and population not in names:
            raise ValueError(f"{source}: population_output {population!r} is not an output")
        kpis = tuple(metadata.get("kpis", ()))
        unknown = [k for k in kpis if k not in names]
        if unknown:
            raise ValueError(f"{source}: kpis names {unknown[0]!r}, which is not an output")
        return cls(parameters, outputs, slots, kpis, headline, population, axis)


def _time_axis(name: str, control: Mapping[str, float], source) -> TimeAxis:
    """The :class:`TimeAxis` named ``name`` in a metadata file; a ``year`` axis needs whole-year saves."""
    if name not in TIME_AXES:  # (a string: the spec of the file checked its kind)
        raise ValueError(f"{source}: time_axis must be one of {', '.join(map(repr, TIME_AXES))}, got {name!r}")
    initial, saveper = control["initial_time"], control["saveper"]
    whole = float(initial).is_integer() and float(saveper).is_integer() and saveper >= 1
    if TIME_AXES[name].whole_years and not whole:
        got = f"{initial:g} and {saveper:g}"
        raise ValueError(f"{source}: time_axis 'year' needs a whole INITIAL TIME and SAVEPER, got {got}")
    return TIME_AXES[name]


def _metadata_outputs(engine: Engine, metadata: dict, source) -> tuple[Output, ...]:
    """The outputs of a metadata file, with units and descriptions from the model."""
    doc = engine.doc
    units = {name: text(u) for name, u in zip(doc["Real Name"], doc["Units"], strict=True)}
    comments = {name: text(c) for name, c in zip(doc["Real Name"], doc["Comment"], strict=True)}
    units_zh = metadata.get("units_zh", {})
    missing = sorted({units[o["vensim_name"]] for o in metadata["outputs"]} - set(units_zh))
    if missing:
        raise ValueError(f"{source}: [units_zh] has no Chinese form of {missing[0]!r}")
    labels = {}  # Vensim name -> the element labels of its columns ("" for a scalar), in the engine's order
    for real, _, label in engine.column_parts:
        labels.setdefault(real, []).append(label)
    outputs = []
    for o in metadata["outputs"]:  # the engine's columns are the metadata's outputs in order, element by element
        real = o["vensim_name"]
        for label in labels[real]:
            suffix, shown = (f"[{label}]", f" ({label.replace(',', ', ')})") if label else ("", "")
            short = {k: o.get(k, "") + (shown if o.get(k) else "") for k in ("short_en", "short_zh")}
            outputs.append(
                Output(
                    o["name"] + suffix,
                    real,
                    units[real],
                    o["label_en"] + shown,
                    o["label_zh"] + shown,
                    comments[real],
                    units_zh[units[real]],
                    bool(o.get("per_person", False)),
                    short["short_en"],
                    short["short_zh"],
                )
            )
    return tuple(outputs)


def _saved_times(engine: Engine, axis: TimeAxis, final_time: float, time_step: float) -> np.ndarray:
    """Labels of the saved times of a run to ``final_time`` with ``time_step``: INITIAL TIME to it, every SAVEPER."""
    initial, saveper = engine.control["initial_time"], engine.control["saveper"]
    if axis.whole_years:
        return np.arange(round(initial), round(final_time) + 1, round(saveper))
    return engine.saved_times(final_time, time_step)  # every SAVEPER, or where PySD saves (Engine.saves)


def _engine_values(engine: Engine, slots: Mapping[str, Slot], columns: dict, n: int) -> dict:
    """Engine values (Python name of a constant to its value) from parameter columns: a scalar constant
    takes its column; the elements of a subscripted one are assembled into one DataArray (``run`` last
    when any of its elements differs between runs)."""
    values, pieces = {}, {}
    for name, column in columns.items():
        slot = slots[name]
        if slot.where:
            pieces.setdefault((slot.constant, slot.vensim_name), []).append((slot.where, column))
        else:
            values[slot.constant] = column
    for (constant, real), parts in pieces.items():
        value = engine.constants[real]
        if any(np.ndim(column) for _, column in parts):
            value = value.expand_dims({RUN: n}, axis=value.ndim)
        value = value.astype(float)  # a copy; float, as a constant written "0" in the .mdl is read as an integer
        for where, column in parts:
            value.loc[where] = column
        values[constant] = value
    return values


def _metadata_file(mdl_file: Path, metadata_file: str | Path | None) -> Path | None:
    """The resolved metadata file of ``mdl_file``: ``metadata_file``, else the ``model.toml`` beside the
    ``.mdl`` if there is one (``models/model.toml`` for the project's model), else None."""
    if metadata_file is None and beside(mdl_file, "model.toml").is_file():
        metadata_file = beside(mdl_file, "model.toml")
    return Path(metadata_file).resolve() if metadata_file is not None else None


def load_spec(py_file: Path, metadata_file: Path | None) -> tuple[Engine, ModelSpec]:
    """The engine of a translated model and its spec: from ``metadata_file``, or derived from the
    engine when there is none (the one place that asks)."""
    if metadata_file is None:
        engine = Engine(py_file)
        return engine, ModelSpec.from_engine(engine)
    metadata = read_metadata(metadata_file)
    engine = Engine(py_file, outputs=[o["vensim_name"] for o in metadata["outputs"]])
    return engine, ModelSpec.from_metadata(engine, metadata, metadata_file)


class Model:
    """A Vensim model, translated once by PySD, with its spec (:class:`ModelSpec`) and its engine.

    Parameters
    ----------
    mdl_file : str or Path, optional
        The Vensim model; default ``models/relocation.mdl``.
    metadata_file : str or Path, optional
        Names, kinds and labels of parameters and outputs, and the time axis (``time_axis``, see
        :meth:`ModelSpec.from_metadata`). Default: the ``model.toml`` beside the ``.mdl`` if there is
        one (``models/model.toml`` for ``models/relocation.mdl``); else none, and then every constant
        is a parameter (bounds from the ``.mdl``'s ``[low,high]`` range, else unbounded; a subscripted
        constant is one parameter per element, ``name[element]``) and every stock, flow and auxiliary
        is an output, named by PySD's Python names (``name[element,element]`` per element, as PySD's
        ``run`` flattens them), over a ``time`` axis (:meth:`ModelSpec.from_engine`).

    Attributes
    ----------
    spec : ModelSpec
        Parameters, outputs, headline outputs and year, time axis: everything the methods read.
    metadata_file : Path or None
        Where the spec came from (informational: no method asks).

    Notes
    -----
    Use :func:`load_model` (or :func:`sd_model.default_model`) to share one loaded model per process.
    """

    def __init__(self, mdl_file: str | Path = MODEL_FILE, metadata_file: str | Path | None = None):
        self.mdl_file = Path(mdl_file).resolve()
        self.metadata_file = _metadata_file(self.mdl_file, metadata_file)
        self.digest = model_digest(self.mdl_file)
        self.py_file = translated_file(self.mdl_file)
        self.engine, self.spec = load_spec(self.py_file, self.metadata_file)
        self.constants = self.engine.constants
        self.py_names = self.engine.py_names
        self.control = self.engine.control
        self.parameter_table = {p.name: p for p in self.parameters}

    @property
    def files(self) -> tuple[str, str | None]:
        """``(mdl_file, metadata_file)`` as strings: the arguments of :func:`load_model` that give this
        model again (in a Dask worker)."""
        return str(self.mdl_file), None if self.metadata_file is None else str(self.metadata_file)

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        """The parameter table, in order."""
        return self.spec.parameters

    @property
    def outputs(self) -> tuple[Output, ...]:
        """The output columns, in order."""
        return self.spec.outputs

    @property
    def kpis(self) -> tuple[str, ...]:
        """The headline outputs (``kpis`` of the metadata), in order; none without metadata."""
        return self.spec.kpis

    @property
    def headline_year(self) -> float | None:
        """The saved year (or time) shown first; None without metadata."""
        return self.spec.headline_year

    @property
    def population_output(self) -> str | None:
        """The output whose rows with nobody (under one person) leave the per-person outputs missing."""
        return self.spec.population_output

    @property
    def _elements(self) -> dict[str, Slot]:
        """The parameters that set one element of a subscripted constant, and their slots."""
        return {name: slot for name, slot in self.spec.slots.items() if slot.where}

    @property
    def default_outputs(self) -> tuple[str, ...]:
        """Outputs of :func:`sd_model.run_batch` when none are named: the KPIs, else every output."""
        return self.kpis or self.output_names

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
        """Return (final_time, time_step), defaults filled in, or raise ``ValueError``.

        The rules are those of the time axis (:class:`TimeAxis`): whole years, or any time step that
        divides SAVEPER and the simulated span.
        """
        initial = self.control["initial_time"]
        final_time = self.control["final_time"] if final_time is None else final_time
        time_step = self.control["time_step"] if time_step is None else time_step
        for name, value in (("final_time", final_time), ("time_step", time_step)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ParameterError(f"{name} must be a finite number, got {value!r}")
        span = final_time - initial
        if time_step > 0 and span / time_step > MAX_STEPS:
            raise ParameterError(
                f"time_step {time_step:g} makes {span / time_step:,.0f} steps from {initial:g} to {final_time:g}; "
                f"a run may take at most {MAX_STEPS:,} (time_step >= {span / MAX_STEPS:.3g})"
            )
        if self.spec.time_axis.whole_years:
            return self._check_whole_years(final_time, time_step)
        return self._check_time_steps(float(final_time), float(time_step))

    def _check_whole_years(self, final_time, time_step) -> tuple[float, float]:
        """Controls on a ``year`` axis: a whole final year up to :data:`MAX_FINAL_TIME`, 1/k-year steps."""
        initial = self.control["initial_time"]
        if not (float(final_time).is_integer() and initial < final_time <= MAX_FINAL_TIME):
            allowed = f"({initial:g}, {MAX_FINAL_TIME}]"
            raise ParameterError(f"final_time must be a whole year in {allowed}, got {final_time!r}")
        steps_per_year = 1 / time_step if time_step > 0 else math.inf
        if not (0 < time_step <= 1 and abs(steps_per_year - round(steps_per_year)) < 1e-9):
            raise ParameterError(f"time_step must be 1/k year for a whole k >= 1 (e.g. 0.0625), got {time_step!r}")
        return float(final_time), float(time_step)

    def _check_time_steps(self, final_time: float, time_step: float) -> tuple[float, float]:
        """Controls on a ``time`` axis: any time axis whose saves fall on whole time steps. The model's own
        TIME STEP with its own SAVEPER (and FINAL TIME) are run as PySD runs them, or refused by the engine
        with ``NotImplementedError`` (:meth:`Engine.saves`): only a time step (or final time) given here
        must divide them."""
        initial, saveper = self.control["initial_time"], self.control["saveper"]
        if not final_time > initial:
            raise ParameterError(f"final_time must be after INITIAL TIME {initial:g}, got {final_time:g}")
        if not time_step > 0:
            raise ParameterError(f"time_step must be positive, got {time_step:g}")
        own_step = time_step == self.control["time_step"] and saveper > 0
        checks = (
            ("SAVEPER", saveper, own_step),
            ("final_time - INITIAL TIME", final_time - initial, own_step and final_time == self.control["final_time"]),
        )
        for what, span, own in checks:
            if not own and (abs(span / time_step - round(span / time_step)) > 1e-9 or round(span / time_step) < 1):
                raise ParameterError(f"{what} ({span:g}) must be a whole number of time steps ({time_step:g})")
        return final_time, time_step

    def times(self, final_time: float | None = None, time_step: float | None = None) -> np.ndarray:
        """The labels of the saved times of a run: INITIAL TIME to ``final_time``, every SAVEPER (whole
        years, ``int``, on a ``year`` axis)."""
        final_time, time_step = self.check_controls(final_time, time_step)
        return _saved_times(self.engine, self.spec.time_axis, final_time, time_step)

    @property
    def time_name(self) -> str:
        """Name of the time axis of results: ``year`` or ``time`` (:class:`TimeAxis`)."""
        return self.spec.time_axis.name

    def years(self, final_time: float | None = None) -> np.ndarray:
        """The saved years of a run to ``final_time`` (default FINAL TIME): INITIAL TIME to it, every SAVEPER
        (meant for a model on a ``year`` axis: the times rounded to whole years)."""
        final_time = self.control["final_time"] if final_time is None else final_time
        return _saved_times(self.engine, YEAR, final_time, self.control["time_step"])

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
            Output name to array of shape ``(n, saved times)``.
        """
        result = self.engine.run(n, _engine_values(self.engine, self.spec.slots, columns, n), final_time, time_step)
        return self._outputs_of(result, outputs)

    def _outputs_of(self, result: np.ndarray, outputs: Sequence[str]) -> dict[str, np.ndarray]:
        """``outputs`` from the engine's one array ``(outputs, runs, saves)``, per-person ones masked where
        nobody lives: views when most of them are asked for, else copies (the rest let go)."""
        index = {name: i for i, name in enumerate(self.output_names)}
        most = 2 * len(set(outputs)) >= len(self.output_names)
        values = {name: result[index[name]] if most else result[index[name]].copy() for name in outputs}
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
        generated from PySD's translation (:mod:`engine.codegen`), which gives the same numbers
        as PySD's own loop (:meth:`run_pysd`, checked by the tests) about ten times faster.

        Parameters
        ----------
        params : mapping, optional
            Parameter name to value; parameters not given keep their defaults.
        final_time : float, optional
            Last time simulated (default: the model's FINAL TIME; 2035 for the project's model); a
            whole year on a ``year`` axis.
        time_step : float, optional
            Euler time step (default: the model's TIME STEP): 1/k year for a whole k on a ``year``
            axis, else any step that divides SAVEPER and the simulated span.

        Returns
        -------
        pandas.DataFrame
            One row per saved time (index ``year``, int, or ``time``, float: :attr:`time_name`), one
            column per output.

        Raises
        ------
        ValueError
            For an unknown parameter, a non-number, NaN, a value out of bounds or bad controls.
        """
        values = self.validate(params)
        final_time, time_step = self.check_controls(final_time, time_step)
        return self._frame(self.evaluate(1, values, self.output_names, final_time, time_step), final_time, time_step)

    def _frame(self, values: dict[str, np.ndarray], final_time: float, time_step: float) -> pd.DataFrame:
        """One run's outputs (name -> array ``(1, saves)``) as :meth:`run` returns them."""
        table = np.column_stack([values[name][0] for name in self.output_names])  # one block: a fast frame
        return pd.DataFrame(table, index=self._time_index(final_time, time_step), columns=self._column_index())

    def run_rounds(self, rounds, *, final_time=None, time_step=None) -> pd.DataFrame:
        """Simulate the model once with settings that change at given years, as in Vensim's game mode:
        each round's parameters act from the start of its year on the state the rounds before left.

        Parameters
        ----------
        rounds : sequence of (year, mapping)
            The first round's year is ignored (it acts from the start); a later round's parameters act
            from the start of its year (time ``year - 1`` on a ``year`` axis, where the value at year Y
            is the state at the end of Y), each mapping complete in itself (parameters not given keep
            their defaults, not the round before's).
        final_time, time_step
            As in :meth:`run`.

        Returns
        -------
        pandas.DataFrame
            As :meth:`run`; from a round's start its rows are that round's (its auxiliaries computed with
            its parameters), as PySD returns a run continued with ``initial_condition="current"``.

        Raises
        ------
        ValueError
            For a bad parameter (naming the round), years not rising inside the run, or a round's start
            that is not a saved time.
        """
        final_time, time_step = self.check_controls(final_time, time_step)
        checked = [(year, self.validate(params, where=f"round {i + 1}")) for i, (year, params) in enumerate(rounds)]
        values = self.evaluate_rounds(1, checked, self.output_names, final_time, time_step)
        return self._frame(values, final_time, time_step)

    def evaluate_rounds(self, n: int, rounds, outputs: Sequence[str], final_time: float,
                        time_step: float) -> dict[str, np.ndarray]:  # fmt: skip
        """:meth:`evaluate` for runs in rounds (:meth:`run_rounds`): ``rounds`` is a sequence of (year,
        checked columns: parameter name to an array of shape ``(n,)`` or a float)."""
        times = self.times(final_time, time_step)
        offset = 1 if self.time_name == "year" else 0
        segments = []
        for i, (year, columns) in enumerate(rounds):
            start = float(times[0]) if i == 0 else float(year) - offset
            if i and not times[0] < start <= times[-1]:
                span = f"{times[0] + offset:g}-{times[-1]:g}"
                raise ValueError(f"round {i + 1}: year {year} is not inside the run ({span})")
            segments.append((start, _engine_values(self.engine, self.spec.slots, columns, n)))
        if not segments:
            raise ValueError("give at least one round")
        return self._outputs_of(self.engine.run_segments(n, segments, final_time, time_step), outputs)

    @functools.lru_cache(maxsize=8)  # noqa: B019 (a model lives as long as the process: load_model keeps it)
    def _time_index(self, final_time: float, time_step: float) -> pd.Index:
        """The saved times as a frame's index (immutable, so shared by every run's frame)."""
        return pd.Index(self.times(final_time, time_step), name=self.time_name)

    @functools.lru_cache(maxsize=1)  # noqa: B019
    def _column_index(self) -> pd.Index:
        return pd.Index(list(self.output_names))

    def run_pysd(self, params=None, *, final_time=None, time_step=None) -> pd.DataFrame:
        """Like :meth:`run`, but stepped by PySD's own ``Model.run`` (slower; the reference)."""
        variables = list(self.engine.columns)
        frame = self.run_variables(params, variables=variables, final_time=final_time, time_step=time_step)
        columns = zip(self.output_names, frame.columns, strict=True)
        values = {name: frame[column].to_numpy().copy() for name, column in columns}
        if self.population_output is not None:
            self.mask_nobody(values, values[self.population_output])  # (the mask is taken before any NaN is set)
        index = pd.Index(self.spec.time_axis.labels(frame.index.to_numpy()), name=self.time_name)
        return pd.DataFrame(values, index=index)

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
        slots = self.spec.slots
        if any(slots[name].where for name in values):
            raise ParameterError("run_pysd sets scalar constants only; run() sets the elements of subscripted ones")
        return self.engine.run_pysd(
            {slots[name].constant: v for name, v in values.items()}, variables, final_time, time_step, saveper
        )


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
    metadata_file = _metadata_file(mdl_file, metadata_file)
    stamp = _stamp(metadata_file) if metadata_file is not None else None
    key = (str(mdl_file), str(metadata_file), _stamp(mdl_file), stamp)
    with _models_lock:
        if key not in _models:
            for old in [k for k in _models if k[:2] == key[:2]]:
                del _models[old]  # an edited file: forget its old model
            _models[key] = Model(mdl_file, metadata_file)
        return _models[key]
