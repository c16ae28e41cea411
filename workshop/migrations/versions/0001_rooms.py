"""Rooms, teams, submissions, votes and adoptions.

Revision ID: 0001
Revises:
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _created() -> sa.Column:
    return sa.Column("created", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "rooms",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("room_file", sa.Text, nullable=False),
        sa.Column("model_digest", sa.String(64), nullable=False),
        sa.Column("current_round", sa.Integer, nullable=False),
        sa.Column("round_open", sa.Boolean, nullable=False),
        _created(),
    )
    op.create_index("ix_rooms_code", "rooms", ["code"], unique=True)
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("room_id", sa.Integer, sa.ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("role", sa.String(40), nullable=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        _created(),
        sa.UniqueConstraint("room_id", "name", name="uq_team_name"),
    )
    op.create_index("ix_teams_room_id", "teams", ["room_id"])
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("room_id", sa.Integer, sa.ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
        sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id", ondelete="CASCADE"), nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("levers", sa.JSON, nullable=False),
        sa.Column("rationale", sa.Text, nullable=False),
        sa.Column("model_digest", sa.String(64), nullable=False),
        sa.Column("kpis", sa.JSON, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        _created(),
    )
    op.create_index("ix_submissions_room_id", "submissions", ["room_id"])
    op.create_index("ix_submissions_team_id", "submissions", ["team_id"])
    op.create_table(
        "votes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("room_id", sa.Integer, sa.ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("voter_id", sa.Integer, sa.ForeignKey("teams.id", ondelete="CASCADE"), nullable=False),
        sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id", ondelete="CASCADE"), nullable=False),
        _created(),
        sa.UniqueConstraint("room_id", "round", "voter_id", name="uq_one_vote"),
    )
    op.create_index("ix_votes_room_id", "votes", ["room_id"])
    op.create_table(
        "adoptions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("room_id", sa.Integer, sa.ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), nullable=False),
        _created(),
        sa.UniqueConstraint("room_id", "round", name="uq_one_adoption"),
    )
    op.create_index("ix_adoptions_room_id", "adoptions", ["room_id"])


def downgrade() -> None:
    for table in ("adoptions", "votes", "submissions", "teams", "rooms"):
        op.drop_table(table)
