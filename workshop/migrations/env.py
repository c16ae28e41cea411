"""Alembic's environment for the workshop database: run by :func:`workshop.store.upgrade` on a connection it
passes in (``config.attributes["connection"]``), or by the ``alembic`` command with ``-x url=...``."""

from alembic import context
from sqlalchemy import create_engine

from workshop.schema import Base

config = context.config


def run(connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    with create_engine(url).connect() as connection:
        run(connection)
