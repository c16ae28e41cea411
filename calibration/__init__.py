"""Calibration with its uncertainty: the observations a model is fitted to, the posterior sampled by
sequential Monte Carlo with emcee moves, and its report.

The observations are declared in a calibration file beside the model (``models/calibration.toml`` for
the project's model; :mod:`calibration.observations`); the posterior of the project's model is bundled
in ``data/posterior/``::

    import calibration
    futures = calibration.posterior_draws(1000, seed=1)   # what the public figures still allow
    posterior = calibration.calibrate_posterior()         # sample it again
"""

from __future__ import annotations

from .observations import read_observations
from .posterior import calibrate_posterior, posterior_draws, prior_draws

__all__ = ["calibrate_posterior", "posterior_draws", "prior_draws", "read_observations"]
