"""The explorer's session: cached model and runs, slider state, callbacks, and the query string.

Everything here may call Streamlit. The views (``explorer/views/*.py``) and the frame (``app.py``)
read and change the session only through these functions.
"""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

import sd_model
from sd_model import costs, loop_dominance
from sd_model.scenarios import Scenario, ScenarioError, parse_scenario
from sd_model.structure import Structure, structure
from sd_model.words import box_sentence
from sensitivity import robustness
from sensitivity.experiments import futures
from sensitivity.targets import read_targets

from . import ensemble, stories, urlstate
from .i18n import LANGUAGES, t

#: The views, in navigation order; the first is the default page. Each is ``explorer/views/NAME.py``.
VIEWS = ("explore", "compare", "workshop", "model", "sensitivity", "robustness")
#: Futures behind the bands and the robustness strip (one batch per lever setting).
ENSEMBLE_RUNS = 500
#: Futures of the robustness view (scenarios compared, PRIM on the current setting).
ROBUSTNESS_RUNS = 500


def key(name: str) -> str:
    """Session-state key of a parameter's slider."""
    return f"p_{name}"


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


def on_load_front_member() -> None:
    """Load the chosen member of the robust front into the sliders."""
    name = st.session_state.get("front_member")
    path = robustness.BUNDLED_FRONT_DIR / "scenarios" / f"{name}.toml"
    try:
        scenario = parse_scenario(path.read_bytes(), model().validate, source=path.name)
    except (OSError, ScenarioError) as err:
        st.session_state["import_message"] = ("error", t("import_error", lang(), error=str(err)))
        return
    st.session_state["preset"] = "baseline"
    apply_values(scenario.parameters)
    st.session_state["import_message"] = ("success", t("front_loaded", lang(), name=scenario.title(lang())))


def band_source() -> str:
    """Where the bands' futures come from: the posterior, or the full ranges when the stress test is on."""
    return "ranges" if st.session_state.get("bands_full_ranges") else "posterior"


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


def lang() -> str:
    return st.session_state.get("lang", "en")


def labels(language: str) -> dict[str, str]:
    """Output name to label in ``language``."""
    return {o.name: o.label(language) for o in model().outputs}


def apply_values(values: dict[str, float]) -> None:
    """Set every slider: the given values, defaults for the rest."""
    for p in model().parameters:
        st.session_state[key(p.name)] = float(values.get(p.name, p.default))


def current_values() -> dict[str, float]:
    return {p.name: float(st.session_state[key(p.name)]) for p in model().parameters}


def preset_values() -> dict[str, float]:
    preset = cached_scenarios().get(st.session_state.get("preset", "baseline"))
    return model().defaults() | (preset.parameters if preset else {})


def init_state() -> str | None:
    """First run of a session: restore the scenario from the query string, with warnings.

    Returns
    -------
    str or None
        The view an old-style link (``?view=NAME``) asks for, to switch to once the pages exist.
    """
    if st.session_state.get("_initialised"):
        return None
    st.session_state["_initialised"] = True
    params, settings, warnings = urlstate.parse_query(st.query_params.to_dict(), model().parameter_table)
    preset = settings.get("preset", "baseline")
    if preset not in cached_scenarios():
        warnings.append(f"unknown preset {preset!r}")
        preset = "baseline"
    st.session_state["preset"] = preset
    language = settings.get("lang", "en")
    if language not in LANGUAGES:
        warnings.append(f"lang {language!r} is not one of {', '.join(LANGUAGES)}")
        language = "en"
    st.session_state["lang"] = language
    view = settings.get("view")
    if view is not None and view not in VIEWS:
        warnings.append(f"view {view!r} is not one of {', '.join(VIEWS)}")
        view = None
    story = settings.get("story")
    if story in cached_stories():
        st.session_state["story"] = story
    elif story is not None:
        warnings.append(f"unknown story {story!r}; stories: {', '.join(cached_stories())}")
    apply_values(preset_values() | params)
    st.session_state["_link_has_values"] = bool(params)
    st.session_state["link_warnings"] = warnings
    return view


def enter_view(view: str) -> None:
    """Called on every run with the page shown: a workshop entered starts its story.

    A workshop link that carries slider values keeps them (a shared link restores what it holds).
    """
    previous = st.session_state.get("_view")
    st.session_state["_view"] = view
    if view == "workshop" and previous != "workshop":
        keep_link_values = previous is None and st.session_state.get("_link_has_values")
        st.session_state.setdefault("story", next(iter(cached_stories()), None))
        if not keep_link_values:
            apply_story_step()


def write_query(view: str) -> None:
    """Keep the query string equal to the current state (non-defaults, preset, language, story).

    The view itself is the page's address (``/compare``), not a query key.
    """
    table = model().parameter_table
    values = current_values()
    base = preset_values()
    settings = {
        "preset": st.session_state["preset"] if st.session_state["preset"] != "baseline" else "",
        "lang": lang() if lang() != "en" else "",
        "story": st.session_state.get("story", "") if view == "workshop" else "",
    }
    query = urlstate.to_query(values, table, settings)
    for name, value in values.items():  # values the preset would change on load, but are at default now
        if name not in query and base[name] != value:
            query[name] = urlstate.format_value(value)
    if query != st.query_params.to_dict():
        st.query_params.from_dict(query)


# ---------------------------------------------------------------- callbacks (run before the script)


def on_preset() -> None:
    apply_values(preset_values())


def on_reset(name: str) -> None:
    st.session_state[key(name)] = model().parameter_table[name].default


def on_reset_assumptions() -> None:
    for p in model().parameters:
        if p.kind != "lever":
            st.session_state[key(p.name)] = p.default


def on_reset_all() -> None:
    st.session_state["preset"] = "baseline"
    apply_values({})


def on_import() -> None:
    upload = st.session_state.get("import_file")
    st.session_state.pop("import_message", None)
    if upload is None:
        return
    try:
        scenario = parse_scenario(upload.getvalue(), model().validate, source=upload.name)
    except ScenarioError as err:
        st.session_state["import_message"] = ("error", t("import_error", lang(), error=str(err)))
        return
    st.session_state["preset"] = "baseline"
    apply_values(scenario.parameters)
    st.session_state["import_message"] = ("success", t("imported", lang(), name=scenario.name))


def current_story() -> stories.Story | None:
    return cached_stories().get(st.session_state.get("story"))


def story_step() -> int:
    """Index of the current step of the current story (0 without one)."""
    story = current_story()
    if story is None:
        return 0
    return min(st.session_state.get("story_step", 0), len(story.steps) - 1)


def apply_story_step() -> None:
    story = current_story()
    if story is None:
        return
    st.session_state["story_step"] = story_step()
    st.session_state["preset"] = "baseline"
    apply_values(story.steps[story_step()].parameters)


def on_story_move(delta: int) -> None:
    st.session_state["story_step"] = st.session_state.get("story_step", 0) + delta
    apply_story_step()


def on_story_change() -> None:
    st.session_state["story_step"] = 0
    apply_story_step()


def locked_names(view: str) -> set[str]:
    """Parameters the current workshop step locks (none outside the workshop)."""
    story = current_story()
    if view != "workshop" or story is None:
        return set()
    return set(story.steps[story_step()].locked)
