"""Uncertainty bands: an ensemble over the assumptions at fixed lever settings.

By default the futures are draws from the bundled posterior (:func:`sd_model.posterior_draws`): as
wide as the public figures still leave open. ``source="ranges"`` draws every uncertainty and
historical setting uniformly over its full range instead, a stress test as wide as our guesses.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import sd_model
from sd_model.posterior import posterior_draws, prior_draws

QUANTILES = {"q05": 0.05, "q25": 0.25, "q50": 0.5, "q75": 0.75, "q95": 0.95}
#: Where the futures of the bands come from.
SOURCES = ("posterior", "ranges")


def uncertainty_samples(n: int, seed: int, source: str = "posterior") -> pd.DataFrame:
    """``n`` futures: posterior draws, or a Latin-hypercube sample uniform over the full ranges.

    Both cover every uncertainty and every historical setting (the parameters the posterior calibrates).
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    model = sd_model.default_model()
    return posterior_draws(n, seed, model=model) if source == "posterior" else prior_draws(n, seed, model=model)


def bands(levers: dict[str, float], *, n: int = 200, seed: int = 2016, source: str = "posterior") -> pd.DataFrame:
    """Quantiles of the KPIs over ``n`` futures (see :func:`uncertainty_samples`) with ``levers`` fixed.

    Returns
    -------
    DataFrame
        Columns year, kpi, q05, q25, q50, q75, q95.
    """
    samples = uncertainty_samples(n, seed, source)
    for name, value in levers.items():
        samples[name] = value
    dataset = sd_model.run_batch(samples, progress=False)
    parts = []
    for kpi in sd_model.KPIS:
        values = dataset[kpi].values
        stats = {key: np.quantile(values, q, axis=0) for key, q in QUANTILES.items()}
        parts.append(pd.DataFrame({"year": dataset.year.values, "kpi": kpi, **stats}))
    return pd.concat(parts, ignore_index=True)
