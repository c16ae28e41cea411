"""Sensitivity analysis with SALib, of the relocation model or any :class:`sd_model.Model` (``model=``).

Every method reads one SALib problem derived from the model's parameter table and evaluates the model
only through ``sd_model.run_batch``. Each function returns an ``xarray.Dataset`` of indices over
``(output, year, parameter)`` (with ``*_conf`` half-widths of 95 % confidence intervals); with
``out=DIR`` it also writes tidy CSV/NetCDF, samples, outputs, a manifest, charts and a report.

    import sensitivity
    ds = sensitivity.sobol(n=1024, outputs=["employment_rate"], seed=1)
"""

from __future__ import annotations

from functools import partial

from .methods import METHODS
from .pipeline import run_analysis

__all__ = ["METHODS", "fast", "morris", "pawn", "run_analysis", "sobol"]

sobol = partial(run_analysis, "sobol")
sobol.__doc__ = "Sobol' first, total (and with second_order=True, second) order indices with bootstrap CIs."
morris = partial(run_analysis, "morris")
morris.__doc__ = "Morris screening: mu*, sigma and mu with bootstrap CIs of mu* and sigma."
fast = partial(run_analysis, "fast")
fast.__doc__ = "eFAST first and total order indices."
pawn = partial(run_analysis, "pawn")
pawn.__doc__ = "PAWN density-free indices (median and maximum KS statistic over conditioning intervals)."
