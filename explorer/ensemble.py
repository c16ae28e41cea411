"""Uncertainty bands: a Monte-Carlo ensemble over the uncertainties at fixed lever settings."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import qmc

import sd_model

QUANTILES = {"q05": 0.05, "q25": 0.25, "q50": 0.5, "q75": 0.75, "q95": 0.95}


def uncertainty_samples(n: int, seed: int) -> pd.DataFrame:
    """Latin-hypercube sample of every uncertainty, uniform over its bounds."""
    table = sd_model.parameters("uncertainty")
    unit = qmc.LatinHypercube(d=len(table), seed=seed).random(n)
    values = qmc.scale(unit, [p.low for p in table], [p.high for p in table])
    return pd.DataFrame(values, columns=[p.name for p in table])


def bands(levers: dict[str, float], *, n: int = 200, seed: int = 2016) -> pd.DataFrame:
    """Quantiles of the KPIs over ``n`` runs of the uncertainties with ``levers`` fixed.

    Returns
    -------
    DataFrame
        Columns year, kpi, q05, q25, q50, q75, q95.
    """
    samples = uncertainty_samples(n, seed)
    for name, value in levers.items():
        samples[name] = value
    dataset = sd_model.run_batch(samples, progress=False)
    parts = []
    for kpi in sd_model.KPIS:
        values = dataset[kpi].values
        stats = {key: np.quantile(values, q, axis=0) for key, q in QUANTILES.items()}
        parts.append(pd.DataFrame({"year": dataset.year.values, "kpi": kpi, **stats}))
    return pd.concat(parts, ignore_index=True)
