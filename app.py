"""The explorer: Streamlit sliders over the relocation model, with Altair charts.

Run with ``make run`` (``streamlit run app.py`` underneath). Everything shown is derived from the
parameter table (``sd_model.parameters()``), the named scenarios and the stories in ``models/``.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

import sd_model
from explorer import charts, ensemble, stories, urlstate
from explorer.exchange import current_scenario
from explorer.i18n import LANGUAGES, sector_name, t
from explorer.structure import sector_dot
from sd_model import sketch
from sd_model.mdl import read_equations
from sd_model.paths import ROOT
from sd_model.scenarios import Scenario, ScenarioError, parse_scenario

VIEWS = ("explore", "compare", "workshop", "model", "sensitivity")
THEMES = ("relocation", "livelihood", "assets", "governance")
ENSEMBLE_RUNS = 200
# Workshop mode: large type in the main area only (a room reads it from a projector).
LARGE_TYPE = (
    "<style>[data-testid='stMain'] .stMarkdown p {font-size: 1.45rem !important; line-height: 1.5;}"
    " [data-testid='stMain'] h2 {font-size: 2.6rem !important;}"
    " [data-testid='stMain'] [data-testid='stMetricValue'] {font-size: 3rem !important;}</style>"
)
RESULTS_DIR = Path(os.environ.get("SENSITIVITY_RESULTS", ROOT / "sensitivity_results"))


def key(name: str) -> str:
    """Session-state key of a parameter's slider."""
    return f"p_{name}"


@st.cache_resource
def model() -> sd_model.Model:
    return sd_model.default_model()


@st.cache_data(max_entries=512, show_spinner=False)
def cached_run(items: tuple[tuple[str, float], ...]) -> pd.DataFrame:
    return model().run(dict(items))


@st.cache_data(max_entries=128, show_spinner=False)
def cached_bands(levers: tuple[tuple[str, float], ...]) -> pd.DataFrame:
    return ensemble.bands(dict(levers), n=ENSEMBLE_RUNS)


@st.cache_data(show_spinner=False)
def cached_scenarios() -> dict[str, Scenario]:
    return {name: sd_model.load_scenario(name) for name in sd_model.scenario_names()}


@st.cache_resource(show_spinner=False)
def cached_structure() -> sketch.Structure:
    return sketch.structure(model().mdl_file)


@st.cache_data(show_spinner=False)
def cached_stories() -> dict[str, stories.Story]:
    return {name: stories.load_story(stories.STORIES_DIR / f"{name}.toml", model()) for name in stories.story_names()}


def lang() -> str:
    return st.session_state.get("lang", "en")


def apply_values(values: dict[str, float]) -> None:
    """Set every slider: the given values, defaults for the rest."""
    for p in model().parameters:
        st.session_state[key(p.name)] = float(values.get(p.name, p.default))


def current_values() -> dict[str, float]:
    return {p.name: float(st.session_state[key(p.name)]) for p in model().parameters}


def preset_values() -> dict[str, float]:
    preset = cached_scenarios().get(st.session_state.get("preset", "baseline"))
    return model().defaults() | (preset.parameters if preset else {})


def init_state() -> None:
    """First run of a session: restore the scenario from the query string, with warnings."""
    if st.session_state.get("_initialised"):
        return
    st.session_state["_initialised"] = True
    params, settings, warnings = urlstate.parse_query(st.query_params.to_dict(), model().parameter_table)
    preset = settings.get("preset", "baseline")
    if preset not in cached_scenarios():
        warnings.append(f"unknown preset {preset!r}")
        preset = "baseline"
    st.session_state["preset"] = preset
    for name, options in (("lang", tuple(LANGUAGES)), ("view", VIEWS)):
        value = settings.get(name, options[0])
        if value not in options:
            warnings.append(f"{name} {value!r} is not one of {', '.join(options)}")
            value = options[0]
        st.session_state[name] = value
    story = settings.get("story")
    if story in cached_stories():
        st.session_state["story"] = story
    elif story is not None:
        warnings.append(f"unknown story {story!r}; stories: {', '.join(cached_stories())}")
    apply_values(preset_values() | params)
    if st.session_state["view"] == "workshop" and not params:  # a workshop link without values starts the story
        on_view()
    st.session_state["link_warnings"] = warnings


def write_query() -> None:
    """Keep the query string equal to the current state (non-defaults, preset, language, view)."""
    table = model().parameter_table
    values = current_values()
    base = preset_values()
    settings = {
        "preset": st.session_state["preset"] if st.session_state["preset"] != "baseline" else "",
        "lang": lang() if lang() != "en" else "",
        "view": st.session_state["view"] if st.session_state["view"] != "explore" else "",
        "story": st.session_state.get("story", "") if st.session_state["view"] == "workshop" else "",
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


def apply_story_step() -> None:
    story = cached_stories().get(st.session_state.get("story"))
    if story is None:
        return
    step = min(st.session_state.get("story_step", 0), len(story.steps) - 1)
    st.session_state["story_step"] = step
    st.session_state["preset"] = "baseline"
    apply_values(story.steps[step].parameters)


def on_story_move(delta: int) -> None:
    st.session_state["story_step"] = st.session_state.get("story_step", 0) + delta
    apply_story_step()


def on_story_change() -> None:
    st.session_state["story_step"] = 0
    apply_story_step()


def on_view() -> None:
    if st.session_state["view"] == "workshop":
        st.session_state.setdefault("story", next(iter(cached_stories()), None))
        apply_story_step()


# ---------------------------------------------------------------- sidebar


def locked_names() -> set[str]:
    if st.session_state.get("view") != "workshop":
        return set()
    story = cached_stories().get(st.session_state.get("story"))
    if story is None:
        return set()
    return set(story.steps[min(st.session_state.get("story_step", 0), len(story.steps) - 1)].locked)


def slider_step(p: sd_model.Parameter) -> float:
    """A round step giving about 200 positions over the range."""
    span = p.high - p.low
    return float(10 ** math.floor(math.log10(span / 200)))


def parameter_slider(p: sd_model.Parameter, locked: set[str]) -> None:
    language = lang()
    help_text = f"{p.describe(language)}\n\n{t('units', language)}: {p.units} · {t('default', language)}: {p.default:g}\n\n{t('source', language)}: {p.source}"
    step = slider_step(p)
    decimals = max(0, -int(f"{step:e}".split("e")[1]))
    cols = st.columns([5, 1], vertical_alignment="bottom")
    with cols[0]:
        st.slider(
            p.label(language) if p.units == "dmnl" else f"{p.label(language)} ({p.units})",
            min_value=float(p.low),
            max_value=float(p.high),
            step=step,
            format=f"%.{decimals}f",
            key=key(p.name),
            help=help_text,
            disabled=p.name in locked,
        )
    with cols[1]:
        st.button(
            "", icon=":material/restart_alt:", key=f"reset_{p.name}", help=f"{t('reset', language)} → {p.default:g}",
            on_click=on_reset, args=(p.name,), disabled=p.name in locked,
        )  # fmt: skip


def sidebar() -> None:
    language = lang()
    with st.sidebar:
        st.radio(t("language", language), list(LANGUAGES), format_func=LANGUAGES.get, key="lang", horizontal=True)
        language = lang()
        st.radio(t("view", language), VIEWS, format_func=lambda v: t(f"view_{v}", language), key="view", on_change=on_view)
        scenarios = cached_scenarios()
        st.selectbox(
            t("preset", language),
            list(scenarios),
            format_func=lambda n: scenarios[n].title(language),
            key="preset",
            on_change=on_preset,
        )
        st.caption(scenarios[st.session_state["preset"]].description(language))
        st.button(t("reset_all", language), key="reset_all", on_click=on_reset_all)
        locked = locked_names()
        st.subheader(t("levers", language))
        for theme in THEMES:
            with st.expander(t(f"theme_{theme}", language), expanded=True):
                for p in model().parameters:
                    if p.theme == theme:
                        parameter_slider(p, locked)
        with st.expander(t("theme_assumptions", language), expanded=False):
            for p in sd_model.parameters("uncertainty"):
                parameter_slider(p, locked)


# ---------------------------------------------------------------- views


def labels(language: str) -> dict[str, str]:
    return {o.name: o.label(language) for o in model().outputs}


def format_kpi(name: str, value: float) -> str:
    if name in charts.PERCENT:
        return f"{value:.1%}"
    return f"{value:,.0f}"


def format_delta(name: str, delta: float) -> str:
    """Change from the baseline as the card shows it: ``+1.2 pp`` or ``-3,400``; ``±0`` when it rounds away."""
    if name in charts.PERCENT:
        text = f"{delta * 100:+.1f} pp"
        return "±0 pp" if text[1:] == "0.0 pp" else text
    text = f"{delta:+,.0f}"
    return "±0" if text[1:] == "0" else text


def kpi_cards(results: pd.DataFrame, baseline: pd.DataFrame, language: str) -> None:
    """One card per KPI at the chosen year: value, change from baseline, and the path over time."""
    year = st.select_slider(t("card_year", language), options=list(results.index), value=2030, key="card_year")
    names = labels(language)
    for column, kpi in zip(st.columns(len(sd_model.KPIS)), sd_model.KPIS, strict=True):
        value, base = results.loc[year, kpi], baseline.loc[year, kpi]
        delta = format_delta(kpi, value - base)
        column.metric(
            names[kpi],
            format_kpi(kpi, value),
            delta,
            delta_color="off" if delta.startswith("±") else "normal",
            delta_arrow="off" if delta.startswith("±") else "auto",
            delta_description=t("vs_baseline", language),
            chart_data=results[kpi].to_numpy(),
            chart_type="area",
            border=True,
        )


def view_explore(values: dict[str, float], language: str) -> None:
    results = cached_run(tuple(sorted(values.items())))
    baseline = cached_run(())
    kpi_cards(results, baseline, language)  # first, so that the cards change before the ensemble runs
    levers = {p.name: values[p.name] for p in sd_model.parameters("lever")}
    bands = cached_bands(tuple(sorted(levers.items())))
    st.subheader(t("kpi_chart", language))
    series = {t("series_scenario", language): results, t("series_baseline", language): baseline}
    lines = charts.kpi_long(series, labels(language))
    st.vega_lite_chart(spec=charts.kpi_spec(lines, bands, language, dash_series=t("series_baseline", language)), key="chart_kpis")
    st.caption(t("band_note", language, n=ENSEMBLE_RUNS))
    left, right = st.columns(2)
    left.vega_lite_chart(spec=charts.people_spec(charts.people_long(results, labels(language)), language), key="chart_people")
    right.vega_lite_chart(spec=charts.income_spec(charts.income_long(results, language), language), key="chart_income")
    export_import(values, results, language)


def export_import(values: dict[str, float], results: pd.DataFrame, language: str) -> None:
    with st.expander(t("export", language), expanded=False):
        scenario = current_scenario(values, model().defaults(), cached_scenarios()[st.session_state["preset"]])
        cols = st.columns(2)
        cols[0].download_button(
            t("export_toml", language), scenario.to_toml(), file_name="scenario.toml", mime="application/toml", key="export_toml"
        )
        cols[1].download_button(
            t("export_csv", language), results.to_csv(), file_name="results.csv", mime="text/csv", key="export_csv"
        )
        st.file_uploader(t("import", language), type=["toml"], key="import_file", on_change=on_import)
        st.caption(t("share_link", language))


def view_compare(language: str) -> None:
    scenarios = cached_scenarios()
    picked = st.multiselect(
        t("compare_pick", language), list(scenarios), default=["baseline", "livelihood_first", "no_follow_up"],
        max_selections=3, format_func=lambda n: scenarios[n].title(language), key="compare",
    )  # fmt: skip
    if not picked:
        return
    frames = {scenarios[n].title(language): cached_run(tuple(sorted(scenarios[n].parameters.items()))) for n in picked}
    st.subheader(t("compare_chart", language))
    st.vega_lite_chart(spec=charts.kpi_spec(charts.kpi_long(frames, labels(language)), None, language), key="chart_compare")
    table = pd.DataFrame({title: frame.loc[2030, list(sd_model.KPIS)] for title, frame in frames.items()})
    table.index = [labels(language)[k] for k in table.index]
    st.dataframe(table.style.format("{:,.3f}"), key="compare_table")


def view_workshop(values: dict[str, float], language: str) -> None:
    st.markdown(LARGE_TYPE, unsafe_allow_html=True)
    all_stories = cached_stories()
    if not all_stories:
        st.info(t("no_stories", language))
        return
    st.selectbox(
        t("story", language),
        list(all_stories),
        format_func=lambda n: all_stories[n].title(language),
        key="story",
        on_change=on_story_change,
    )
    story = all_stories[st.session_state["story"]]
    index = min(st.session_state.get("story_step", 0), len(story.steps) - 1)
    step = story.steps[index]
    st.caption(t("step", language, i=index + 1, n=len(story.steps)))
    st.header(step.title(language))
    st.markdown(step.text(language))
    if step.locked:
        st.caption(t("locked", language) + ": " + ", ".join(model().parameter_table[n].label(language) for n in step.locked))
    cols = st.columns([1, 1, 4])
    cols[0].button(t("previous", language), key="story_prev", on_click=on_story_move, args=(-1,), disabled=index == 0)
    cols[1].button(
        t("next", language), key="story_next", on_click=on_story_move, args=(1,), disabled=index == len(story.steps) - 1
    )
    results = cached_run(tuple(sorted(values.items())))
    kpi_cards(results, cached_run(()), language)
    series = {t("series_scenario", language): results, t("series_baseline", language): cached_run(())}
    lines = charts.kpi_long(series, labels(language))
    st.vega_lite_chart(
        spec=charts.kpi_spec(lines, None, language, dash_series=t("series_baseline", language)), key="chart_workshop"
    )


def view_model(language: str) -> None:
    st.subheader(t("parameters_table", language))
    rows = [
        {"name": p.name, "label": p.label(language), "kind": p.kind, "default": p.default, "low": p.low, "high": p.high, "units": p.units,
         "description": p.describe(language), "source": p.source}
        for p in model().parameters
    ]  # fmt: skip
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="model_params")
    st.subheader(t("equations", language))
    equations = pd.DataFrame([vars(e) for e in read_equations(model().mdl_file)])
    sector = st.selectbox(
        t("sector", language), list(dict.fromkeys(equations["group"])), format_func=lambda g: sector_name(g, language),
        key="model_sector",
    )  # fmt: skip
    shown = equations[equations["group"] == sector][["name", "expression", "units", "comment"]]
    st.dataframe(shown, hide_index=True, key="model_equations")
    if sector in cached_structure().home.values():  # every sector but the time settings
        st.subheader(t("structure", language, sector=sector_name(sector, language)))
        show_constants = st.checkbox(t("show_constants", language), key="model_constants")
        st.graphviz_chart(sector_dot(cached_structure(), sector, show_constants=show_constants))
        st.caption(t("structure_note", language))


def latest_sensitivity(folder: Path) -> Path | None:
    manifests = sorted(folder.glob("*/manifest.json"), key=lambda p: p.stat().st_mtime)
    return manifests[-1].parent if manifests else None


def view_sensitivity(language: str) -> None:
    run_dir = latest_sensitivity(RESULTS_DIR)
    if run_dir is None:
        st.markdown(t("no_sensitivity", language, folder=RESULTS_DIR.name))
        return
    from sensitivity import charts as sens_charts

    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    indices = pd.read_csv(run_dir / "indices.csv")
    st.caption(t("sensitivity_run", language, method=manifest["method"], time=manifest["created"], n=manifest["n"]))
    names = labels(language)
    output = st.selectbox(
        t("output", language), list(indices["output"].unique()), format_func=lambda o: names.get(o, o), key="sens_output"
    )
    st.subheader(t("ranked", language))
    st.altair_chart(sens_charts.ranked_chart(indices, output), key="sens_ranked")
    st.subheader(t("over_time", language))
    st.altair_chart(sens_charts.heatmap_chart(indices, output), key="sens_heatmap")


def main() -> None:
    st.set_page_config(page_title="Guangxi relocation explorer", page_icon="🏘️", layout="wide")
    alt.data_transformers.disable_max_rows()
    init_state()
    language = lang()
    st.title(t("title", language))
    for warning in st.session_state.get("link_warnings", []):
        st.warning(t("bad_link", language, error=warning))
    message = st.session_state.get("import_message")
    if message:
        getattr(st, message[0])(message[1])
    values = current_values()
    view = st.session_state["view"]
    if view == "explore":
        st.caption(t("subtitle", language))
        view_explore(values, language)
    elif view == "compare":
        view_compare(language)
    elif view == "workshop":
        view_workshop(values, language)
    elif view == "model":
        view_model(language)
    else:
        view_sensitivity(language)
    # The sidebar's widgets already hold their values: drawing them after the main area lets the
    # cards and charts reach the browser first (Streamlit places the sidebar wherever it is drawn).
    sidebar()
    write_query()


main()
