"""Vectorised ensembles: the model run for many parameter sets at once, locally or on Dask.

No equation is written twice: every run goes through :meth:`sd_model.Model.evaluate`, whose engine
(:mod:`engine`) lets PySD compute the initial states and steps code generated from PySD's
translation, on arrays of shape ``(n,)``. This module validates samples, cuts them into chunks and
sends the chunks to the engine in this process or to a Dask cluster.
"""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pandas as pd
import xarray as xr
from tqdm.auto import tqdm

from .model import Model, load_model
from .parameters import ParameterError, unknown_name_message

#: Runs evaluated together: 10,000 keeps the work arrays (80 kB each) near the CPU caches.
DEFAULT_CHUNK_SIZE = 10_000
#: With a Dask client, at least this many chunks per worker thread, so that every worker is busy...
CHUNKS_PER_THREAD = 2
#: ...but no chunk smaller than this: below it, per-task overhead outweighs the work.
MIN_DASK_CHUNK = 500


def read_samples(path) -> pd.DataFrame:
    """A samples CSV (a header of parameter names, one run a row), refused in one line naming the file
    and row when it cannot be read or a row has more or fewer fields than the header.

    A ragged file is refused rather than read as pandas would (one extra field on every row makes the
    first column the index and shifts every value one column).
    """
    try:
        with open(path, encoding="utf-8", newline="") as stream:
            text = stream.read()
        rows = csv.reader(io.StringIO(text, newline=""))
        header = next(rows, None)
        if not header:
            raise ParameterError(f"{path}: empty samples file (a header of parameter names comes first)")
        for number, row in enumerate(rows, start=2):
            if row and len(row) != len(header):
                raise ParameterError(f"{path}, line {number}: {len(row)} fields, the header has {len(header)}")
        return pd.read_csv(io.StringIO(text))
    except (OSError, UnicodeDecodeError, csv.Error, pd.errors.ParserError) as err:
        raise ParameterError(f"{path}: cannot read samples CSV: {err}") from None


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


def _evaluate_chunk(mdl_file: str, metadata_file: str | None, chunk, outputs, final_time, time_step):
    """Evaluate one ``(n, columns)`` chunk in this process (also the task sent to Dask workers)."""
    n, columns = chunk
    return load_model(mdl_file, metadata_file).evaluate(n, columns, outputs, final_time, time_step)


def chunk_size_for(n: int, client=None, chunk_size: int | None = None) -> int:
    """Runs per chunk: ``chunk_size`` if given; else :data:`DEFAULT_CHUNK_SIZE`, and with a Dask
    ``client`` small enough that every worker thread gets at least :data:`CHUNKS_PER_THREAD` chunks
    (but no chunk below :data:`MIN_DASK_CHUNK` runs).
    """
    if chunk_size is not None:
        if isinstance(chunk_size, bool) or int(chunk_size) != chunk_size or chunk_size < 1:
            raise ValueError(f"chunk_size must be a positive whole number, got {chunk_size!r}")
        return int(chunk_size)
    if client is None:
        return DEFAULT_CHUNK_SIZE
    return min(DEFAULT_CHUNK_SIZE, max(MIN_DASK_CHUNK, math.ceil(n / (CHUNKS_PER_THREAD * _threads(client)))))


def _threads(client) -> int:
    """Worker threads of a Dask cluster."""
    return max(1, sum(client.nthreads().values()))


def piece_size_for(client=None) -> int:
    """Runs per saved piece of a long, resumable ensemble (:mod:`sensitivity`): one chunk locally; with
    a Dask ``client``, enough for :func:`chunk_size_for` to give every worker thread its chunks."""
    if client is None:
        return DEFAULT_CHUNK_SIZE
    return max(DEFAULT_CHUNK_SIZE, CHUNKS_PER_THREAD * _threads(client) * MIN_DASK_CHUNK)


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
        Outputs to return (default :data:`sd_model.KPIS`; every output of a model without metadata).
    final_time, time_step : optional
        As in :func:`sd_model.run`.
    chunk_size : int, optional
        Runs evaluated together; also the unit of work sent to Dask. Default 10,000, and with a
        ``client`` small enough to give each worker thread at least two chunks (see
        :func:`chunk_size_for`).
    client : dask.distributed.Client, optional
        Send chunks to this Dask cluster; each worker loads the translated model once.
    progress : bool, optional
        Show a tqdm bar; by default it appears only for batches that take more than a second.
    model : Model, optional
        Another model (default: ``models/relocation.mdl``).

    Returns
    -------
    xarray.Dataset
        One variable per output over ``(run, year)`` (``(run, time)`` for a model without
        metadata); the given parameters are coordinates on ``run``.

    Raises
    ------
    ValueError
        For bad samples (naming the row and the parameter), unknown outputs or bad controls,
        before any run.
    """
    model = model or load_model()
    columns = sample_columns(model, samples, names)
    n = len(next(iter(columns.values()))) if columns else len(np.asarray(samples))
    if n == 0:
        raise ParameterError("samples have no rows")
    outputs = model.check_outputs(model.default_outputs if outputs is None else outputs)
    final_time, time_step = model.check_controls(final_time, time_step)
    chunk_size = chunk_size_for(n, client, chunk_size)
    bounds = [(start, min(start + chunk_size, n)) for start in range(0, n, chunk_size)]
    chunks = [(b - a, {k: v[a:b] for k, v in columns.items()}) for a, b in bounds]
    args = model.files
    bar = tqdm(total=n, unit="run", delay=0 if progress else 1.0, disable=progress is False, desc="runs")
    times = model.times(final_time, time_step)
    # Each chunk's outputs are copied into the whole batch's arrays as it arrives and then let go: the peak
    # is the result plus one chunk (100,000 runs of every output of the project's model: docs/engine.md).
    results = {} if len(chunks) == 1 else {o: np.empty((n, len(times))) for o in outputs}

    def keep(i: int, part: dict) -> None:
        a, b = bounds[i]
        for o in outputs:
            if len(chunks) == 1:
                results[o] = part[o]  # one chunk: its arrays are the batch's
            else:
                results[o][a:b] = part[o]
        bar.update(b - a)

    try:
        if client is None:
            for i, chunk in enumerate(chunks):
                keep(i, _evaluate_chunk(*args, chunk, outputs, final_time, time_step))
        else:
            from distributed import as_completed

            # One task per chunk, its samples inside the task: a graph of a few MB each, and a task
            # whose worker dies is simply run again elsewhere (scattered data would be lost with it).
            futures = [
                client.submit(
                    _evaluate_chunk,
                    *args,
                    chunk,
                    outputs=outputs,
                    final_time=final_time,
                    time_step=time_step,
                    pure=False,
                )
                for chunk in chunks
            ]
            index = {f.key: i for i, f in enumerate(futures)}
            for future in as_completed(futures):
                keep(index[future.key], future.result())
                future.release()
    finally:
        bar.close()
    axis = model.time_name
    data = {o: (("run", axis), results[o]) for o in outputs}
    coords = {"run": np.arange(n), axis: times}
    coords |= {k: ("run", v) for k, v in columns.items()}
    attrs = {"model_digest": model.digest, "time_step": time_step, "final_time": final_time}
    return xr.Dataset(data, coords=coords, attrs=attrs)
