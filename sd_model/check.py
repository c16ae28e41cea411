"""Does the fast engine run a model? PySD's own run against the generated loop, column by column.

``python -m sd_model check --mdl PATH [PATH ...]`` and :func:`check_model` answer it for any
``.mdl``: ``equal`` (every column at every saved time within a relative 1e-9 of PySD's, NaN where
PySD has NaN), ``refused`` (the engine named a construct it has no form for), ``differs`` (a bug:
please report it) or ``pysd-fails`` (PySD itself does not run the model, so there is nothing to
compare with).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Relative difference from PySD allowed on every column and saved time.
TOLERANCE = 1e-9


@dataclass(frozen=True)
class Check:
    """The verdict on one model."""

    model: str
    status: str  # "equal", "refused", "differs" or "pysd-fails"
    detail: str  # the refusal, the first differing column, or PySD's error
    subscripted: bool | None  # None when PySD could not translate or run it
    columns: int = 0
    compiled: str = ""  # "yes", or why the NumPy loop ran it (the engine's CompiledFallbackWarning)


def relative_error(got: np.ndarray, want: np.ndarray) -> float:
    """Largest difference over the largest magnitude of ``want`` (1e-12 at least), NaNs left out."""
    return float(np.nanmax(np.abs(got - want), initial=0) / max(np.nanmax(np.abs(want), initial=0), 1e-12))


def check_model(mdl_file: str | Path, runs: int = 2) -> Check:
    """Run ``mdl_file`` at its own settings with PySD and with the engine (``runs`` copies in one
    batch) and compare every column at every saved time. An error of the engine other than a
    refusal is raised, not reported: it is a bug."""
    from engine.compiled import CompiledFallbackWarning
    from engine.translation import ModelFileError, load_pysd, translated_file

    from .batch import run_batch
    from .model import Model

    name = str(mdl_file)
    try:  # PySD alone: if it cannot translate and run the model, there is nothing to compare with
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            load_pysd(translated_file(mdl_file)).run(progress=False)
    except ModelFileError as err:  # not a model at all: the reason is already one line
        return Check(name, "pysd-fails", str(err), None)
    except Exception as err:
        return Check(name, "pysd-fails", f"{type(err).__name__}: {err}".splitlines()[0][:200], None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = Model(mdl_file)
        subscripted = model.engine.arrays
        try:
            batch = run_batch(np.zeros((runs, 0)), names=[], model=model, progress=False)
        except NotImplementedError as err:
            return Check(name, "refused", str(err), subscripted, len(model.output_names))
        reference = model.run_pysd()
    fallbacks = [str(w.message) for w in caught if w.category is CompiledFallbackWarning]
    verdict = dict(subscripted=subscripted, columns=len(model.output_names), compiled=(fallbacks or ["yes"])[0])
    for output in model.output_names:
        want = reference[output].to_numpy(dtype=float)
        for run in range(runs):
            got = batch[output].values[run]
            if got.shape != want.shape or not np.array_equal(np.isnan(got), np.isnan(want)):
                return Check(name, "differs", f"{output}: saved times or NaNs differ", **verdict)
            error = relative_error(got, want)
            if error > TOLERANCE:
                return Check(name, "differs", f"{output}: off by {error:.3g}", **verdict)
    return Check(name, "equal", "", **verdict)
