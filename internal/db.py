"""Engines and sessions. Services take a Session; the request or task boundary commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, **kw: Any) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys on and real transactions with savepoints."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kw)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
            # pysqlite's own transaction handling breaks SAVEPOINT; let SQLAlchemy emit BEGIN itself.
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, **kw)


def make_session_factory(bind: Engine | Connection) -> sessionmaker[Session]:
    """Sessions on ``bind``; a Connection (tests) gets savepoints so each test rolls back whole."""
    if isinstance(bind, Connection):
        return sessionmaker(bind=bind, join_transaction_mode="create_savepoint", expire_on_commit=False)
    return sessionmaker(bind=bind, expire_on_commit=False)
