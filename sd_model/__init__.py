"""System-dynamics model of poverty-alleviation relocation in Guangxi and what follows it.

The public API::

    import sd_model
    sd_model.parameters()          # the parameter table
    sd_model.KPIS                  # the five headline outputs
    sd_model.run({"training_coverage": 0.6})
    sd_model.load_scenario("livelihood_first")
    sd_model.cost_effectiveness({"training_coverage": 0.6})   # against policy unchanged
    sd_model.what_a_yuan_buys()                                # per lever that costs public money
    sd_model.loops({"training_coverage": 0.6}, output="employment_rate")   # loop dominance
    sd_model.load_model("models/examples/NAME/NAME.mdl")    # any Vensim model: the same calls take model=

The analyses sit above this package, side by side: :mod:`calibration` (observations, the
posterior), :mod:`robustness` (targets, levers x futures, PRIM, the robust front) and
:mod:`sensitivity` (SALib).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .batch import run_batch
from .model import KPIS, Model, Output, load_model
from .parameters import KINDS, THEMES, Parameter, ParameterError
from .paths import MODEL_FILE, beside
from .scenarios import Scenario, ScenarioError, parse_scenario, resolve_scenario_path
from .scenarios import scenario_names as _scenario_names

__all__ = [
    "KINDS",
    "KPIS",
    "MODEL_FILE",
    "OUTPUTS",
    "THEMES",
    "Model",
    "Output",
    "Parameter",
    "ParameterError",
    "Scenario",
    "ScenarioError",
    "cost_effectiveness",
    "default_model",
    "load_model",
    "load_scenario",
    "loops",
    "outputs",
    "parameter_frame",
    "parameters",
    "parse_scenario",
    "run",
    "run_batch",
    "scenario_names",
    "scenarios_dir",
    "what_a_yuan_buys",
]


def default_model() -> Model:
    """The model of ``models/relocation.mdl``, loaded once per process and again if the file changes."""
    return load_model()


def parameters(kind: str | None = None) -> list[Parameter]:
    """The parameter table, optionally only ``"lever"`` or ``"uncertainty"`` records.

    Returns
    -------
    list of Parameter
        In table order.
    """
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS} or None, got {kind!r}")
    return [p for p in default_model().parameters if kind is None or p.kind == kind]


def parameter_frame(kind: str | None = None) -> pd.DataFrame:
    """The parameter table (optionally one kind) as a DataFrame, one row per parameter, index ``name``."""
    return pd.DataFrame([vars(p) for p in parameters(kind)]).set_index("name")


def outputs() -> list[Output]:
    """Records of the output columns of :func:`run`."""
    return list(default_model().outputs)


def run(params=None, *, final_time=None, time_step=None) -> pd.DataFrame:
    """Run the model once with PySD; see :meth:`Model.run`."""
    return default_model().run(params, final_time=final_time, time_step=time_step)


def cost_effectiveness(params=None) -> dict[str, float]:
    """Extra fiscal cost and what it buys against policy unchanged; see :func:`sd_model.costs.cost_effectiveness`."""
    from . import costs

    return costs.cost_effectiveness(default_model(), params)


def what_a_yuan_buys(params=None, *, share: float = 0.1) -> pd.DataFrame:
    """What a yuan buys through each lever that costs public money; see :func:`sd_model.costs.what_a_yuan_buys`."""
    from . import costs

    return costs.what_a_yuan_buys(default_model(), params, share=share)


def loops(params=None, *, output: str | None = None, model: Model | None = None) -> pd.DataFrame:
    """Loop dominance (pysimlin's Loops that Matter) for ``params``: every loop's relative score in
    every saved year, named by ``models/loops.toml``; with ``output``, only the loops that drive it.
    See :func:`sd_model.loop_dominance.loops`.

    Examples
    --------
    >>> scores = sd_model.loops({"training_coverage": 0.6}, output="employment_rate")  # doctest: +SKIP
    """
    from . import loop_dominance

    return loop_dominance.loops(params, output=output, model=model)


def load_scenario(name_or_path: str | Path, model: Model | None = None) -> Scenario:
    """Load and validate a scenario by name (from the ``scenarios/`` folder beside the model) or by path.

    Raises
    ------
    ScenarioError
        A ``ValueError`` naming the file, the key and the problem.
    """
    model = model or default_model()
    path = resolve_scenario_path(name_or_path, scenarios_dir(model))
    return parse_scenario(path.read_bytes(), model.validate, source=str(path))


def scenario_names(model: Model | None = None) -> list[str]:
    """Names of the scenarios in the ``scenarios/`` folder beside the model (the project's by default),
    baseline first."""
    return _scenario_names(scenarios_dir(model or default_model()))


def scenarios_dir(model: Model) -> Path:
    """The folder of a model's named scenarios: ``scenarios/`` beside its ``.mdl``."""
    return beside(model.mdl_file, "scenarios")


def __getattr__(name):
    if name == "OUTPUTS":
        return default_model().output_names
    raise AttributeError(f"module 'sd_model' has no attribute {name!r}")
