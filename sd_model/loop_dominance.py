"""Why outcomes move: loop dominance from pysimlin's Loops that Matter, named after the model's loop table.

pysimlin (Simlin's engine) reads the ``.mdl`` and scores every feedback loop at every saved time
(Schoenberg, Davidsen and Eberlein 2020; link scores as revised in 2023). Its loop discovery runs the
model's own constants, so a run under other parameter values reads a copy of the ``.mdl`` with those
constants written in. The loops are named by ``models/loops.toml``: a loop belongs to the first entry
all of whose identifying variables it passes through.
"""

from __future__ import annotations

import re
import tempfile
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from diagrams.structure import Structure, canonical, structure

from . import spec
from .model import Model, load_model
from .parameters import in_language
from .paths import MODELS_DIR, beside

LOOPS_FILE = MODELS_DIR / "loops.toml"
POLARITIES = ("R", "B")
#: A period's dominant loops: the fewest names whose mean shares add up to at least this, at most
#: MAX_DOMINANT of them.
DOMINANCE_SHARE = 0.5
MAX_DOMINANT = 2


def loops_file(model: Model) -> Path:
    """The loop table beside a model's ``.mdl`` (``models/loops.toml`` for the project's model)."""
    return beside(model.mdl_file, "loops.toml")


def model_loop_table(model: Model) -> list[NamedLoop]:
    """The loop table beside the model, or none (every loop unnamed) for a model brought without one."""
    path = loops_file(model)
    return read_loop_table(path) if path.is_file() else []


def read_periods(path: str | Path = LOOPS_FILE) -> tuple[tuple[int, int], ...]:
    """The periods of the story (``periods`` in ``models/loops.toml``): ``(first, last)`` years, in order."""
    periods = spec.read(path, spec.LOOPS).get("periods")
    ok = (
        isinstance(periods, list)
        and periods
        and all(
            isinstance(p, list)
            and len(p) == 2
            and all(isinstance(y, int) and not isinstance(y, bool) for y in p)
            and p[0] <= p[1]
            for p in periods
        )
    )
    if not ok:
        raise ValueError(f"{path}: periods must be a list of [first, last] years, got {periods!r:.80}")
    return tuple((p[0], p[1]) for p in periods)


@dataclass(frozen=True)
class NamedLoop:
    """An entry of the loop table: a loop of the model and the family of longer loops through it."""

    name: str
    label_en: str
    label_zh: str
    polarity: str
    variables: tuple[str, ...]
    path_en: str
    path_zh: str

    def label(self, lang: str = "en") -> str:
        return in_language(self, "label", lang)

    def path(self, lang: str = "en") -> str:
        return in_language(self, "path", lang)

    def matches(self, variables) -> bool:
        return all(v in variables for v in self.variables)


def read_loop_table(path: str | Path = LOOPS_FILE) -> list[NamedLoop]:
    """The loop table, checked: names unique, polarity R or B, at least one identifying variable."""
    entries = spec.read(path, spec.LOOPS).get("loops", [])
    if not entries:
        raise ValueError(f"{path}: no [[loops]]")
    table = []
    for e in entries:
        where = f"{path}: loop {e.get('name')!r}"
        if e.get("polarity") not in POLARITIES:
            raise ValueError(f"{where}: polarity must be R or B")
        if not e.get("variables") or not all(isinstance(v, str) for v in e["variables"]):
            raise ValueError(f"{where}: variables must be a non-empty list of names")
        table.append(
            NamedLoop(
                e["name"],
                e["label_en"],
                e["label_zh"],
                e["polarity"],
                tuple(e["variables"]),
                e["path_en"],
                e["path_zh"],
            )
        )
    if len({t.name for t in table}) != len(table):
        raise ValueError(f"{path}: loop names repeat")
    return table


def name_of(variables, table) -> NamedLoop | None:
    """The first entry of the table that a loop through ``variables`` belongs to."""
    return next((entry for entry in table if entry.matches(variables)), None)


def _with_constants(model: Model, params: dict[str, float]) -> Path:
    """A copy of the ``.mdl`` with the given constants' values written in (a temporary file)."""
    text = model.mdl_file.read_text(encoding="utf-8")
    for name, value in model.validate(params).items():
        vensim = model.parameter_table[name].vensim_name
        pattern = re.compile(rf"(^|\n){re.escape(vensim)}\s*=\s*\n\t[^\n]*", re.IGNORECASE)
        text, count = pattern.subn(lambda m, v=value, n=vensim: f"{m.group(1)}{n}=\n\t{v!r}", text, count=1)
        if count != 1:
            raise ValueError(f"constant {vensim!r} not found in {model.mdl_file.name}")
    handle = tempfile.NamedTemporaryFile("w", suffix=".mdl", delete=False, encoding="utf-8")
    with handle:
        handle.write(text)
    return Path(handle.name)


def simlin_model(params=None, model: Model | None = None):
    """The model in pysimlin, with ``params`` (name to value) as its constants."""
    import simlin

    model = model or load_model()
    if not params:
        return simlin.load(str(model.mdl_file))
    path = _with_constants(model, dict(params))
    try:
        return simlin.load(str(path))
    finally:
        path.unlink(missing_ok=True)


def loop_scores(
    params=None, *, model: Model | None = None, table=None
) -> tuple[pd.DataFrame, dict[str, tuple[str, ...]]]:
    """Every loop pysimlin reports, with its relative score in every saved year.

    Returns
    -------
    scores : pandas.DataFrame
        Long table: ``loop`` (pysimlin's id), ``name`` (the loop table's, or empty), ``polarity`` (at
        run time), ``year`` (the model's time axis: ``time`` for a model without metadata), ``score``
        (relative loop score: the loop's signed share of its cycle partition's activity), ``partition``.
    variables : dict
        Loop id to the variables it passes through.
    """
    model = model or load_model()
    table = model_loop_table(model) if table is None else table
    analysis = simlin_model(params, model).analyze()
    if analysis.analysis_error:
        raise RuntimeError(f"pysimlin could not analyse the loops: {analysis.analysis_error}")
    years = model.times()
    ids, names, polarities, partitions, series, variables = [], [], [], [], [], {}
    for loop in analysis.loops:
        values = loop.behavior_time_series
        row = np.zeros(len(years)) if values is None else np.asarray(values, dtype=float)[: len(years)]
        entry = name_of(loop.variables, table)
        variables[loop.id] = tuple(loop.variables)
        ids.append(loop.id)
        names.append(entry.name if entry else "")
        polarities.append(getattr(loop.polarity, "name", str(loop.polarity))[:1].upper())  # REINFORCING, BALANCING, ...
        partitions.append(loop.partition)
        series.append(np.pad(row, (0, len(years) - len(row))))
    k, n = len(ids), len(years)
    frame = pd.DataFrame(
        {
            "loop": np.repeat(ids, n),
            "name": np.repeat(names, n),
            "polarity": np.repeat(polarities, n),
            model.time_name: np.tile(years, k),
            "score": np.concatenate(series) if series else [],
            "partition": np.repeat(partitions, n),
        }
    )
    return frame, variables


def loops_of_output(
    output: str,
    variables: dict[str, tuple[str, ...]],
    model: Model | None = None,
    model_structure: Structure | None = None,
) -> list[str]:
    """Loops that drive ``output``: those through it, else those through its nearest causes on a loop
    (breadth-first up the dependency structure of the ``.mdl``; pass ``model_structure`` to read the
    ``.mdl`` once for several outputs)."""
    model = model or load_model()
    through = [loop for loop, names in variables.items() if output in names]
    if through:
        return through
    graph = (model_structure or structure(model.mdl_file)).references
    python = {canonical(v): v for names in variables.values() for v in names}
    seen, frontier = {canonical(output)}, deque([canonical(output)])
    while frontier:
        level, found = [], set()
        for _ in range(len(frontier)):
            for cause in graph.get(frontier.popleft(), []):
                if cause not in seen:
                    seen.add(cause)
                    level.append(cause)
                    if cause in python:
                        found.add(python[cause])
        if found:
            return [loop for loop, names in variables.items() if found & set(names)]
        frontier.extend(level)
    return []


def name_scores(scores: pd.DataFrame, loops: list[str]) -> pd.DataFrame:
    """Scores of the named loops among ``loops``, per year: the absolute relative scores of each name's
    loops added up and shared out to 1 per year (columns: ``name``, ``year``, ``share``)."""
    time = _time_column(scores)
    part = scores[scores["loop"].isin(loops)].assign(size=lambda d: d["score"].abs())
    part = part.assign(name=part["name"].replace("", "unnamed"))
    summed = part.groupby([time, "name"], as_index=False)["size"].sum()
    total = summed.groupby(time)["size"].transform("sum")
    return summed.assign(share=np.where(total > 0, summed["size"] / total.where(total > 0, 1), 0.0))[
        ["name", time, "share"]
    ]


def _time_column(frame: pd.DataFrame) -> str:
    """``year`` for the project's model, ``time`` for a model on another time axis."""
    return "year" if "year" in frame.columns else "time"


def dominant_periods(shares: pd.DataFrame, periods=None) -> list[tuple[int, int, tuple[str, ...]]]:
    """The dominant names of each period (default :func:`read_periods`): the fewest names, at most
    :data:`MAX_DOMINANT`, whose mean shares over the period reach :data:`DOMINANCE_SHARE`; periods
    with the same names are joined, periods with no loop activity skipped."""
    result = []
    for first, last in read_periods() if periods is None else periods:
        time = _time_column(shares)
        part = shares[(shares[time] >= first) & (shares[time] <= last)]
        mean = part.groupby("name")["share"].sum() / max(part[time].nunique(), 1)
        if mean.sum() == 0:
            continue
        ranked = mean.sort_values(ascending=False)
        count = min(MAX_DOMINANT, int(np.searchsorted(ranked.cumsum().to_numpy(), DOMINANCE_SHARE) + 1))
        names = tuple(ranked.index[:count])
        if result and result[-1][2] == names and result[-1][1] == first - 1:
            result[-1] = (result[-1][0], last, names)
        else:
            result.append((first, last, names))
    return result


def loops(params=None, *, output: str | None = None, model: Model | None = None) -> pd.DataFrame:
    """The loop scores for ``params`` as a long table (see :func:`loop_scores`); with ``output``, only
    the loops that drive it."""
    model = model or load_model()
    scores, variables = loop_scores(params, model=model)
    if output is not None:
        model.check_outputs([output])
        scores = scores[scores["loop"].isin(loops_of_output(output, variables, model))]
    return scores.reset_index(drop=True)
