"""The explorer's session: slider state, the story being told, callbacks, and the query string.

The views (``explorer/views/*.py``) and the frame (``app.py``) read and change the session only
through these functions; what is computed from the session's values (runs, bands, robustness, loops,
costs) is in :mod:`explorer.compute`, which never touches the session.
"""

from __future__ import annotations

import streamlit as st

from robustness import analysis as robustness
from sd_model.scenarios import ScenarioError, parse_scenario

from . import stories, urlstate
from .compute import band_sources, cached_scenarios, cached_stories, default_shown, lever_names, model
from .i18n import LANGUAGES, t

#: The views, in navigation order; the first is the default page. Each is ``explorer/views/NAME.py``.
VIEWS = ("explore", "compare", "workshop", "model", "sensitivity", "robustness", "where", "room")
#: Views with their own controls and address: no sidebar of sliders, the query string left as it is.
OWN_FRAME = ("room",)


def key(name: str) -> str:
    """Session-state key of a parameter's slider."""
    return f"p_{name}"


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
    if "posterior" not in band_sources():  # a model without a posterior
        return "ranges"
    return "ranges" if st.session_state.get("bands_full_ranges") else "posterior"


def lang() -> str:
    return st.session_state.get("lang", "en")


def apply_values(values: dict[str, float]) -> None:
    """Set every slider: the given values, defaults for the rest."""
    for p in model().parameters:
        st.session_state[key(p.name)] = float(values.get(p.name, p.default))


def current_values() -> dict[str, float]:
    return {p.name: float(st.session_state[key(p.name)]) for p in model().parameters}


def shown_outputs() -> tuple[str, ...]:
    """The outputs on the cards and charts: the model's KPIs, else those picked in the sidebar (at
    first its first stocks, :func:`explorer.compute.default_shown`)."""
    m = model()
    if m.kpis:
        return tuple(m.kpis)
    return tuple(name for name in st.session_state.get("shown_outputs", default_shown()) if name in m.output_names)


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
    if not model().kpis:
        st.session_state["shown_outputs"] = list(default_shown())
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
    levers = lever_names()
    for p in model().parameters:
        if p.name not in levers:
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
