"""The explorer's computations: the model, its runs and everything derived from them, cached.

Nothing here reads or writes the session (``st.session_state``) or the query string: each function
takes the values it computes from and Streamlit caches the result by them (``st.cache_data``,
``st.cache_resource``), so every visitor shares one cache. The session, its callbacks and the link
live in :mod:`explorer.state`.
"""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

import sd_model
from robustness import analysis as robustness
from robustness.experiments import futures
from robustness.targets import read_targets
from sd_model import costs, loop_dominance
from sd_model.scenarios import Scenario
from sd_model.structure import Structure, structure
from sd_model.words import box_sentence

from . import ensemble, stories
from .i18n import t

#: Futures behind the bands and the robustness strip (one batch per lever setting).
ENSEMBLE_RUNS = 500
#: Futures of the robustness view (scenarios compared, PRIM on the current setting).
ROBUSTNESS_RUNS = 500


@st.cache_resource(show_spinner=False)
def model() -> sd_model.Model:
    return sd_model.default_model()


@st.cache_data(max_entries=512, show_spinner=False)
def cached_run(items: tuple[tuple[str, float], ...]) -> pd.DataFrame:
    return model().run(dict(items))


@st.cache_data(max_entries=128, show_spinner=False)
def cached_futures(levers: tuple[tuple[str, float], ...], source: str = "posterior") -> tuple[pd.DataFrame, pd.Series]:
    """Bands of the KPIs and the share of futures meeting each target, at these levers."""
    return ensemble.futures_run(dict(levers), n=ENSEMBLE_RUNS, source=source, targets=cached_targets())


@st.cache_resource(show_spinner=False)
def cached_targets() -> list:
    return read_targets(model=model())


@st.cache_data(show_spinner=False)
def cached_scenario_robustness() -> pd.DataFrame:
    """Robustness of every named scenario over the same posterior futures."""
    scenarios = {name: s.parameters for name, s in cached_scenarios().items()}
    return robustness.robustness(scenarios=scenarios, targets=cached_targets(), n=ROBUSTNESS_RUNS, seed=0)


@st.cache_data(max_entries=32, show_spinner=False)
def cached_failure_boxes(levers: tuple[tuple[str, float], ...], language: str) -> list[str]:
    """Sentences from PRIM: where the current setting misses every target, and its most-missed target."""
    targets = cached_targets()
    worlds = futures(ROBUSTNESS_RUNS, 0)
    frame = robustness.evaluate({"current": dict(levers)}, worlds, targets)
    shares = {x.name: float((frame[x.name] < 0).mean()) for x in targets}
    worst = max(shares, key=shares.get)
    labels = {x.name: x.short(language) for x in targets} | {"all": t("all_targets", language)}
    sentences = []
    for name in dict.fromkeys(["all", worst]):
        miss = (frame[name] < 0).to_numpy()
        if name != "all" and miss.mean() < robustness.PRIM_MIN_SHARE:
            continue
        box = robustness.prim_box(worlds, miss)
        sentences.append(box_sentence(t("rob_current", language), labels[name], float(miss.mean()), box,
                                                 model().parameter_table, worlds, language))  # fmt: skip
    return sentences


@st.cache_data(max_entries=64, show_spinner=False)
def cached_loops(items: tuple[tuple[str, float], ...]) -> tuple[pd.DataFrame, dict]:
    """pysimlin's loop scores for a full set of parameter values (only those off their defaults are written)."""
    defaults = model().defaults()
    return loop_dominance.loop_scores({k: v for k, v in items if v != defaults[k]}, model=model(), table=cached_loop_table())


@st.cache_resource(show_spinner=False)
def cached_loop_table() -> list:
    return loop_dominance.read_loop_table()


@st.cache_resource(show_spinner=False)
def cached_loop_periods() -> tuple[tuple[int, int], ...]:
    """The periods of the loop story (``models/loops.toml``), read once."""
    return loop_dominance.read_periods()


@st.cache_data(max_entries=128, show_spinner=False)
def cached_variables(items: tuple[tuple[str, float], ...], names: tuple[str, ...]) -> pd.DataFrame:
    """Any model variables (Vensim names) of the run of these parameter values, one row per year."""
    frame = model().run_variables(dict(items), variables=list(names))
    frame.index = frame.index.round().astype(int)
    return frame


def bundled_front() -> pd.DataFrame | None:
    """The robust front of ``data/robustness/`` if it was made for this model, else None."""
    folder = robustness.BUNDLED_FRONT_DIR
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("model_digest") != model().digest:
        return None
    return pd.read_csv(folder / "front.csv")


def scenario_effect(values: dict[str, float]) -> dict[str, float]:
    """The scenario's cost-effectiveness against policy unchanged, from the cached runs of both
    (:func:`sd_model.costs.cost_effectiveness` without running them again)."""
    return costs.effects(run_of(values), policy_baseline(values), values["policy_year"])


@st.cache_data(max_entries=64, show_spinner=False)
def cached_yuan_buys(items: tuple[tuple[str, float], ...]) -> pd.DataFrame:
    """What a yuan buys per lever from these settings."""
    return costs.what_a_yuan_buys(model(), dict(items))


@st.cache_data(show_spinner=False)
def cached_scenarios() -> dict[str, Scenario]:
    return {name: sd_model.load_scenario(name) for name in sd_model.scenario_names()}


@st.cache_resource(show_spinner=False)
def cached_structure() -> Structure:
    return structure(model().mdl_file)


@st.cache_data(show_spinner=False)
def cached_story_files() -> tuple[dict[str, stories.Story], dict[str, str]]:
    """The stories that read, and the problem of each file that does not (shown on the Workshop page)."""
    return stories.load_stories(model())


def cached_stories() -> dict[str, stories.Story]:
    return cached_story_files()[0]


def run_of(values: dict[str, float]) -> pd.DataFrame:
    """The (cached) run of a full set of parameter values."""
    return cached_run(tuple(sorted(values.items())))


def baseline() -> pd.DataFrame:
    """The reference baseline: the (cached) run with every parameter at its default."""
    return cached_run(())


def changed_assumptions(values: dict[str, float]) -> dict[str, float]:
    """The assumptions in ``values`` (uncertainties and historical settings) that differ from their defaults."""
    return {p.name: values[p.name] for p in model().parameters if p.kind != "lever" and values[p.name] != p.default}


def policy_baseline(values: dict[str, float]) -> pd.DataFrame:
    """The baseline a policy is measured against: every lever at its default, the assumptions of
    ``values`` (a "modified business-as-usual" that follows the assumptions, as En-ROADS keeps it)."""
    return cached_run(tuple(sorted(changed_assumptions(values).items())))


def with_assumptions(params: dict[str, float], values: dict[str, float]) -> pd.DataFrame:
    """The run of a scenario's ``params`` under the assumptions of ``values``."""
    return cached_run(tuple(sorted((changed_assumptions(values) | dict(params)).items())))


def labels(language: str) -> dict[str, str]:
    """Output name to label in ``language``."""
    return {o.name: o.label(language) for o in model().outputs}
