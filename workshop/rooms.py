"""What happens in a workshop room, and who may do it: create, join, submit, vote, adopt, open a round.

Every function takes a database session (``workshop.store.open_store()()``) and commits its own work.
The guards (issue 25, point 6): the facilitator's token (shown once, stored as a SHA-256 hash) opens
rounds, adopts, deletes and exports; a team's token (kept by its browser session) edits only that team's
proposal; room codes are 8 characters of a 31-letter alphabet (about 8.5 x 10^11 codes) and a session
that misses :data:`MAX_FAILED_JOINS` times is refused further tries; rationale text is at most
:data:`MAX_RATIONALE` characters and shown as text. Bad input raises :class:`RoomError` with one line.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import Integer, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .room_file import RoomFile
from .schema import Adoption, Room, Submission, Team, Vote

#: Room codes: no 0/O, 1/I/L, so they can be read off a projector.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
MAX_RATIONALE = 500
MAX_TEAM_NAME = 60
MAX_FAILED_JOINS = 10


class RoomError(ValueError):
    """A request the room refuses; the message says why in one line (shown to the user as a warning)."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _same(secret: str | None, digest: str) -> bool:
    return isinstance(secret, str) and hmac.compare_digest(_hash(secret), digest)


def new_code() -> str:
    """A random room code of :data:`CODE_LENGTH` characters of :data:`CODE_ALPHABET`."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normal_code(code) -> str:
    """A code as typed (any case, spaces or dashes) in its stored form; RoomError when it cannot be one."""
    text = "".join(str(code or "").split()).replace("-", "").upper()
    if len(text) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in text):
        raise RoomError("not a room code: 8 letters and digits, as shown on the room's screen")
    return text


@dataclass(frozen=True)
class Created:
    """A new room: its code (for participants) and the facilitator's token (shown once, never stored)."""

    room_id: int
    code: str
    token: str


def create_room(session: Session, room_file: RoomFile, model_digest: str) -> Created:
    """Create a room from a checked room file; round 1 open."""
    token = secrets.token_urlsafe(24)
    for _ in range(5):  # a code already taken (about 1 in 10^11) is drawn again
        code = new_code()
        room = Room(
            code=code,
            token_hash=_hash(token),
            title=room_file.title_en,
            language=room_file.language,
            room_file=room_file.text,
            model_digest=model_digest,
            current_round=1,
            round_open=True,
        )
        session.add(room)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            continue
        return Created(room.id, code, token)
    raise RoomError("could not draw a free room code")


def room_by_code(session: Session, code) -> Room:
    """The room with this code; RoomError when there is none."""
    room = session.scalar(select(Room).where(Room.code == normal_code(code)))
    if room is None:
        raise RoomError("no room has this code")
    return room


def facilitator_room(session: Session, code, token) -> Room:
    """The room, when ``token`` is its facilitator's; RoomError otherwise (same message for a bad code)."""
    try:
        room = room_by_code(session, code)
    except RoomError:
        room = None
    if room is None or not _same(token, room.token_hash):
        raise RoomError("this facilitator link is not valid: ask for the link given when the room was created")
    return room


@dataclass(frozen=True)
class Joined:
    """A team in a room: its id and its token (kept by the participant's session to edit its proposal)."""

    team_id: int
    name: str
    token: str


def join(session: Session, room: Room, room_file: RoomFile, name, role=None) -> Joined:
    """Add a team to ``room`` (a name not yet taken in it; a role of the room's, where it has roles, and
    not one that has its ``max_teams`` already: of teams joining at once, the first written are in)."""
    name = " ".join(str(name or "").split())
    if not name:
        raise RoomError("give the team a name")
    if len(name) > MAX_TEAM_NAME:
        raise RoomError(f"a team name has at most {MAX_TEAM_NAME} characters")
    if room_file.roles:
        if room_file.role(role) is None:
            raise RoomError(f"choose a role: {', '.join(r.id for r in room_file.roles)}")
    elif role is not None:
        raise RoomError("this room has no roles")
    limit = room_file.role(role).max_teams if role is not None else None
    if limit is not None:  # joins to a capped role wait for each other (PostgreSQL; SQLite writes one at a time)
        session.execute(select(Room.id).where(Room.id == room.id).with_for_update())
    token = secrets.token_urlsafe(18)
    team = Team(room_id=room.id, name=name, role=role, token_hash=_hash(token))
    session.add(team)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise RoomError(f"a team called {name!r} is already in the room: choose another name") from None
    if limit is not None:  # counted after the write, so two teams joining at once cannot both take the last place
        ahead = select(func.count()).where(Team.room_id == room.id, Team.role == role, Team.id <= team.id)
        if session.scalar(ahead) > limit:
            session.delete(team)
            session.commit()
            raise RoomError(f"the role {role!r} has its {limit} team(s) already: choose another role")
    return Joined(team.id, name, token)


def team_of(session: Session, room: Room, team_id, token) -> Team:
    """The team, when ``token`` is its own; RoomError otherwise."""
    team = session.get(Team, team_id) if isinstance(team_id, int) else None
    if team is None or team.room_id != room.id or not _same(token, team.token_hash):
        raise RoomError("this team's session is not valid: join the room again")
    return team


def check_rationale(text) -> str:
    """The rationale as kept: text, trimmed, at most :data:`MAX_RATIONALE` characters."""
    if not isinstance(text, str):
        raise RoomError("the rationale must be text")
    text = text.strip()
    if len(text) > MAX_RATIONALE:
        raise RoomError(f"the rationale has {len(text)} characters; at most {MAX_RATIONALE}")
    return text


def submit(session: Session, room: Room, team: Team, levers: dict[str, float], rationale, kpis: dict[str, float],
           model_digest: str, key: str | None = None) -> Submission:  # fmt: skip
    """Keep a team's proposal for the room's open round (a revision is a new row; the latest counts).

    ``levers`` are already checked by the model (bounds, names allowed by the room); ``key`` (one per
    press of the submit button) makes a submit received twice count once.
    """
    session.refresh(room)
    if not room.round_open:
        raise RoomError(f"round {room.current_round} is closed: wait for the facilitator to open the next")
    if team.room_id != room.id:
        raise RoomError("this team is not in this room")
    bad = [name for name, value in levers.items() if not math.isfinite(float(value))]
    if bad:
        raise RoomError(f"{bad[0]}: not a finite number")
    row = Submission(
        key=key or uuid.uuid4().hex,
        room_id=room.id,
        team_id=team.id,
        round=room.current_round,
        levers={k: float(v) for k, v in levers.items()},
        rationale=check_rationale(rationale),
        model_digest=model_digest,
        kpis={k: float(v) for k, v in kpis.items()},
        deleted=False,
    )
    session.add(row)
    try:
        session.commit()
    except IntegrityError:  # the same key: this submit was kept already
        session.rollback()
        return session.scalar(select(Submission).where(Submission.key == row.key))
    return row


def proposals(session: Session, room: Room, round_number: int | None = None) -> list[tuple[Team, Submission]]:
    """Each team's latest submission in a round (default: the room's current round), in order of teams."""
    round_number = room.current_round if round_number is None else round_number
    latest = (
        select(Submission.team_id, func.max(Submission.id).label("last"))
        .where(Submission.room_id == room.id, Submission.round == round_number, Submission.deleted.is_(False))
        .group_by(Submission.team_id)
        .subquery()
    )
    rows = session.execute(
        select(Team, Submission)
        .join(latest, latest.c.team_id == Team.id)
        .join(Submission, Submission.id == latest.c.last)
        .order_by(Team.id)
    )
    return [(team, sub) for team, sub in rows]


def submissions(session: Session, room: Room) -> list[tuple[Team, Submission]]:
    """Every submission of the room, revisions and deleted ones included, in the order received."""
    rows = session.execute(
        select(Team, Submission).join(Submission, Submission.team_id == Team.id)
        .where(Submission.room_id == room.id).order_by(Submission.id)
    )  # fmt: skip
    return [(team, sub) for team, sub in rows]


def teams(session: Session, room: Room) -> list[Team]:
    return list(session.scalars(select(Team).where(Team.room_id == room.id).order_by(Team.id)))


def vote(session: Session, room: Room, voter: Team, team_id: int) -> None:
    """``voter``'s vote for ``team_id``'s proposal in the open round: once a round, not for itself."""
    session.refresh(room)
    if not room.round_open:
        raise RoomError("voting is closed for this round")
    if voter.id == team_id:
        raise RoomError("a team votes for another team's proposal")
    if team_id not in {team.id for team, _ in proposals(session, room)}:
        raise RoomError("that team has no proposal in this round")
    session.add(Vote(room_id=room.id, round=room.current_round, voter_id=voter.id, team_id=team_id))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise RoomError("your team has voted in this round already") from None


def votes(session: Session, room: Room, round_number: int | None = None) -> dict[int, int]:
    """Votes per team (id) in a round."""
    round_number = room.current_round if round_number is None else round_number
    rows = session.execute(
        select(Vote.team_id, func.count()).where(Vote.room_id == room.id, Vote.round == round_number)
        .group_by(Vote.team_id)
    )  # fmt: skip
    return dict(rows.all())


def adopt(session: Session, room: Room, submission_id: int) -> Submission:
    """The facilitator adopts a proposal of the current round (once a round) and the round closes."""
    sub = session.get(Submission, submission_id)
    if sub is None or sub.room_id != room.id or sub.round != room.current_round or sub.deleted:
        raise RoomError("no such proposal in this round")
    session.add(Adoption(room_id=room.id, round=room.current_round, submission_id=sub.id))
    room.round_open = False
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise RoomError(f"a proposal is adopted in round {room.current_round} already") from None
    return sub


def adopted(session: Session, room: Room) -> dict[int, Submission]:
    """The adopted submission of each round so far."""
    rows = session.execute(
        select(Adoption.round, Submission).join(Submission, Submission.id == Adoption.submission_id)
        .where(Adoption.room_id == room.id).order_by(Adoption.round)
    )  # fmt: skip
    return dict(rows.all())


def open_next_round(session: Session, room: Room, room_file: RoomFile) -> int:
    """Open the next round, once this one's proposal is adopted; its number."""
    if room.current_round not in adopted(session, room):
        raise RoomError(f"adopt a proposal of round {room.current_round} before opening the next")
    if room.current_round >= len(room_file.rounds):
        raise RoomError(f"the room has {len(room_file.rounds)} rounds; this was the last")
    room.current_round += 1
    room.round_open = True
    session.commit()
    return room.current_round


def delete_submission(session: Session, room: Room, submission_id: int) -> None:
    """Mark a submission deleted (kept in the export, gone from the room's screen)."""
    sub = session.get(Submission, submission_id)
    if sub is None or sub.room_id != room.id:
        raise RoomError("no such submission in this room")
    sub.deleted = True
    session.commit()


class JoinGuard:
    """Failed joins per browser session: after :data:`MAX_FAILED_JOINS` wrong codes a session is refused
    further tries (with 8.5 x 10^11 codes, guessing one in a workshop's lifetime needs ~10^11 tries)."""

    def __init__(self, limit: int = MAX_FAILED_JOINS):
        self.limit = limit
        self.failed: dict[str, int] = {}

    def room(self, session: Session, session_id: str, code) -> Room:
        """The room of ``code`` for the browser session ``session_id``, counting a miss against it."""
        if self.failed.get(session_id, 0) >= self.limit:
            raise RoomError("too many wrong room codes from this browser: ask the facilitator for the link")
        try:
            return room_by_code(session, code)
        except RoomError:
            self.failed[session_id] = self.failed.get(session_id, 0) + 1
            raise


def version(session: Session, room_id: int) -> tuple | None:
    """What the room's screen shows changes when this does: the round and whether it is open, the teams,
    the submissions (new, deleted), the votes and adoptions (None when the room is gone). One query a
    table, by index."""
    state = session.execute(select(Room.current_round, Room.round_open).where(Room.id == room_id)).one_or_none()
    if state is None:
        return None
    teams = session.scalar(select(func.count()).select_from(Team).where(Team.room_id == room_id))
    subs = session.execute(
        select(func.max(Submission.id), func.count(), func.sum(Submission.deleted.cast(Integer)))
        .where(Submission.room_id == room_id)
    ).one()  # fmt: skip
    vote_count = session.scalar(select(func.count()).select_from(Vote).where(Vote.room_id == room_id))
    adoptions = session.scalar(select(func.count()).select_from(Adoption).where(Adoption.room_id == room_id))
    return (*state, teams, *subs, vote_count, adoptions)


def delete_room(session: Session, room: Room) -> None:
    """Delete the room and everything in it (teams, submissions, votes, adoptions): after the workshop,
    once its exports are kept. Its code then names no room."""
    for table in (Adoption, Vote, Submission, Team):
        session.execute(delete(table).where(table.room_id == room.id))
    session.delete(room)
    session.commit()


def list_rooms(session: Session) -> list[tuple[Room, int, int]]:
    """Every room of the database, newest first, with its numbers of teams and submissions."""
    teams = select(func.count()).where(Team.room_id == Room.id).scalar_subquery()
    subs = select(func.count()).where(Submission.room_id == Room.id).scalar_subquery()
    rows = session.execute(select(Room, teams, subs).order_by(Room.created.desc(), Room.id.desc()))
    return [tuple(row) for row in rows]
