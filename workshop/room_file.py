"""A workshop room file: the title, the levers teams may move, the rounds and the roles, in TOML.

Read as text and checked against :data:`sd_model.spec.ROOM` and the model (every lever a lever of the
model, the round years rising inside the model's horizon, role ids unique); never executed. See
``models/rooms/`` for the shipped example and docs/workshop.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sd_model import spec
from sd_model.parameters import in_language
from sd_model.scenarios import read_toml

#: A room file larger than this is refused before it is parsed.
MAX_BYTES = 100_000
LANGUAGES = ("en", "zh")
_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")


class RoomFileError(ValueError):
    """A room file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Round:
    """A round: the year its decisions act from, and its label."""

    year: int
    label_en: str
    label_zh: str

    def label(self, lang: str) -> str:
        return in_language(self, "label", lang)


@dataclass(frozen=True)
class Role:
    """A role a team may take (county government, enterprise, ...): its label, its brief (the start page
    of a team in the role: who they are, what they weigh; empty for none), the levers it moves (a subset
    of the room's) and how many teams may take it (None: any number)."""

    id: str
    label_en: str
    label_zh: str
    brief_en: str = ""
    brief_zh: str = ""
    levers: tuple[str, ...] = ()
    max_teams: int | None = None

    def label(self, lang: str) -> str:
        return in_language(self, "label", lang)

    def brief(self, lang: str) -> str:
        """The brief in ``lang``, else in the other language (empty for none)."""
        return in_language(self, "brief", lang) or self.brief_en or self.brief_zh


@dataclass(frozen=True)
class RoomFile:
    """A checked room file; ``text`` is the file as given (kept with the room)."""

    title_en: str
    title_zh: str
    language: str
    story: str | None
    levers: tuple[str, ...]
    rounds: tuple[Round, ...]
    roles: tuple[Role, ...]
    text: str

    def title(self, lang: str) -> str:
        return in_language(self, "title", lang)

    def role(self, role_id: str | None) -> Role | None:
        return next((r for r in self.roles if r.id == role_id), None)

    def levers_of(self, role_id: str | None) -> tuple[str, ...]:
        """The levers a team in the role ``role_id`` moves: the role's own, else every lever of the room."""
        role = self.role(role_id)
        return role.levers if role is not None and role.levers else self.levers


def read_room_file(path: str | Path, model) -> RoomFile:
    """Read and check a room file from disk (:func:`parse_room_file`)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise RoomFileError(f"{path}: cannot read: {err.strerror}") from None
    return parse_room_file(raw, model, str(path))


def parse_room_file(raw: bytes | str, model, source: str = "room file") -> RoomFile:
    """Check a room file's text against the spec and ``model``.

    Raises
    ------
    RoomFileError
        One line naming ``source``, the entry and the problem.
    """
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    if len(data) > MAX_BYTES:
        raise RoomFileError(f"{source}: larger than {MAX_BYTES:,} bytes")
    try:
        doc = spec.check(read_toml(data, source, error=RoomFileError), spec.ROOM, source)
    except spec.SpecError as err:
        raise RoomFileError(str(err)) from None
    language = doc.get("language", "en")
    if language not in LANGUAGES:
        raise RoomFileError(f"{source}: language must be one of {', '.join(LANGUAGES)}, got {language!r}")
    levers = _levers(doc["levers"], model, source)
    rounds = _rounds(doc["rounds"], model, source)
    roles = _roles(doc.get("roles", []), levers, source)
    text = data.decode("utf-8")
    return RoomFile(doc["title_en"], doc["title_zh"], language, doc.get("story"), levers, rounds, tuple(roles), text)


def _levers(names: list[str], model, source: str) -> tuple[str, ...]:
    table = model.parameter_table
    if not names:
        raise RoomFileError(f"{source}: levers: name at least one lever teams may move")
    for name in names:
        if name not in table:
            raise RoomFileError(f"{source}: levers: {name!r} is not a parameter of the model")
        if table[name].kind != "lever":
            raise RoomFileError(f"{source}: levers: {name!r} is of kind {table[name].kind}, not a lever")
    if len(set(names)) != len(names):
        raise RoomFileError(f"{source}: levers: a lever is named twice")
    return tuple(names)


def _roles(entries: list[dict], levers: tuple[str, ...], source: str) -> list[Role]:
    roles = []
    for i, entry in enumerate(entries, start=1):
        where = f"{source}: role {i}"
        if not _ID.fullmatch(entry["id"]):
            raise RoomFileError(f"{where}: id {entry['id']!r} must be lower-case letters, digits and _")
        if entry["id"] in {r.id for r in roles}:
            raise RoomFileError(f"{where}: id {entry['id']!r} appears twice")
        own = tuple(entry.get("levers", ()))
        outside = [name for name in own if name not in levers]
        if outside:
            raise RoomFileError(f"{where}: levers: {outside[0]!r} is not one of the room's levers")
        if len(set(own)) != len(own):
            raise RoomFileError(f"{where}: levers: a lever is named twice")
        if "max_teams" in entry and entry["max_teams"] < 1:
            raise RoomFileError(f"{where}: max_teams must be at least 1, got {entry['max_teams']}")
        brief = entry.get("brief_en", ""), entry.get("brief_zh", "")
        roles.append(Role(entry["id"], entry["label_en"], entry["label_zh"], *brief, own, entry.get("max_teams")))
    return roles


def _rounds(entries: list[dict], model, source: str) -> tuple[Round, ...]:
    times = model.times()
    first, last = int(times[0]), int(times[-1])
    rounds = []
    for i, entry in enumerate(entries, start=1):
        year = entry["year"]
        if not first < year <= last:
            raise RoomFileError(f"{source}: round {i}: year {year} outside the model's years {first + 1}-{last}")
        if rounds and year <= rounds[-1].year:
            raise RoomFileError(f"{source}: round {i}: year {year} must come after round {i - 1}'s {rounds[-1].year}")
        label_en = entry.get("label_en", f"Round {i}: from {year}")
        label_zh = entry.get("label_zh", f"第{i}轮：自{year}年起")
        rounds.append(Round(year, label_en, label_zh))
    if not rounds:
        raise RoomFileError(f"{source}: rounds: give at least one [[rounds]] with its year")
    return tuple(rounds)
