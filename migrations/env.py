"""Alembic environment: the URL comes from the caller (internal.migrate) or DATABASE_URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, inspect

from internal import config as settings
from internal.db import COUNT_CHANGES, NEXT_GENERATION, make_engine
from internal.models import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        _next_generation(connection)  # in the caller's transaction
        return
    url = context.config.get_main_option("sqlalchemy.url") or settings.load()["DATABASE_URL"]
    engine = make_engine(url)
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters a table by copying it and dropping the old one, which foreign keys refuse while
            # other rows point at it. Off for the migration (outside any transaction, or SQLite ignores
            # it), and checked whole afterwards.
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        _run(conn)
        if sqlite:
            broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            conn.rollback()
            if broken:
                raise RuntimeError(f"the migration left rows whose foreign keys point nowhere: {broken[:5]}")
        with conn.begin():
            _next_generation(conn)
    engine.dispose()


def _run(connection: Connection) -> None:
    # Tables come and go here, data_generation among them: the migration moves the number itself, once,
    # at its end (_next_generation), rather than with every statement.
    connection.execution_options(**{COUNT_CHANGES: False})
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _next_generation(connection: Connection) -> None:
    """Servers still running drop the pages they rendered before the migration (internal/db.py)."""
    if inspect(connection).has_table("data_generation"):
        connection.exec_driver_sql(NEXT_GENERATION)


if context.is_offline_mode():
    context.configure(url=settings.load()["DATABASE_URL"], target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
