"""The futures at fixed lever settings: uncertainty bands of the KPIs and the robustness strip.

By default the futures are draws from the bundled posterior (:func:`calibration.posterior_draws`): as
wide as the public figures still leave open. ``source="ranges"`` draws every uncertainty and
historical setting uniformly over its full range instead, a stress test as wide as our guesses.
One :func:`sd_model.run_batch` call gives both the bands and the share of futures that meet each
target of ``models/targets.toml``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import sd_model
from robustness.experiments import futures, run_experiment
from robustness.targets import read_targets, target_outputs, time_axis

QUANTILES = {"q05": 0.05, "q25": 0.25, "q50": 0.5, "q75": 0.75, "q95": 0.95}
#: Where the futures of the bands come from.
SOURCES = ("posterior", "ranges")


def uncertainty_samples(
    n: int, seed: int, source: str = "posterior", model: sd_model.Model | None = None
) -> pd.DataFrame:
    """``n`` futures: posterior draws, or a Latin-hypercube sample uniform over the full ranges.

    Both cover every uncertainty and every historical setting (the parameters the posterior calibrates).
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    return futures(n, seed, prior=source == "ranges", model=model)


def futures_run(
    levers: dict[str, float],
    *,
    n: int,
    seed: int = 2016,
    source: str = "posterior",
    targets=None,
    model: sd_model.Model | None = None,
    outputs=None,
    objectives=None,
):
    """The KPIs (or ``outputs``) and what the targets read, over ``n`` futures with ``levers`` fixed (one batch).

    Returns
    -------
    bands : pandas.DataFrame
        Columns year (the model's time axis: ``time`` for a model on its own time units), kpi, q05,
        q25, q50, q75, q95.
    shares : pandas.Series
        Share of the futures meeting each target (and ``all``), indexed by target name.
    """
    targets = read_targets(model=model) if targets is None else targets
    shown = list(sd_model.KPIS if outputs is None else outputs)
    outputs = list(dict.fromkeys(shown + target_outputs(targets)))
    worlds = uncertainty_samples(n, seed, source, model)
    experiment = run_experiment([levers], worlds, outputs, model=model, objectives=objectives)
    dataset = experiment.data
    axis = time_axis(dataset)
    parts = []
    for kpi in shown:
        values = dataset[kpi].values
        stats = {key: np.quantile(values, q, axis=0) for key, q in QUANTILES.items()}
        parts.append(pd.DataFrame({axis: dataset[axis].values, "kpi": kpi, **stats}))
    met = experiment.margins(targets) >= 0
    shares = pd.concat([met.mean(), pd.Series({"all": met.all(axis=1).mean()})])
    return pd.concat(parts, ignore_index=True), shares


def bands(
    levers: dict[str, float],
    *,
    n: int = 200,
    seed: int = 2016,
    source: str = "posterior",
    model: sd_model.Model | None = None,
) -> pd.DataFrame:
    """Quantiles of the KPIs over ``n`` futures (see :func:`uncertainty_samples`) with ``levers`` fixed.

    Returns
    -------
    DataFrame
        Columns year, kpi, q05, q25, q50, q75, q95.
    """
    return futures_run(levers, n=n, seed=seed, source=source, model=model)[0]
