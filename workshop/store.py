"""Where the workshop rooms are kept: a database by URL, its schema brought up to date by Alembic.

SQLite by default, a file created on first use (``data/workshop/rooms.sqlite`` under the project, or
the URL of :data:`URL_ENV`); PostgreSQL by URL for a deployment with several replicas
(``postgresql+psycopg://user@host:port/db``). :func:`open_store` upgrades the schema to the newest
migration before first use, under a lock, so replicas starting together migrate once.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from sd_model.paths import ROOT

#: The environment variable naming the database (a SQLAlchemy URL).
URL_ENV = "SD_WORKSHOP_DB"
DEFAULT_FILE = ROOT / "data" / "workshop" / "rooms.sqlite"
MIGRATIONS = Path(__file__).with_name("migrations")
#: PostgreSQL advisory lock taken while migrating (any constant shared by the replicas).
MIGRATION_LOCK = 2016_2020


class StoreError(ValueError):
    """A database URL that cannot be used (the message names it, without its password)."""


def database_url() -> str:
    """The URL of :data:`URL_ENV`, else the default SQLite file."""
    return os.environ.get(URL_ENV) or f"sqlite:///{DEFAULT_FILE}"


def _engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"{URL_ENV}: not a database URL") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # The explorer's sessions are threads, as many as there are participants: connections pooled (a new
        # one and its pragmas cost ~5 % of the server's CPU in a room of 30, benchmarks/bench_workshop.py),
        # used by one thread at a time
        engine = create_engine(parsed, pool_size=10, max_overflow=40,
                               connect_args={"timeout": 30, "check_same_thread": False})  # fmt: skip

        @event.listens_for(engine, "connect")
        def _pragmas(connection, _record):  # many sessions write at once: wait for the lock, keep readers going
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    if parsed.get_backend_name() != "postgresql":
        raise StoreError(f"{URL_ENV}: {parsed.get_backend_name()!r} is not supported: use sqlite or postgresql")
    return create_engine(parsed, pool_pre_ping=True, pool_size=20, max_overflow=40)


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (creating it in an empty database), once across replicas."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@cache
def open_store(url: str | None = None) -> sessionmaker[Session]:
    """A session factory on the database at ``url`` (default :func:`database_url`), its schema up to date.

    Raises
    ------
    StoreError
        For a URL that is not a database URL or names another kind of database.
    """
    engine = _engine(url or database_url())
    upgrade(engine)
    return sessionmaker(engine, expire_on_commit=False)
