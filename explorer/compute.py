"""The explorer's computations: the model, its runs and everything derived from them, cached.

Nothing here reads or writes the session (``st.session_state``) or the query string: each function
takes the values it computes from and Streamlit caches the result by them (``st.cache_data``,
``st.cache_resource``), so every visitor shares one cache. The session, its callbacks and the link
live in :mod:`explorer.state`.

The model is the project's (``models/relocation.mdl``) unless the environment names another
(:data:`MDL_ENV`, :data:`METADATA_ENV`; ``python -m explorer.serve --mdl PATH`` sets them). What a
model brings beside its ``.mdl`` (metadata, scenarios, targets, stories, loops, posterior) decides
what the views show; :func:`is_project` marks what only the project's model has.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

import sd_model
from calibration.posterior import calibrated_parameters, posterior_draws
from diagrams.structure import Structure, structure
from robustness import analysis as robustness
from robustness.experiments import futures
from robustness.targets import Objectives, read_objectives, read_targets, targets_file
from sd_model import costs, loop_dominance
from sd_model.paths import ROOT, beside
from sd_model.scenarios import Scenario, ScenarioError
from sd_model.words import box_sentence

from . import ensemble, stories, where
from .choice import MDL_ENV, METADATA_ENV, ModelChoiceError, load_chosen, model_files, one_line
from .i18n import t

#: Futures behind the bands and the robustness strip (one batch per lever setting).
ENSEMBLE_RUNS = 500
#: Futures of the robustness view (scenarios compared, PRIM on the current setting).
ROBUSTNESS_RUNS = 500
#: Outputs on the cards and charts of a model whose metadata names no KPIs (its stocks first).
DEFAULT_SHOWN = 4
#: Periods the loop story of a model without ``periods`` in its loop table is told in.
LOOP_PERIODS = 4


@st.cache_resource(show_spinner=False)
def _loaded(mdl: str | None, metadata: str | None) -> sd_model.Model:
    return load_chosen((mdl, metadata))


_shown: list = []  # the files of the model the caches below hold, and the model


def model() -> sd_model.Model:
    """The model shown (see :func:`model_files`), loaded once per process.

    The caches of this module are keyed by parameter values, not by model: when the environment names
    another model than the one they hold (tests switch models in one process), they are cleared.
    """
    files = model_files()
    if _shown and _shown[0] == files and _shown[1] is not None:  # (asked dozens of times a run)
        return _shown[1]
    if _shown and _shown[0] != files:
        st.cache_data.clear()
        for resource in _RESOURCES:
            resource.clear()
    _shown[:] = [files, None]
    _shown[1] = _loaded(*files)
    return _shown[1]


@functools.cache
def _project_files() -> tuple[Path, Path]:
    return sd_model.MODEL_FILE.resolve(), sd_model.paths.METADATA_FILE.resolve()


def is_project() -> bool:
    """Whether the model shown is the project's (``models/relocation.mdl`` with ``models/model.toml``)."""
    m = model()
    return (m.mdl_file, m.metadata_file) == _project_files()  # (asked many times a run: paths resolved once)


def has_kinds() -> bool:
    """Whether the model's parameters have kinds (levers, uncertainties): a model with metadata."""
    return _has_kinds(model())


@functools.lru_cache(maxsize=4)
def _has_kinds(m: sd_model.Model) -> bool:
    return any(p.kind in sd_model.KINDS for p in m.parameters)


def lever_parameters() -> list[sd_model.Parameter]:
    """The parameters of the policy sliders: the levers, or for a model without metadata every
    constant the ``.mdl`` gives a finite range."""
    if has_kinds():
        return [p for p in model().parameters if p.kind == "lever"]
    return [p for p in model().parameters if math.isfinite(p.low) and math.isfinite(p.high) and p.low < p.high]


def lever_names() -> set[str]:
    return {p.name for p in lever_parameters()}


def uncertainty_parameters() -> list[sd_model.Parameter]:
    """The parameters of the assumption sliders (none for a model without metadata)."""
    return [p for p in model().parameters if p.kind == "uncertainty"]


def unranged_parameters() -> list[sd_model.Parameter]:
    """Constants of a model without metadata that have no slider (no finite range in the ``.mdl``)."""
    return [] if has_kinds() else [p for p in model().parameters if p.name not in lever_names()]


def time_name() -> str:
    """The time axis of the results: ``year`` (the project's model) or ``time``."""
    return model().time_name


def time_title(language: str) -> str:
    """Title of a time axis: "Year", or "Time" with the model's time units."""
    if time_name() == "year":
        return t("year", language)
    units = model().engine.doc.set_index("Py Name").get("Units", pd.Series(dtype=object)).get("time_step")
    units = units if isinstance(units, str) and units else ""
    return f"{t('time', language)} ({units})" if units else t("time", language)


def headline_time() -> float:
    """The saved time the cards show first: the metadata's ``headline_year``, else the final time."""
    m = model()
    return m.headline_year if m.headline_year is not None else float(m.times()[-1])


@st.cache_resource(show_spinner=False)
def default_shown() -> tuple[str, ...]:
    """The outputs on the cards and charts: the KPIs, else the first stocks (integrals before smooths
    and delays), else the first outputs."""
    m = model()
    if m.kpis:
        return tuple(m.kpis)
    doc = m.engine.doc
    stateful = doc[doc["Type"] == "Stateful"]
    order = {
        real: (subtype != "Integ", i)
        for i, (real, subtype) in enumerate(zip(stateful["Real Name"], stateful["Subtype"], strict=True))
    }
    stocks = sorted((o for o in m.outputs if o.vensim_name in order), key=lambda o: order[o.vensim_name])
    names = [o.name for o in stocks] or list(m.output_names)
    return tuple(names[:DEFAULT_SHOWN])


def card_times(index: pd.Index) -> list:
    """The saved times the cards' slider offers: all of them on a ``year`` axis or when few, else the
    whole times (or every k-th), the headline time included."""
    times = list(index)
    if time_name() == "year" or len(times) <= 201:
        return times
    whole = [x for x in times if float(x).is_integer()]
    chosen = whole if 2 <= len(whole) <= 400 else times[:: math.ceil(len(times) / 200)]
    head = headline_time()
    return chosen if head in chosen or head not in times else sorted([*chosen, head])


@st.cache_data(max_entries=512, show_spinner=False)
def cached_run(items: tuple[tuple[str, float], ...]) -> pd.DataFrame:
    return model().run(dict(items))


@st.cache_data(max_entries=128, show_spinner=False)
def cached_futures(
    levers: tuple[tuple[str, float], ...], source: str = "posterior", shown: tuple[str, ...] | None = None
) -> tuple[pd.DataFrame, pd.Series]:
    """Bands of the shown outputs (default: the KPIs) and the share of futures meeting each target, at these levers."""
    if is_project():
        return ensemble.futures_run(dict(levers), n=ENSEMBLE_RUNS, source=source, targets=cached_targets(),
                                    objectives=cached_objectives())  # fmt: skip
    return ensemble.futures_run(dict(levers), n=ENSEMBLE_RUNS, source=source, targets=cached_targets(), model=model(),
                                outputs=shown or default_shown(), objectives=cached_objectives())  # fmt: skip


#: Futures of the robustness table by site on the Where page (posterior draws where the model has a
#: posterior, else the full ranges).
SITE_FUTURES = 200


@st.cache_data(max_entries=16, show_spinner=False)
def cached_site_futures(levers: tuple[tuple[str, float], ...]) -> where.SiteFutures:
    """Every site's margin on every target in :data:`SITE_FUTURES` futures at ``levers`` (``explorer.where``)."""
    return where.site_futures(model(), dict(levers), cached_targets(), SITE_FUTURES, prior=not has_posterior())


@st.cache_data(max_entries=64, show_spinner=False)
def cached_site_box(levers: tuple[tuple[str, float], ...], site: str, target: str, name: str, language: str) -> str:
    """One sentence from PRIM: in which futures the site ``site`` (named ``name``) misses ``target``."""
    found = cached_site_futures(levers)
    miss = found.misses(site, target)
    label = {x.name: x.short(language) for x in cached_targets()}[target]
    box = robustness.prim_box(found.worlds, miss)
    return box_sentence(name, label, float(miss.mean()), box, model().parameter_table, found.worlds, language)


def has_futures() -> bool:
    """Whether the model has futures to draw: uncertainties or historical settings (bands, robustness)."""
    return bool(calibrated_parameters(model()))


@st.cache_resource(show_spinner=False)
def has_posterior() -> bool:
    """Whether the model has a posterior to draw futures from (``posterior/`` beside its ``.mdl``, or
    the project's bundled one, which must be there); without one the futures span the full ranges."""
    if is_project():
        return True
    if not has_futures():
        return False
    try:
        posterior_draws(1, model=model())
    except (OSError, ValueError, KeyError):
        return False
    return True


def band_sources() -> tuple[str, ...]:
    """The sources of futures the model offers: the posterior and the full ranges, or the ranges alone."""
    return ensemble.SOURCES if has_posterior() else ("ranges",)


@st.cache_resource(show_spinner=False)
def cached_target_file() -> tuple[list, str | None]:
    """The targets beside the model and the problem of its file (None: read, or no file)."""
    if not is_project() and not targets_file(model()).is_file():
        return [], None
    try:
        return read_targets(model=model()), None
    except (OSError, ValueError) as err:  # (spec's errors are ValueErrors)
        if is_project():
            raise
        return [], one_line(err)


def cached_targets() -> list:
    return cached_target_file()[0]


def targets_label() -> str:
    """Where the targets are declared, for the notes: ``models/targets.toml`` or the file beside the model."""
    return relative(targets_file(model()))


def relative(path: Path) -> str:
    """A path relative to the project when inside it."""
    path = Path(path).resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


@st.cache_resource(show_spinner=False)
def cached_objectives() -> Objectives:
    """The cost output, policy parameter and fixed levers of the targets file, read once (none where the
    file does not read: the page says so where targets are shown)."""
    try:
        return read_objectives(model=model())
    except (OSError, ValueError):
        return Objectives()


def cost_output() -> str | None:
    """The output whose final value is a policy's cost (``cost_output`` of the targets file), or None."""
    return cached_objectives().cost_output


@st.cache_data(show_spinner=False)
def cached_scenario_robustness() -> pd.DataFrame:
    """Robustness of every named scenario over the same futures (posterior draws where there is a posterior)."""
    scenarios = {name: s.parameters for name, s in cached_scenarios().items()}
    if is_project():
        return robustness.robustness(scenarios=scenarios, targets=cached_targets(), n=ROBUSTNESS_RUNS, seed=0)
    return robustness.robustness(scenarios=scenarios, targets=cached_targets(), n=ROBUSTNESS_RUNS, seed=0,
                                 prior=not has_posterior(), model=model())  # fmt: skip


@st.cache_data(max_entries=32, show_spinner=False)
def cached_failure_boxes(levers: tuple[tuple[str, float], ...], language: str) -> list[str]:
    """Sentences from PRIM: where the current setting misses every target, and its most-missed target."""
    targets = cached_targets()
    if is_project():
        worlds = futures(ROBUSTNESS_RUNS, 0)
        frame = robustness.evaluate({"current": dict(levers)}, worlds, targets)
    else:
        worlds = futures(ROBUSTNESS_RUNS, 0, prior=not has_posterior(), model=model())
        frame = robustness.evaluate({"current": dict(levers)}, worlds, targets, model=model())
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
    """pysimlin's loop scores for a full set of parameter values (only those off their defaults are
    written); the time column is ``year`` whatever the model's axis."""
    defaults = model().defaults()
    table = cached_loop_table()
    scores, variables = loop_dominance.loop_scores(
        {k: v for k, v in items if v != defaults[k]}, model=model(), table=table
    )
    if not table:  # a model without a loop table: each loop by itself, named by pysimlin's id (see named_loops)
        scores = scores.assign(name=scores["loop"])
    return scores.rename(columns={time_name(): "year"}), variables


#: Longest label of a loop named after its variables.
LOOP_LABEL = 80


def named_loops(*runs: tuple[tuple[str, float], ...]) -> list[loop_dominance.NamedLoop]:
    """The loop table; for a model without one, each loop pysimlin finds in these runs (parameter
    values as for :func:`cached_loops`), named by its id and labelled by the variables it passes through."""
    table = cached_loop_table()
    if table:
        return table
    entries = {}
    for items in runs:
        scores, variables = cached_loops(items)
        polarity = dict(zip(scores["loop"], scores["polarity"], strict=True))
        for loop, names in variables.items():
            path = " → ".join([*names, names[0]])
            label = f"{loop}: {path}" if len(path) <= LOOP_LABEL else f"{loop}: {path[: LOOP_LABEL - 1]}…"
            kind = polarity.get(loop, "")[:1].upper()
            entries.setdefault(loop, loop_dominance.NamedLoop(loop, label, label, kind if kind in "RB" else "R",
                                                               tuple(names), path, path))  # fmt: skip
    return list(entries.values())


@st.cache_resource(show_spinner=False)
def cached_loop_table() -> list:
    """The named loops: ``models/loops.toml``, the loop table beside another model, or none."""
    return loop_dominance.read_loop_table() if is_project() else loop_dominance.model_loop_table(model())


@st.cache_resource(show_spinner=False)
def cached_loop_periods() -> tuple[tuple[float, float], ...]:
    """The periods of the loop story (``models/loops.toml``), read once; for another model the periods
    of its loop table, else :data:`LOOP_PERIODS` equal spans of its time axis."""
    if is_project():
        return loop_dominance.read_periods()
    path = loop_dominance.loops_file(model())
    try:
        return loop_dominance.read_periods(path)
    except (OSError, ValueError):
        times = model().times()
        if times[-1] - times[0] >= 2 * LOOP_PERIODS:  # whole times (see loop_years)
            edges = np.linspace(math.floor(times[0]), math.floor(times[-1]) + 1, LOOP_PERIODS + 1).round().astype(int)
            return tuple((int(a), int(b) - 1) for a, b in itertools.pairwise(edges))
        parts = np.array_split(times, min(LOOP_PERIODS, len(times)))
        return tuple((float(p[0]), float(p[-1])) for p in parts if len(p))


def loop_years(shares: pd.DataFrame) -> pd.DataFrame:
    """Loop shares per period of the loop story: as they are for the project's model; for another
    model with a long time axis the mean share in each whole unit of time (the periods are whole)."""
    if is_project():
        return shares
    times = model().times()
    if times[-1] - times[0] < 2 * LOOP_PERIODS:
        return shares
    whole = shares.assign(year=np.floor(shares["year"]).astype(int))
    return whole.groupby(["name", "year"], as_index=False)["share"].mean()


@st.cache_data(max_entries=128, show_spinner=False)
def cached_variables(items: tuple[tuple[str, float], ...], names: tuple[str, ...]) -> pd.DataFrame:
    """Any model variables (Vensim names) of the run of these parameter values (only those off their
    defaults are set), one row per saved year (or time)."""
    defaults = model().defaults()
    frame = model().run_variables({k: v for k, v in items if v != defaults[k]}, variables=list(names))
    if time_name() == "year":
        frame.index = frame.index.round().astype(int)
    return frame


def bundled_front() -> pd.DataFrame | None:
    """The robust front of ``data/robustness/`` if it was made for this model, else None."""
    if not is_project():
        return None
    folder = robustness.BUNDLED_FRONT_DIR
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("model_digest") != model().digest:
        return None
    return pd.read_csv(folder / "front.csv")


def has_costs() -> bool:
    """Whether the model has the project's cost outputs (what a yuan buys, :mod:`sd_model.costs`)."""
    m = model()
    needed = {costs.COST, "employed_labour", "income_per_capita", "relocated_population", "relapse_risk_share"}
    return needed <= set(m.output_names) and "policy_year" in m.parameter_table


def scenario_effect(values: dict[str, float]) -> dict[str, float]:
    """The scenario's cost-effectiveness against policy unchanged, from the cached runs of both
    (:func:`sd_model.costs.cost_effectiveness` without running them again)."""
    return costs.effects(run_of(values), policy_baseline(values), values["policy_year"])


@st.cache_data(max_entries=64, show_spinner=False)
def cached_yuan_buys(items: tuple[tuple[str, float], ...]) -> pd.DataFrame:
    """What a yuan buys per lever from these settings."""
    return costs.what_a_yuan_buys(model(), dict(items))


#: The scenario of a model brought without a ``baseline`` scenario: every parameter at the model's value.
PLAIN_BASELINE = Scenario(
    "baseline", "Baseline", "基准", "Every parameter at its value in the model.", "所有参数取模型中的数值。"
)


@st.cache_data(show_spinner=False)
def cached_scenario_files() -> tuple[dict[str, Scenario], dict[str, str]]:
    """The named scenarios beside the model (``baseline`` first, a plain one when it has none) and the
    one-line problem of each file that does not read (by name; the project's must all read)."""
    if is_project():
        return {name: sd_model.load_scenario(name) for name in sd_model.scenario_names()}, {}
    good, bad = {}, {}
    folder = sd_model.scenarios_dir(model())
    for name in sd_model.scenario_names(model()) if folder.is_dir() else []:
        try:
            good[name] = sd_model.load_scenario(name, model())
        except (OSError, ScenarioError) as err:
            bad[name] = one_line(err)
    return ({} if "baseline" in good else {"baseline": PLAIN_BASELINE}) | good, bad


def cached_scenarios() -> dict[str, Scenario]:
    return cached_scenario_files()[0]


@st.cache_resource(show_spinner=False)
def cached_structure() -> Structure:
    return structure(model().mdl_file)


def stories_folder() -> Path:
    """Where the model's stories are: ``models/stories/`` for the project's model, else ``stories/`` beside it."""
    return stories.STORIES_DIR if is_project() else beside(model().mdl_file, "stories")


@st.cache_data(show_spinner=False)
def cached_story_files() -> tuple[dict[str, stories.Story], dict[str, str]]:
    """The stories that read, and the problem of each file that does not (shown on the Workshop page)."""
    if is_project():
        return stories.load_stories(model())
    return stories.load_stories(model(), stories_folder())


def cached_stories() -> dict[str, stories.Story]:
    return cached_story_files()[0]


def run_of(values: dict[str, float]) -> pd.DataFrame:
    """The (cached) run of a full set of parameter values."""
    return cached_run(tuple(sorted(values.items())))


def baseline() -> pd.DataFrame:
    """The reference baseline: the (cached) run with every parameter at its default."""
    return cached_run(())


def changed_assumptions(values: dict[str, float]) -> dict[str, float]:
    """The assumptions in ``values`` (uncertainties and historical settings: every parameter without a
    policy slider) that differ from their defaults."""
    levers = lever_names()
    return {p.name: values[p.name] for p in model().parameters if p.name not in levers and values[p.name] != p.default}


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


def chart_labels(language: str) -> dict[str, str]:
    """Output name to the title of its chart: the label, with the units of a model other than the
    project's (whose charts add their own)."""
    if is_project():
        return labels(language)
    return {o.name: f"{o.label(language)} ({units})" if (units := units_of(o, language)) else o.label(language)
            for o in model().outputs}  # fmt: skip


def units_of(record, language: str) -> str:
    """The units of a parameter or output in ``language``: the metadata's, or for a model without
    metadata (no Chinese units) the ``.mdl``'s."""
    return record.units_label(language) if has_kinds() else record.units


__all__ = ["MDL_ENV", "METADATA_ENV", "ModelChoiceError", "load_chosen", "model_files", "one_line"]  # (from .choice)

_RESOURCES = (_loaded, default_shown, has_posterior, cached_target_file, cached_objectives, cached_loop_table,
              cached_loop_periods, cached_structure)  # fmt: skip
