"""The compiled model: every touch of PySD's internals, and the generated stepping code.

An :class:`Engine` loads PySD's translation of a model twice, for two jobs that must not share a
mutable PySD object:

- the *reference*: PySD's own ``Model.run`` loop (:meth:`Engine.run_pysd`), the numbers every
  faster path is checked against;
- the *initialiser*: PySD computes the initial state of every stock for parameter values that may
  be arrays over runs; from there the code that :mod:`engine.codegen` generates from the same
  translation takes the Euler steps (:meth:`Engine.run`), for one run on floats or many on arrays.

Nothing outside this module reads PySD's private attributes. It depends only on
:mod:`engine.translation` and :mod:`engine.codegen` (and the control names of
:mod:`diagrams.mdl`); :class:`sd_model.Model` owns one engine.
"""

from __future__ import annotations

import functools
import itertools
import threading
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from diagrams.mdl import CONTROL_NAMES

from . import arrays
from .codegen import CONTROL, compile_loop
from .compiled import CompiledFallbackWarning, NotCompiled, compile_kernel, use_compiled
from .translation import load_pysd


def _constant(value):
    """A constant's value: a float, or a DataArray for a subscripted constant."""
    return value if isinstance(value, xr.DataArray) else float(value)


def _stages(state):
    """The state of a delay or smooth as a list of stages (PySD keeps them on a first axis, named
    ``_delay`` or ``_smooth`` when the delay is subscripted); any other state as it is."""
    if isinstance(state, xr.DataArray) and state.dims and state.dims[0].startswith("_"):
        return [state.isel({state.dims[0]: i}, drop=True) for i in range(state.sizes[state.dims[0]])]
    return state


#: Initial states kept per engine (one run's each: a few kilobytes).
INITIAL_CACHE = 256


def _copied(states: dict) -> dict:
    return {name: _copy(value) for name, value in states.items()}


def _copy(value):
    if isinstance(value, list):  # the stages of a delay or smooth
        return [_copy(v) for v in value]
    if isinstance(value, xr.DataArray):  # its numbers copied, its coordinates shared (never written)
        return value.copy(deep=False, data=value.data.copy())
    return value.copy() if isinstance(value, np.ndarray) else value


def _one_run(value) -> bool:
    """A state of one run (no array of runs): what the initial-state cache keeps."""
    if isinstance(value, list):
        return all(_one_run(v) for v in value)
    if isinstance(value, xr.DataArray):
        return arrays.RUN not in value.dims
    return np.ndim(value) <= 1


def _initial_constants(dependencies: dict, constants: set[str]) -> frozenset[str] | None:
    """The constants reached from the initial values of PySD's stateful objects (and from every input of
    a delay or smooth, whose order PySD sets at initialisation), or None for a name the graph does not
    explain."""
    found, seen = set(), set()
    todo = [name for name, entry in dependencies.items() if isinstance(entry, dict) and "initial" in entry]
    while todo:
        name = todo.pop()
        if name in seen or name in CONTROL or name == "time" or name == "__lookup__":
            continue
        seen.add(name)
        entry = dependencies.get(name)
        if name in constants:
            found.add(name)
        elif not isinstance(entry, dict):
            return None
        elif "initial" in entry:
            todo += list(entry["initial"] or {})
            if name.startswith(("_delay", "_smooth")):
                todo += list(entry.get("step") or {})
        else:
            todo += list(entry)
    return frozenset(found)


def _keep_array(value):
    """Stand-in for ``float`` in the translated module: MIN/MAX results stay arrays."""
    return value


#: PySD's relative precision of the final and saved times (``pysd.py_backend.components.Time.rprec``).
RPREC = 1e-5


@functools.lru_cache(maxsize=256)
def pysd_saves(initial: float, final_time: float, time_step: float, saveper: float) -> tuple[int, int, int]:
    """(steps, steps per save, saved rows) of PySD's loop (``Model._integrate`` and ``Time``).

    PySD adds ``time_step`` to the time at each step, from ``initial`` while ``t + time_step * RPREC <
    final_time``, and saves at each time (the last included) whose distance from ``initial`` is within
    ``time_step * RPREC`` of a multiple of ``saveper``. That is every ``saveper / time_step`` steps when
    SAVEPER is a whole number of time steps; otherwise at the steps where the two meet (SAVEPER 0.1
    with TIME STEP 1/128: every 64 steps, 0.5 apart). The generated loop saves every ``per_save``
    steps from the first: saved steps not so spaced are refused with ``NotImplementedError``.
    """
    prec = time_step * RPREC
    count = max(int(np.ceil((final_time - initial) / time_step)), 0) + 2
    times = np.add.accumulate(np.r_[initial, np.full(count, time_step)])  # PySD's float times, one by one
    steps = int(np.argmax(times + prec >= final_time))
    delay = times[: steps + 1] - initial
    saved = np.flatnonzero((np.remainder(delay, saveper) < prec) | (np.remainder(-delay, saveper) < prec))
    per_save = int(saved[1]) if len(saved) > 1 else steps + 1
    if not np.array_equal(saved, np.arange(0, steps + 1, per_save)):
        raise NotImplementedError(
            f"SAVEPER {saveper:.12g} with TIME STEP {time_step:.12g}: PySD saves at steps not evenly spaced "
            f"({', '.join(map(str, saved[:4]))}, ...); the generated loop saves every so many steps"
        )
    return steps, per_save, steps // per_save + 1


class Engine:
    """PySD's translation of one model, run by PySD's loop or by the generated loop.

    Parameters
    ----------
    py_file : str or Path
        A model translated by PySD (see :func:`engine.translation.translated_file`).
    outputs : sequence of str or None
        Vensim names of the variables :meth:`run` returns, in order; None for every stock, flow and
        auxiliary.

    Attributes
    ----------
    doc : pandas.DataFrame
        PySD's documentation of the model: one row per variable.
    dependencies : dict
        PySD's dependency graph of the translated model.
    py_names : dict
        Vensim name to Python name of every variable.
    constants : dict
        Vensim name to value of every constant, read before any run.
    control : dict
        ``initial_time``, ``final_time``, ``time_step`` and ``saveper`` as the model sets them.
    columns, py_columns : list of str
        The rows of :meth:`run`'s result: one per output, or per element of a subscripted output
        (``Stock A[north]``; ``stock_a[north]`` by Python name), in PySD's order.
    arrays : bool
        True for a subscripted model: the generated loop runs on DataArrays with a last ``run``
        dimension (:mod:`engine.arrays`).
    """

    def __init__(self, py_file, outputs: Sequence[str] | None = None):
        self._reference = load_pysd(py_file)
        self._initialiser = load_pysd(py_file)
        self._module = self._initialiser.components._components
        # PySD wraps MIN/MAX in the built-in float(); for array-valued initial states it must keep arrays.
        self._module.float = _keep_array
        doc = self._reference.doc
        self.doc = doc
        self.dependencies = self._reference.dependencies
        self.py_names = dict(zip(doc["Real Name"], doc["Py Name"], strict=True))
        constants = doc[doc["Type"] == "Constant"]
        self.subscripts = {
            row["Py Name"]: list(row["Subscripts"])
            for _, row in doc.iterrows()
            if isinstance(row["Subscripts"], list) and row["Subscripts"]
        }
        self.arrays = bool(self.subscripts)
        if self.arrays:
            self._module.xr = arrays.XR  # PySD's initial values may be values per run (a run dimension)
        self.constants = {
            row["Real Name"]: _constant(getattr(self._reference.components, row["Py Name"])())
            for _, row in constants.iterrows()
        }
        self.control, self.refusal = self._controls()
        self._varied = [n for n in constants["Py Name"] if n not in CONTROL]
        self._originals = {name: getattr(self._module, name) for name in self._varied}
        self._constant_values = {name: function() for name, function in self._originals.items()}
        self._initial_names = _initial_constants(self.dependencies, set(self._varied))
        if outputs is None:  # every stock, flow and auxiliary
            outputs = [
                r
                for r, kind in zip(doc["Real Name"], doc["Type"], strict=True)
                if kind in ("Stateful", "Auxiliary") and r not in CONTROL_NAMES.values()
            ]
        unknown = [name for name in outputs if name not in self.py_names]
        if unknown:
            raise ValueError(f"output {unknown[0]!r} is not a variable of the model")
        self.outputs = [self.py_names[name] for name in outputs]
        self.elements = self._reference.components._subscript_dict if self.arrays else {}
        #: (Vensim name, Python name, element label) of each row of :meth:`run`'s result.
        self.column_parts = [
            (name, py, label)
            for name, py in zip(outputs, self.outputs, strict=True)
            for label in arrays.element_labels(self.subscripts.get(py, []), self.elements)
        ]
        #: One column per element of each output: ``name`` or ``name[element,element]``, as PySD's ``run`` names them.
        self.columns = [f"{name}[{label}]" if label else name for name, _, label in self.column_parts]
        #: The same columns by Python name.
        self.py_columns = [f"{py}[{label}]" if label else py for _, py, label in self.column_parts]
        self._py_file = py_file
        self._compiled = {}  # delay orders -> (loop, source), generated at the first run: PySD's loop works without it
        self._kernels = {}  # generated source -> compiled kernel, or None where the NumPy loop runs it
        self._compile_lock = threading.Lock()
        self._defaults = {
            self.py_names[real]: value
            for real, value in self.constants.items()
            if self.py_names[real] in self._originals and not isinstance(value, xr.DataArray)
        }
        self._held = dict(self._defaults)  # the values the reference's PySD object holds now
        self._reference_lock = threading.Lock()
        self._initialiser_lock = threading.Lock()
        self._initial_states = {}  # initial_key -> (states, orders): the last INITIAL_CACHE
        self._states_lock = threading.Lock()

    def _controls(self) -> tuple[dict[str, float], str | None]:
        """The simulation controls, and why the generated loop cannot run the model (or None).

        A control that is not a plain constant (``SAVEPER = TIME STEP``) is evaluated once when it
        depends on constants only; one that changes with Time (``TIME STEP = IF THEN ELSE(Time < 4,
        1, 0.5)``) is read at the initial time for PySD and refused by the generated loop, which
        steps with one fixed TIME STEP.
        """
        control, refusal = {}, None
        for key, name in CONTROL_NAMES.items():
            if name in self.constants:
                control[key] = self.constants[name]
                continue
            control[key] = float(getattr(self._reference.components, key)())
            if self._depends_on_time(key):
                refusal = refusal or f"{name} changes with Time; the generated loop steps with one fixed TIME STEP"
        return control, refusal

    def _depends_on_time(self, py_name: str, seen=None) -> bool:
        seen = set() if seen is None else seen
        for dependency in self.dependencies.get(py_name, {}) or {}:
            if dependency == "time":
                return True
            if dependency not in seen:
                seen.add(dependency)
                if self._depends_on_time(dependency, seen):
                    return True
        return False

    @property
    def source(self) -> str:
        """The generated stepping code for the model's own settings (``NotImplementedError`` naming a
        construct the generator lacks)."""
        orders = self._initialise({}, self.control["final_time"], self.control["time_step"])[2]
        return self._compiled_loop(orders)[1]

    def _compiled_loop(self, orders: Mapping[str, int] | None = None):
        """The generated loop for the delay and smooth orders PySD set at initialisation (compiled once
        per set of orders: they are fixed for a run, and PySD lowers one that is too high for TIME STEP)."""
        if self.refusal:
            raise NotImplementedError(self.refusal)
        key = tuple(sorted((orders or {}).items()))
        with self._compile_lock:
            if key not in self._compiled:
                self._compiled[key] = compile_loop(self._py_file, self._varied, self.outputs, dict(key))
            return self._compiled[key]

    def saves(self, final_time: float, time_step: float) -> tuple[int, int, int]:
        """(steps, steps per save, saved rows) of a run to ``final_time`` with ``time_step``, as PySD's
        loop takes and saves them (:func:`pysd_saves`); ``NotImplementedError`` where PySD's saved steps
        are not evenly spaced."""
        return pysd_saves(self.control["initial_time"], final_time, time_step, self.control["saveper"])

    def saved_times(self, final_time: float, time_step: float) -> np.ndarray:
        """The times of the saved rows of a run: INITIAL TIME, then every SAVEPER; every ``per_save``
        time steps where SAVEPER is not a whole number of time steps (PySD saves there)."""
        initial, saveper = self.control["initial_time"], self.control["saveper"]
        _, per_save, rows = self.saves(final_time, time_step)
        every = saveper if abs(saveper / time_step - per_save) <= 1e-9 else per_save * time_step
        return initial + np.arange(rows) * every

    def run(
        self, n: int, values: Mapping[str, float | np.ndarray], final_time: float, time_step: float, compiled=None
    ) -> np.ndarray:
        """Run ``n`` parameter sets at once with the generated loop, compiled (:mod:`.compiled`) where
        the model allows and ``compiled`` is not False (default: unless ``SD_MODEL_ENGINE=numpy``).

        Parameters
        ----------
        n : int
            Number of runs.
        values : mapping
            Python name of a constant to an array of shape ``(n,)``, or to a float (the same for every
            run); other constants keep their values in the model.
        final_time, time_step : float
            Checked simulation controls.

        Returns
        -------
        numpy.ndarray
            Shape ``(len(columns), n, saved rows)``: one row per element of a subscripted output.
        """
        if self.refusal:
            raise NotImplementedError(self.refusal)
        initial = self.control["initial_time"]
        steps, per_save, rows = self.saves(final_time, time_step)
        result = np.empty((len(self.columns), n, rows))
        use = use_compiled() if compiled is None else compiled
        constants, states, loop, kernel = self._prepare(values, final_time, time_step, use)
        if kernel is not None:
            kernel.run(constants, states, initial, time_step, steps, per_save, result)
        else:
            loop(constants, states, initial, time_step, steps, per_save, result)
        return result

    def run_segments(self, n: int, segments: Sequence[tuple[float, Mapping]], final_time: float,
                     time_step: float) -> np.ndarray:  # fmt: skip
        """Run ``n`` runs whose constants change at given times, as in Vensim's game mode: each segment
        ``(start, values)`` runs from its start time (the first: INITIAL TIME; each a saved time) to the
        next one's with its values, from the states the one before ended with. At a segment's start the
        saved row is the later segment's (its auxiliaries computed with its values, as PySD returns a run
        continued with ``initial_condition="current"``). The compiled kernel only.

        Returns
        -------
        numpy.ndarray
            As :meth:`run`.
        """
        initial = self.control["initial_time"]
        steps_all, per_save, rows = self.saves(final_time, time_step)
        starts = [float(start) for start, _ in segments]
        if not segments or abs(starts[0] - initial) > 1e-9:
            raise ValueError(f"the first segment starts at INITIAL TIME ({initial:g})")
        first = [round((start - initial) / time_step) for start in starts] + [steps_all]
        for start, step in zip(starts[1:], first[1:-1], strict=True):
            if step % per_save or abs(initial + step * time_step - start) > 1e-6 or not 0 < step < steps_all:
                raise ValueError(f"a segment starts at {start:g}: not a saved time inside the run")
        if any(b <= a for a, b in itertools.pairwise(first)):
            raise ValueError("segments must start at increasing times")
        result = np.empty((len(self.columns), n, rows))
        # The first segment sets the states (and the delay orders, so the kernel and its state layout); a
        # later one changes only the constants: its states are where the segment before ended.
        constants, states, _, kernel = self._prepare(segments[0][1], final_time, time_step, True)
        if kernel is None:
            raise NotImplementedError("runs in rounds need the compiled engine; this model runs in the NumPy loop")
        packed = None
        for i, (start, values) in enumerate(segments):
            if i:
                constants = self._constants({name: self._given(v) for name, v in values.items()}, final_time)
            steps = first[i + 1] - first[i]
            out = np.empty((len(self.columns), n, steps // per_save + 1))
            packed = kernel.run(constants, states, start, time_step, steps, per_save, out, states=packed)
            row = first[i] // per_save
            result[:, :, row : row + out.shape[2]] = out  # the next segment overwrites the row at its start
        return result

    def _prepare(self, values, final_time: float, time_step: float, compiled: bool):
        """A run's start: the constants and states of ``values`` at INITIAL TIME (:meth:`_initialise`), the
        generated loop for their delay orders (refusing a construct it has no form for, before any step)
        and its compiled kernel (None where ``compiled`` is false or the kernel does not cover the loop)."""
        constants, states, orders = self._initialise(values, final_time, time_step)
        loop, source = self._compiled_loop(orders)
        kernel = self._kernel(source, loop.__globals__, constants, states) if compiled else None
        return constants, states, loop, kernel

    def _kernel(self, source: str, names: dict, constants: dict, states: dict):
        """The compiled kernel of a generated loop (its namespace, constants and states: those of
        :func:`engine.compiled.kernel_source`), or None (with one warning naming why) where the compiled
        path does not cover it: the NumPy loop runs it then."""
        if source not in self._kernels:
            try:
                self._kernels[source] = compile_kernel(source, names, constants, states, len(self.columns))
            except NotCompiled as err:
                warnings.warn(f"{Path(self._py_file).stem}: {err}; the NumPy loop runs it", CompiledFallbackWarning, 3)
                self._kernels[source] = None
        return self._kernels[source]

    def _initialise(self, values, final_time: float, time_step: float) -> tuple[dict, dict, dict]:
        """PySD's initial state for ``values``: (constants, states, delay orders) by Python name.

        The states of one run are kept (the last :data:`INITIAL_CACHE`) under the values of the
        constants they depend on (:meth:`initial_constants`): a run that changes only other constants
        (a policy lever, say) starts from them without asking PySD again."""
        given = {name: self._given(value) for name, value in values.items()}
        constants = self._constants(given, final_time)
        key = self._initial_key(given, final_time, time_step)
        with self._states_lock:
            kept = self._initial_states.get(key) if key is not None else None
        if kept is not None:
            return constants, _copied(kept[0]), dict(kept[1])
        states, orders = self._pysd_initial(given, final_time, time_step)
        if key is not None and all(_one_run(v) for v in states.values()):
            with self._states_lock:  # the explorer's threads run the same engine
                self._initial_states[key] = (_copied(states), dict(orders))
                while len(self._initial_states) > INITIAL_CACHE:
                    self._initial_states.pop(next(iter(self._initial_states)))
        return constants, states, orders

    def _constants(self, given: dict, final_time: float) -> dict:
        """Every constant of a run as the loops take it: the model's, ``given`` (values in the loops' form,
        :meth:`_given`) and the time controls."""
        constants = self._constant_values | given
        return constants | {
            "initial_time": self.control["initial_time"],
            "final_time": final_time,
            "saveper": self.control["saveper"],
        }

    def _given(self, value):
        """A constant's value as the loops take it: a float, an array of runs, or a DataArray."""
        if type(value) is float:
            return value
        if isinstance(value, xr.DataArray):
            return value  # a subscripted constant, its dimensions named (and ``run`` when it varies)
        if np.ndim(value) == 0:
            return float(value)
        value = np.ascontiguousarray(value, dtype=float)
        return arrays.runs(value) if self.arrays else value

    def initial_constants(self) -> frozenset[str] | None:
        """The constants (Python names) the initial states and delay orders depend on, read from PySD's
        dependency graph; None where the graph holds something this reading does not know (then no
        initial state is reused)."""
        return self._initial_names

    def _initial_key(self, given: dict, final_time: float, time_step: float):
        names = self.initial_constants()
        if names is None or any(not isinstance(given[n], float) for n in names & given.keys()):
            return None
        return (final_time, time_step, tuple(sorted((n, given[n]) for n in names & given.keys())))

    def _pysd_initial(self, given: dict, final_time: float, time_step: float) -> tuple[dict, dict]:
        """PySD computes every initial state with the constants ``given`` set: (states, delay orders)."""
        with self._initialiser_lock:
            try:
                for name, value in given.items():
                    setattr(self._module, name, lambda v=value: v)
                self._initialiser.time.set_control_vars(
                    initial_time=self.control["initial_time"], final_time=final_time, time_step=time_step
                )
                for element in self._initialiser._stateful_elements.values():
                    element.shape_info = None  # shapes change with the number of runs: PySD sets them again
                self._initialiser.initialize()
                states, orders = {}, {}
                for name, element in self._initialiser._stateful_elements.items():
                    states[name] = _stages(element.state)
                    if getattr(element, "times", None) is not None:  # DELAY N: the delay time of each stage
                        states[name + ".times"] = _stages(element.times)
                    if hasattr(element, "pipe"):  # DELAY FIXED: the pipeline of inputs
                        states[name + ".pipe"] = list(element.pipe)
                    elif getattr(element, "order", None) is not None:
                        orders[name] = int(element.order)
            finally:
                for name in given:
                    setattr(self._module, name, self._originals[name])
                self._initialiser.clean_caches()
        return states, orders

    def run_pysd(
        self, values: Mapping[str, float], variables: Sequence[str], final_time: float, time_step: float, saveper: float
    ) -> pd.DataFrame:
        """Run PySD's own loop and return ``variables`` (Vensim names) at PySD's float times.

        ``values`` maps Python names of constants to floats; constants not named run at their values
        in the model, whatever an earlier run set.
        """
        values = self._defaults | dict(values)
        with self._reference_lock:
            # Hand PySD only the values that differ from what its model object holds now: nothing
            # leaks between runs, and PySD skips re-wiring its caches (about half the cost of a run)
            # when nothing changed.
            changed = {n: v for n, v in values.items() if self._held[n] != v}
            self._held.update(changed)
            frame = self._reference.run(
                params=changed,
                return_columns=list(variables),
                final_time=final_time,
                time_step=time_step,
                saveper=saveper,
                progress=False,
            )
        return frame[list(variables)].astype(float)
