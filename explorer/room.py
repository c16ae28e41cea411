"""The workshop room's data for the explorer: the room files beside the model, the database, and what a
proposal does (its run through the rounds the room adopted, its KPIs, cost and share of futures meeting
the targets), and the room's exports (a CSV of every submission, each proposal as a scenario TOML, a
one-page HTML report). The rules of the room are :mod:`workshop.rooms`; the page is ``views/room.py``.
"""

from __future__ import annotations

import functools
import html
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st
import tomli_w
import vl_convert
import xarray as xr

from robustness.experiments import futures
from robustness.targets import margins
from sd_model.paths import beside
from workshop import rooms
from workshop.room_file import RoomFile, parse_room_file
from workshop.store import open_store

from . import compute
from .charts import TABLE, display_scale, vega_lite
from .ensemble import QUANTILES
from .i18n import t

#: Futures a proposal is scored in (posterior draws where the model has a posterior, else the full ranges).
ROOM_FUTURES = 100
#: How often the room's screen asks the database for new proposals (seconds).
REFRESH = 1.0


@st.cache_resource(show_spinner=False)
def store():
    """The session factory of the workshop database (``SD_WORKSHOP_DB``, else the SQLite file)."""
    return open_store()


def rooms_dir() -> Path:
    """The room files of the model: ``rooms/`` beside its ``.mdl`` (``models/rooms/`` for the project's)."""
    return beside(compute.model().mdl_file, "rooms")


def room_files() -> dict[str, Path]:
    folder = rooms_dir()
    return {p.stem: p for p in sorted(folder.glob("*.toml"))} if folder.is_dir() else {}


@st.cache_data(show_spinner=False, max_entries=32)
def checked_room_file(text: str) -> RoomFile:
    """A room's file, as kept with the room, checked again against the model (it may have changed)."""
    return parse_room_file(text, compute.model(), "room file")


def round_settings(room_file: RoomFile, adopted: dict, round_number: int, levers: dict[str, float]):
    """The settings of each round up to ``round_number`` (year, parameters): the model's defaults (the
    policy year at round 1's year), each adopted round's levers (``adopted``: round to its adopted
    submission, :func:`workshop.rooms.adopted`) on top of the rounds before, and ``levers`` for the round
    being proposed."""
    model = compute.model()
    settings = {"policy_year": float(room_file.rounds[0].year)} if "policy_year" in model.parameter_table else {}
    out = []
    for k in range(1, round_number + 1):
        if k == round_number:
            settings = settings | levers
        elif k in adopted:
            settings = settings | adopted[k].levers
        out.append((room_file.rounds[k - 1].year, dict(settings)))
    return out


def rounds_key(room_file: RoomFile, adopted: dict, round_number: int, levers: dict[str, float]) -> tuple:
    """:func:`round_settings` as a hashable key of :func:`score`."""
    settings = round_settings(room_file, adopted, round_number, levers)
    return tuple((year, tuple(sorted(params.items()))) for year, params in settings)


@dataclass(frozen=True)
class Scored:
    """A proposal's run and scores: the run (a frame as ``Model.run``'s), its KPIs at the headline year,
    its cost (the targets file's cost output at the final time, or NaN), the share of futures meeting
    every target (NaN without targets), and over :data:`ROOM_FUTURES` futures the bands of the shown
    outputs (columns as :func:`explorer.ensemble.futures_run`'s; None without futures) and the share
    meeting each target (and ``all``; empty without targets)."""

    run: pd.DataFrame
    kpis: dict[str, float]
    cost: float
    robust: float
    bands: pd.DataFrame | None
    shares: pd.Series


@st.cache_data(show_spinner=False, max_entries=256)
def score(rounds_key: tuple) -> Scored:
    """Run a proposal through its rounds (``rounds_key``: ((year, ((name, value), ...)), ...)) and score it."""
    model = compute.model()
    rounds = [(year, dict(items)) for year, items in rounds_key]
    run = model.run_rounds(rounds)
    year = compute.headline_time()
    shown = list(model.kpis or compute.default_shown())
    kpis = {k: float(run.loc[year, k]) for k in shown}
    cost_name = compute.cost_output()
    cost = float(run[cost_name].iloc[-1]) if cost_name else float("nan")
    bands, shares = futures_of(rounds, shown)
    return Scored(run, kpis, cost, float(shares.get("all", float("nan"))), bands, shares)


@functools.lru_cache(maxsize=4)
def _worlds(model, prior: bool) -> dict[str, np.ndarray]:
    """The :data:`ROOM_FUTURES` futures every proposal is run in (the same for all: drawn once a model)."""
    worlds = futures(ROOM_FUTURES, 0, prior=prior, model=model)
    columns = {name: worlds[name].to_numpy() for name in worlds.columns}
    for values in columns.values():
        values.setflags(write=False)  # shared by every run: a write would be an error, not a changed future
    return columns


def futures_of(rounds, shown: list[str]) -> tuple[pd.DataFrame | None, pd.Series]:
    """The proposal (its rounds) over :data:`ROOM_FUTURES` futures, one batch: the bands of the ``shown``
    outputs and the share of futures meeting each target of the targets file (and ``all``)."""
    if not compute.has_futures():
        return None, pd.Series(dtype=float)
    model = compute.model()
    targets = compute.cached_targets()
    columns = _worlds(model, not compute.has_posterior())
    final_time, time_step = model.check_controls(None, None)
    outputs = sorted(set(shown) | {o for x in targets for o in x.outputs()})
    batch = [(year, {**params, **columns}) for year, params in rounds]
    values = model.evaluate_rounds(ROOM_FUTURES, batch, outputs, final_time, time_step)
    axis, times = model.time_name, model.times()
    levels = np.quantile(np.stack([values[k] for k in shown]), list(QUANTILES.values()), axis=1)  # one call
    parts = [{axis: times, "kpi": k} | dict(zip(QUANTILES, levels[:, i], strict=True)) for i, k in enumerate(shown)]
    bands = pd.concat([pd.DataFrame(part) for part in parts], ignore_index=True)
    if not targets:
        return bands, pd.Series(dtype=float)
    data = xr.Dataset({k: (("run", axis), v) for k, v in values.items()}, coords={axis: times})
    policy = np.full(ROOM_FUTURES, float(rounds[0][1].get("policy_year", times[0])))
    met = margins(data, targets, policy) >= 0
    return bands, pd.concat([met.mean(), pd.Series({"all": met.all(axis=1).mean()})])


def shown_as(name: str, language: str) -> tuple[float, str]:
    """An output's factor and unit on the room's screen: the charts' (:func:`explorer.charts.display_scale`)."""
    return display_scale(name, language) if compute.is_project() else (1.0, "")


def proposals_frame(proposals, room_file: RoomFile, vote_counts: dict[int, int], language: str) -> pd.DataFrame:
    """One row a team's latest proposal: team, role, the KPIs and cost (rates in percent, money scaled),
    share of futures, votes, rationale."""
    labels = compute.labels(language)
    cost_factor, cost_unit = shown_as(compute.cost_output() or "", language)
    rows = []
    for team, sub in proposals:
        role = room_file.role(team.role)
        row = {t("room_team", language): team.name, t("room_role", language): role.label(language) if role else ""}
        for k, v in sub.kpis.items():
            if k not in ("cost", "robust"):
                factor, unit = shown_as(k, language)
                row[labels.get(k, k) + unit] = _four_digits(v * factor)
        row[t("room_cost", language) + cost_unit] = _four_digits(sub.kpis.get("cost", float("nan")) * cost_factor)
        row[t("room_robust", language)] = sub.kpis.get("robust", float("nan"))
        row[t("room_votes", language)] = vote_counts.get(team.id, 0)
        row[t("room_rationale", language)] = sub.rationale
        row["_id"] = sub.id
        rows.append(row)
    return pd.DataFrame(rows)


def _four_digits(value: float) -> float:
    """A value rounded to four significant digits (as the cards and the charts show it)."""
    return float(f"{value:.4g}")


def proposals_template(title: str, rule: bool) -> alt.LayerChart:
    """One KPI's chart of the proposals (a template, built and validated once by :func:`charts.vega_lite`):
    a point a team (columns ``team``, ``value``), and with ``rule`` the room's settings so far (the
    baseline, column ``baseline``, one value) as a dashed rule."""
    points = (
        alt.Chart()
        .mark_circle(size=140)
        .encode(
            x=alt.X("value:Q", title=None, scale=alt.Scale(zero=False), axis=alt.Axis(format=",.4~r")),
            y=alt.Y("team:N", title=None, sort=None),
            tooltip=["team:N", alt.Tooltip("value:Q", format=",.4~r")],
        )
    )
    layers = [points]
    if rule:
        dashed = alt.Chart().mark_rule(strokeDash=[6, 4], color="#d62728", size=2).encode(x="mean(baseline):Q")
        layers.insert(0, dashed)
    return alt.layer(*layers, data=alt.NamedData(name=TABLE)).properties(title=title)


def kpi_chart(proposals, baseline: dict[str, float], kpi: str, title: str, language: str) -> dict:
    """One KPI's Vega-Lite spec (its data a table, ``datasets``): a point a team's proposal, and the
    room's settings so far (the baseline) as a dashed rule where ``baseline`` has the KPI."""
    factor, unit = shown_as(kpi, language)
    frame = pd.DataFrame({
        "team": [team.name for team, _ in proposals],
        "value": [sub.kpis.get(kpi, np.nan) * factor for _, sub in proposals],
    })  # fmt: skip
    if kpi in baseline:
        frame["baseline"] = baseline[kpi] * factor
    spec = vega_lite(proposals_template, (title + unit, kpi in baseline), frame)
    spec["height"] = 36 * max(len(frame), 1) + 60  # (not in the template: one template for any count of teams)
    return spec


@dataclass(frozen=True)
class ScreenView:
    """What the room's screen draws at one version of the room (:func:`workshop.rooms.version`)."""

    title: str
    teams: str
    proposals: str
    frame: pd.DataFrame
    columns: dict
    charts: list[dict]
    choices: dict[int, str]
    round_open: bool


@st.cache_data(show_spinner=False, max_entries=64)
def screen_view(room_id: int, version: tuple, language: str) -> ScreenView:
    """The room's screen at ``version``: computed once a change, not once a poll (the charts' specs
    are built and checked by Altair here, and drawn as plain Vega-Lite on every poll)."""
    from workshop.schema import Room

    with store()() as session:
        current = session.get(Room, room_id)
        room_file = checked_room_file(current.room_file)
        proposals = rooms.proposals(session, current)
        counts = rooms.votes(session, current)
        teams = rooms.teams(session, current)
        adopted = rooms.adopted(session, current)
    title = room_file.rounds[current.current_round - 1].label(language)
    if not current.round_open:
        title += f" — {t('room_round_closed', language)}"
    frame = proposals_frame(proposals, room_file, counts, language)
    robust = t("room_robust", language)
    floats = [c for c in frame.columns if frame[c].dtype.kind == "f"]
    baseline = score(rounds_key(room_file, adopted, current.current_round, {})).kpis
    labels = compute.labels(language)
    charts = [kpi_chart(proposals, baseline, k, labels.get(k, k), language) for k in compute.model().kpis or []]
    return ScreenView(
        title,
        t("room_teams", language, n=len(teams), names=", ".join(plain(tm.name) for tm in teams)),
        t("room_proposals", language, n=len(proposals), names=", ".join(plain(tm.name) for tm, _ in proposals)),
        frame,
        {c: st.column_config.NumberColumn(c, format="localized") for c in floats}
        | {robust: st.column_config.NumberColumn(robust, format="percent")},
        charts if proposals else [],
        {s.id: tm.name for tm, s in proposals},
        current.round_open,
    )


@st.cache_data(show_spinner=False, max_entries=16)
def exports(room_id: int, version: tuple, language: str) -> dict[str, tuple[str, bytes]]:
    """:func:`export_files` at ``version`` of the room: made once a change of the room, not once a run of
    the facilitator's page. The caller has checked the facilitator's token."""
    from workshop.schema import Room

    with store()() as session:
        return export_files(session, session.get(Room, room_id), language)


def export_files(session, room, language: str) -> dict[str, tuple[str, bytes]]:
    """The room's three exports by kind (csv, toml, html): file name and content."""
    room_file = checked_room_file(room.room_file)
    return {
        "csv": (f"room_{room.code}.csv", export_csv(session, room)),
        "toml": (f"room_{room.code}_scenarios.zip", export_scenarios(session, room, room_file)),
        "html": (f"room_{room.code}.html", export_report(session, room, room_file, language)),
    }


def export_csv(session, room) -> bytes:
    """Every submission of the room (revisions and deleted ones too), one row each."""
    rows = []
    for team, sub in rooms.submissions(session, room):
        rows.append(
            {
                "submission": sub.id,
                "time": sub.created.isoformat(),
                "round": sub.round,
                "team": team.name,
                "role": team.role or "",
                "deleted": sub.deleted,
                "model_digest": sub.model_digest,
                "rationale": sub.rationale,
                **{f"lever:{k}": v for k, v in sub.levers.items()},
                **{f"kpi:{k}": v for k, v in sub.kpis.items()},
            }
        )
    return pd.DataFrame(rows).to_csv(index=False).encode("utf-8")


def export_scenarios(session, room, room_file: RoomFile) -> bytes:
    """A zip of scenario TOML files, one a team's latest proposal a round (the explorer opens each; a
    later round's file holds the settings it acts with, on top of the rounds adopted before it)."""
    adopted = rooms.adopted(session, room)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for k in range(1, room.current_round + 1):
            for team, sub in rooms.proposals(session, room, k):
                settings = round_settings(room_file, adopted, k, sub.levers)[-1][1]
                name = f"round{k}_team{team.id}"
                doc = {
                    "name": name,
                    "title_en": f"{room_file.title_en}: round {k}, {team.name}",
                    "title_zh": f"{room_file.title_zh}：第{k}轮，{team.name}",
                    "description_en": f"Proposal of {team.name} in round {k}: the settings it acts with from "
                    f"{room_file.rounds[k - 1].year}, the rounds adopted before included.",
                    "description_zh": f"{team.name}第{k}轮的方案：自{room_file.rounds[k - 1].year}年起的设定"
                    "（含此前各轮通过的方案）。",
                    "parameters": settings,
                }
                archive.writestr(f"{name}.toml", tomli_w.dumps(doc))
    return buffer.getvalue()


def export_report(session, room, room_file: RoomFile, language: str) -> bytes:
    """A one-page HTML report for the minutes: each round's proposals (as text), votes and the adopted one,
    with the KPI charts of the current round (drawn here as SVG, so the file opens offline)."""
    adopted = rooms.adopted(session, room)
    parts = [f"<h1>{html.escape(room_file.title(language))}</h1>"]
    for k in range(1, room.current_round + 1):
        proposals = rooms.proposals(session, room, k)
        frame = proposals_frame(proposals, room_file, rooms.votes(session, room, k), language)
        frame = frame.drop(columns="_id", errors="ignore")
        parts.append(f"<h2>{html.escape(room_file.rounds[k - 1].label(language))}</h2>")
        parts.append(frame.to_html(index=False, escape=True, float_format=lambda x: f"{x:,.4g}"))
        if k in adopted:
            team = next((tm.name for tm, s in proposals if s.id == adopted[k].id), "?")
            parts.append(f"<p><b>{html.escape(t('room_adopted', language, team=team))}</b></p>")
    labels = compute.labels(language)
    for kpi in compute.model().kpis or []:  # the last round's proposals: the current round's
        spec = kpi_chart(proposals, {}, kpi, labels.get(kpi, kpi), language)
        spec["datasets"] = {name: _records(table) for name, table in spec["datasets"].items()}
        parts.append(vl_convert.vegalite_to_svg(spec))
    style = (
        "body{font-family:sans-serif;max-width:1100px;margin:2em auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px}"
    )
    head = f'<meta charset="utf-8"><title>{html.escape(room_file.title(language))}</title><style>{style}</style>'
    return f"<!doctype html><html><head>{head}</head><body>{''.join(parts)}</body></html>".encode()


def _records(table: pd.DataFrame) -> list[dict]:
    """A table as JSON records, a missing value as null."""
    return table.astype(object).where(table.notna(), None).to_dict("records")


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: str) -> str:
    """A participant's text (a team name) for an element that renders markdown: every markdown and HTML
    character escaped, so it shows as typed (never a link, an image or a format)."""
    return _MARKDOWN.sub(r"\\\1", str(text))


def room_error(language: str, err: Exception) -> None:
    """A refused request: one warning line, never a traceback."""
    st.warning(t("room_refused", language, error=str(err)))
