"""One experiment for every question about futures: lever settings × futures → runs → margins.

The explorer's bands and robustness strip, the robustness comparison of scenarios and the optimiser's
search all ask it: each setting (levers, and any assumption it fixes) is run in every future of the
same set, in one :func:`sd_model.run_batch` call (locally or on Dask). A setting leaves the levers it
does not name at their defaults; each run's policy year is the one its setting gives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

import sd_model
from calibration.posterior import posterior_draws, prior_draws

from .targets import Objectives, margins, read_objectives, time_axis


def futures(n: int, seed: int, *, prior: bool = False, model: sd_model.Model | None = None) -> pd.DataFrame:
    """``n`` futures: posterior draws, or with ``prior`` a Latin hypercube over the full ranges."""
    model = model or sd_model.default_model()
    return prior_draws(n, seed, model=model) if prior else posterior_draws(n, seed, model=model)


@dataclass(frozen=True)
class Experiment:
    """The runs of ``settings`` × ``futures``: setting ``i`` in future ``j`` is run ``i * futures + j``."""

    data: xr.Dataset
    policy_year: np.ndarray
    settings: int
    futures: int
    cost_output: str | None = None

    def margins(self, targets) -> pd.DataFrame:
        """Each target's margin in each run (see :func:`robustness.targets.margins`)."""
        return margins(self.data, targets, self.policy_year)

    def final_cost(self) -> np.ndarray:
        """The cost output (for the project's model the cumulative fiscal cost) at the final time, each
        run; NaN where the targets file names no cost output."""
        if self.cost_output is None:
            return np.full(self.data.sizes["run"], np.nan)
        return self.data[self.cost_output].isel({time_axis(self.data): -1}).values

    def per_setting(self, values) -> np.ndarray:
        """A value per run as a ``(settings, futures)`` array."""
        return np.asarray(values).reshape(self.settings, self.futures)


def run_experiment(
    settings: Sequence[Mapping[str, float]],
    worlds: pd.DataFrame,
    outputs: Sequence[str],
    *,
    final_time: float | None = None,
    client=None,
    model: sd_model.Model | None = None,
    objectives: Objectives | None = None,
) -> Experiment:
    """Run every setting in every future of ``worlds``.

    Parameters
    ----------
    settings : sequence of mappings
        Parameter name to value: levers (the others at their defaults) and any assumption a
        setting fixes (it overrides the future's value).
    worlds : pandas.DataFrame
        One future a row: values of uncertainties and historical settings.
    outputs : sequence of str
        The outputs to keep.
    final_time, client, model
        As in :func:`sd_model.run_batch` (default: the model's FINAL TIME).
    objectives : Objectives, optional
        The cost output (kept with ``outputs``) and the policy parameter (each run's policy time) of
        the targets file; default: those of the targets file beside the model.
    """
    model = model or sd_model.default_model()
    objectives = objectives if objectives is not None else read_objectives(model=model)
    if objectives.cost_output:
        outputs = list(dict.fromkeys([*outputs, objectives.cost_output]))
    defaults = model.defaults()
    levers = [p.name for p in model.parameters if p.kind == "lever"]
    blocks = []
    for params in settings:
        block = worlds.copy()
        for name in levers:
            block[name] = float(params.get(name, defaults[name]))
        for name, value in params.items():
            block[name] = float(value)
        blocks.append(block)
    samples = pd.concat(blocks, ignore_index=True)
    data = sd_model.run_batch(
        samples, outputs=list(outputs), final_time=final_time, client=client, progress=False, model=model
    )
    policy = objectives.policy_parameter
    start = samples[policy].to_numpy() if policy else np.full(len(samples), float(model.times()[0]))
    return Experiment(data, start, len(blocks), len(worlds), objectives.cost_output)
