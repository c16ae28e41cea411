"""Robust policy: which lever settings meet their targets in most plausible futures, at what cost, and
where they fail.

One experiment (:mod:`robustness.experiments`: lever settings x futures -> runs -> margins) serves
every question: the comparison of scenarios with regret and PRIM boxes (:mod:`robustness.analysis`),
the robust front (:mod:`robustness.optimize`, NSGA-II), their report (:mod:`robustness.report`), and
the explorer's bands and strip. Targets, the cost output and the policy parameter are declared in a
targets file beside the model (:mod:`robustness.targets`)::

    import robustness
    table = robustness.robustness({"training_coverage": 0.6}, n=500)
"""

from __future__ import annotations

from .analysis import robustness
from .experiments import futures, run_experiment
from .targets import read_objectives, read_targets

__all__ = ["futures", "read_objectives", "read_targets", "robustness", "run_experiment"]
