"""Vectorised ensembles: the model run for many parameter sets at once.

No equation is written twice. The batch engine loads the same PySD translation that
:meth:`sd_model.Model.run_pysd` runs, lets PySD compute every initial state (with the varied
parameters as arrays of shape ``(n,)``), and then steps code generated from PySD's translation
(:mod:`sd_model.codegen`): each variable's expression as PySD wrote it, evaluated in dependency
order, with PySD's Euler update for every ``Integ`` and ``Delay``. The same code runs one run on
floats (:func:`sd_model.run`) or a batch on arrays. A construct the generator does not know is
refused, not run wrongly.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr
from tqdm.auto import tqdm

from .codegen import CONTROL, compile_simulator
from .model import KPIS, Model
from .parameters import ParameterError, unknown_name_message
from .translation import load_pysd

#: Runs evaluated together: 10,000 keeps the work arrays (80 kB each) near the CPU caches.
DEFAULT_CHUNK_SIZE = 10_000


def _keep_array(value):
    """Stand-in for ``float`` in the translated module: MIN/MAX results stay arrays."""
    return value


class BatchEngine:
    """Runs many parameter sets of one translated model at once.

    Parameters
    ----------
    model : Model
        The model whose translation and parameter table are used.
    """

    def __init__(self, model: Model):
        self.model = model
        self._pysd = load_pysd(model.py_file)
        self._module = self._pysd.components._components
        # PySD wraps MIN/MAX in the built-in float(); for array-valued initial states it must keep arrays.
        self._module.float = _keep_array
        doc = self._pysd.doc
        self._constants = [
            n for n, kind in zip(doc["Py Name"], doc["Type"], strict=True) if kind == "Constant" and n not in CONTROL
        ]
        self._outputs = [model.py_names[o.vensim_name] for o in model.outputs]
        self._simulate, self.source = compile_simulator(model.py_file, self._constants, self._outputs)
        self._originals = {p.name: getattr(self._module, model.py_names[p.vensim_name]) for p in model.parameters}
        self._lock = threading.Lock()

    def simulate(
        self, n: int, columns: dict, outputs: Sequence[str], final_time: float, time_step: float
    ) -> dict[str, np.ndarray]:
        """Run ``n`` parameter sets at once.

        Parameters
        ----------
        n : int
            Number of runs.
        columns : dict
            Parameter name to array of shape ``(n,)``, or to a float (the same for every run); other
            parameters keep their defaults.
        outputs : sequence of str
            Output names (see :attr:`Model.output_names`).
        final_time, time_step : float
            Checked simulation controls.

        Returns
        -------
        dict
            Output name to array of shape ``(n, years)``.
        """
        model = self.model
        initial = model.control["initial_time"]
        steps = round((final_time - initial) / time_step)
        per_save = round(model.control["saveper"] / time_step)
        result = np.empty((len(self._outputs), n, steps // per_save + 1))
        with self._lock:
            try:
                for name, values in columns.items():
                    value = float(values) if np.ndim(values) == 0 else np.ascontiguousarray(values, dtype=float)
                    setattr(self._module, model.py_names[model.parameter_table[name].vensim_name], lambda v=value: v)
                self._pysd.time.set_control_vars(initial_time=initial, final_time=final_time, time_step=time_step)
                self._pysd.initialize()  # PySD computes every initial state
                constants = {name: getattr(self._module, name)() for name in self._constants}
                constants |= {"initial_time": initial, "final_time": final_time, "saveper": model.control["saveper"]}
                states = {name: element.state for name, element in self._pysd._stateful_elements.items()}
            finally:
                for name, func in self._originals.items():
                    setattr(self._module, model.py_names[model.parameter_table[name].vensim_name], func)
                self._pysd.clean_caches()
        self._simulate(constants, states, initial, time_step, steps, per_save, result)
        names = list(model.output_names)
        return {name: result[names.index(name)].copy() for name in outputs}  # copies: let the rest go


_engines: dict[tuple[str, str], BatchEngine] = {}
_engines_lock = threading.Lock()


def engine_for(model: Model) -> BatchEngine:
    """The batch engine of ``model``'s translation, built once per process."""
    key = (str(model.mdl_file), model.digest)
    with _engines_lock:
        if key not in _engines:
            _engines[key] = BatchEngine(model)
        return _engines[key]


def sample_columns(model: Model, samples, names=None) -> dict[str, np.ndarray]:
    """Validate samples and return parameter name to float array.

    Raises
    ------
    ParameterError
        Naming the row (0-based) and the parameter, for an unknown name, a non-number, NaN or a
        value out of bounds.
    """
    table = model.parameter_table
    if isinstance(samples, pd.DataFrame):
        if names is not None:
            raise ParameterError("give names only with an array; a DataFrame names its columns")
        names = [str(c) for c in samples.columns]
        frame = samples
    else:
        array = np.asarray(samples)
        if array.ndim != 2:
            raise ParameterError(f"samples must be a 2-D (runs, parameters) array, got shape {array.shape}")
        names = list(names) if names is not None else [p.name for p in model.parameters]
        if array.shape[1] != len(names):
            raise ParameterError(f"samples have {array.shape[1]} columns but {len(names)} names")
        frame = pd.DataFrame(array, columns=names)
    for name in names:
        if name not in table:
            raise ParameterError(unknown_name_message(name, table))
    if len(set(names)) != len(names):
        raise ParameterError(f"parameter names repeat: {names}")
    columns = {}
    for name in names:
        param = table[name]
        column = frame[name]
        if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            for row, raw in enumerate(column):
                param.check(raw, where=f"row {row}")
        values = column.to_numpy(dtype=float)
        bad = np.flatnonzero(~((values >= param.low) & (values <= param.high)))
        if bad.size:
            param.check(float(values[bad[0]]), where=f"row {int(bad[0])}")
        columns[name] = values
    return columns


def _evaluate_chunk(mdl_file: str, metadata_file: str, chunk, outputs, final_time, time_step):
    """Evaluate one ``(n, columns)`` chunk in this process (also the task sent to Dask workers)."""
    model = _worker_model(mdl_file, metadata_file)
    n, columns = chunk
    return engine_for(model).simulate(n, columns, outputs, final_time, time_step)


_worker_models: dict[tuple[str, str], Model] = {}


def _worker_model(mdl_file: str, metadata_file: str) -> Model:
    from . import default_model
    from .paths import METADATA_FILE, MODEL_FILE

    if mdl_file == str(MODEL_FILE.resolve()) and metadata_file == str(METADATA_FILE):
        return default_model()
    key = (mdl_file, metadata_file)
    with _engines_lock:
        if key not in _worker_models:
            _worker_models[key] = Model(mdl_file, metadata_file)
        return _worker_models[key]


def run_batch(
    samples,
    *,
    names=None,
    outputs=None,
    final_time=None,
    time_step=None,
    chunk_size=None,
    client=None,
    progress=None,
    model: Model | None = None,
) -> xr.Dataset:
    """Run the model for many parameter sets.

    Parameters
    ----------
    samples : array_like of shape (n, k) or pandas.DataFrame
        One row per run. Array columns are ``names`` (default: every parameter in table order); a
        DataFrame's columns are parameter names. Parameters not given keep their defaults.
    names : sequence of str, optional
        Column names of an array.
    outputs : sequence of str, optional
        Outputs to return (default :data:`sd_model.KPIS`).
    final_time, time_step : optional
        As in :func:`sd_model.run`.
    chunk_size : int, optional
        Runs evaluated together (default 10,000); also the unit of work sent to Dask.
    client : dask.distributed.Client, optional
        Send chunks to this Dask cluster; each worker loads the translated model once.
    progress : bool, optional
        Show a tqdm bar; by default it appears only for batches that take more than a second.
    model : Model, optional
        Another model (default: ``models/relocation.mdl``).

    Returns
    -------
    xarray.Dataset
        One variable per output over ``(run, year)``; the given parameters are coordinates on
        ``run``.

    Raises
    ------
    ValueError
        For bad samples (naming the row and the parameter), unknown outputs or bad controls,
        before any run.
    """
    from . import default_model

    model = model or default_model()
    columns = sample_columns(model, samples, names)
    n = len(next(iter(columns.values()))) if columns else len(np.asarray(samples))
    if n == 0:
        raise ParameterError("samples have no rows")
    outputs = list(KPIS if outputs is None else outputs)
    unknown = [o for o in outputs if o not in model.output_names]
    if unknown:
        raise ValueError(unknown_name_message(unknown[0], model.output_names, what="output"))
    final_time, time_step = model.check_controls(final_time, time_step)
    chunk_size = DEFAULT_CHUNK_SIZE if chunk_size is None else int(chunk_size)
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive whole number, got {chunk_size}")
    bounds = [(start, min(start + chunk_size, n)) for start in range(0, n, chunk_size)]
    chunks = [(b - a, {k: v[a:b] for k, v in columns.items()}) for a, b in bounds]
    args = (str(model.mdl_file), str(model.metadata_file))
    bar = tqdm(total=n, unit="run", delay=0 if progress else 1.0, disable=progress is False, desc="runs")
    try:
        if client is None:
            parts = []
            for chunk, (a, b) in zip(chunks, bounds, strict=True):
                parts.append(_evaluate_chunk(*args, chunk, outputs, final_time, time_step))
                bar.update(b - a)
        else:
            from distributed import as_completed

            # One task per chunk, its samples inside the task: a graph of a few MB each, and a task
            # whose worker dies is simply run again elsewhere (scattered data would be lost with it).
            futures = [
                client.submit(
                    _evaluate_chunk, *args, chunk, outputs=outputs, final_time=final_time, time_step=time_step, pure=False
                )
                for chunk in chunks
            ]
            index = {f.key: i for i, f in enumerate(futures)}
            parts = [None] * len(chunks)
            for future in as_completed(futures):
                i = index[future.key]
                parts[i] = future.result()
                bar.update(bounds[i][1] - bounds[i][0])
    finally:
        bar.close()
    years = model.years(final_time)
    data = {o: (("run", "year"), np.concatenate([p[o] for p in parts])) for o in outputs}
    coords = {"run": np.arange(n), "year": years} | {k: ("run", v) for k, v in columns.items()}
    attrs = {"model_digest": model.digest, "time_step": time_step, "final_time": final_time}
    return xr.Dataset(data, coords=coords, attrs=attrs)
