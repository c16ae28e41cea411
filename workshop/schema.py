"""The workshop room's tables (SQLAlchemy); their history is the Alembic migrations in ``migrations/``.

A room holds its teams, every submission a team makes (kept: a revision is a new row, the team's
proposal in a round is its latest), the votes and the proposal adopted in each round. Secrets (the
facilitator's token, each team's token) are stored as SHA-256 hashes only.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def now() -> datetime:
    """The time a row is written (UTC, aware)."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """The tables of the workshop database."""


class Room(Base):
    """A workshop: its room file as given (checked when created), the secret's hash, the round it is in."""

    __tablename__ = "rooms"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True, index=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2))
    room_file: Mapped[str] = mapped_column(Text)
    model_digest: Mapped[str] = mapped_column(String(64))
    current_round: Mapped[int] = mapped_column(Integer, default=1)
    round_open: Mapped[bool] = mapped_column(Boolean, default=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class Team(Base):
    """A team of participants in a room, with its role where the room has roles."""

    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("room_id", "name", name="uq_team_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    role: Mapped[str | None] = mapped_column(String(40), nullable=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class Submission(Base):
    """One submission of a team's proposal in a round: the lever values, the rationale, the model's digest
    and the KPIs computed. ``key`` (unique) makes a submit sent twice count once."""

    __tablename__ = "submissions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    levers: Mapped[dict] = mapped_column(JSON)
    rationale: Mapped[str] = mapped_column(Text)
    model_digest: Mapped[str] = mapped_column(String(64))
    kpis: Mapped[dict] = mapped_column(JSON)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class Vote(Base):
    """A team's vote for another team's proposal in a round: one a voting team a round."""

    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("room_id", "round", "voter_id", name="uq_one_vote"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    voter_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class Adoption(Base):
    """The submission the facilitator adopted in a round: the policy later rounds build on."""

    __tablename__ = "adoptions"
    __table_args__ = (UniqueConstraint("room_id", "round", name="uq_one_adoption"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
