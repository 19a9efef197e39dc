"""Engines and sessions. Services take a Session; the request or task boundary commits.

How transactions are made, and why. Many partners click at once, and every page writes a ledger
record of what it disclosed, so nearly every request writes. PostgreSQL (production) copes with any
shape of transaction at READ COMMITTED. SQLite (the embedded default) does not: with its default
deferred ``BEGIN``, a transaction that has read and then writes fails at once with
SQLITE_BUSY_SNAPSHOT ("database is locked") when another connection committed in between, and the
busy timeout is never consulted for that case. So, on both databases alike:

- **Pages read first and write last.** A GET reads in a deferred transaction (in WAL mode readers
  never wait for the writer). What it must write (the gate's ledger records, the session's last-seen
  stamp) is kept back: the session does not autoflush, and statements go through
  ``write_after_reads``. At the boundary, ``commit`` ends the read transaction and writes those rows
  in a short transaction of their own that begins IMMEDIATE. The records do not depend on the read
  snapshot (they say what was shown), and if writing them fails the page is not sent: it fails closed.
- **Requests and tasks that change data begin IMMEDIATE** (``begin_writing``): they take SQLite's
  write lock at ``BEGIN``, so a second writer waits for the busy timeout instead of failing, and
  what they read before writing cannot go stale under them. Write transactions stay short.
- The busy timeout (30 s) covers the queue of writers; WAL and synchronous=NORMAL keep each commit
  cheap. On PostgreSQL the IMMEDIATE option is ignored and the same code runs unchanged.

How rendered pages learn that data changed. Every engine watches the statements it runs: an INSERT,
UPDATE or DELETE on any table except the few that reading and signing in write (``UNCOUNTED``) marks
the connection, and when that transaction commits, one last statement adds one to
``data_generation.number`` in the same transaction. The extranet keeps rendered pages under that
number (internal/web/page_cache.py), so a change is in the database and the number has moved at the
same instant, on both databases, whichever service, task, import or migration made it. Taken as the
last statement before COMMIT, the row's lock is held only while committing, so it cannot deadlock
with the transaction's other locks. Changes made outside the portal (by hand in SQL) should add one
themselves: ``UPDATE data_generation SET number = number + 1``.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import sqlite3
import threading
from typing import Any

from sqlalchemy import Connection, Engine, Executable, Result, Select, Table, create_engine, event, insert
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

#: Execution option read by the SQLite BEGIN hook: "IMMEDIATE" takes the write lock at BEGIN.
SQLITE_BEGIN = "portal_sqlite_begin"
#: Seconds a SQLite writer waits for the lock before "database is locked".
SQLITE_BUSY_SECONDS = 30

_READING = "portal_reading"
_AFTER_READS = "portal_after_reads"
_ROWS_AFTER_READS = "portal_rows_after_reads"
_MEMO = "portal_read_memo"
_WROTE = "portal_wrote"
_CHANGED = "portal_changed"

#: Tables that reading pages, signing in and calling the API write, and that no cached page shows: the
#: ledger and its subjects, the audit trail, sessions and sign-in records, API tokens' last use.
UNCOUNTED = frozenset(
    {
        "disclosure_record",
        "disclosure_subject",
        "disclosure_subject_progress",
        "audit_event",
        "account_session",
        "login_failure",
        "sign_in_event",
        "api_token",
        "api_idempotency",
        "data_generation",
    }
)
_CHANGES = re.compile(
    r'\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+"?(\w+)', re.I
)
NEXT_GENERATION = "UPDATE data_generation SET number = number + 1 WHERE id = 1"
#: Execution option: False on a connection whose changes are not counted (migrations count their own).
COUNT_CHANGES = "portal_count_changes"


#: Whether this thread holds a writers' queue (QueuedWriters).
_queue_holder = threading.local()
#: Commits of a process between two checkpoints of the WAL into the database (QueuedWriters).
CHECKPOINT_EVERY = 500
#: WAL pages after which SQLite checkpoints in the committing connection all the same (default 1,000).
WAL_PAGES_AT_MOST = 10_000
_commits = [0]
_commits_lock = threading.Lock()


def _checkpoint_due() -> bool:
    with _commits_lock:
        _commits[0] += 1
        due = _commits[0] >= CHECKPOINT_EVERY
        if due:
            _commits[0] = 0
    return due


class QueuedWriters(sqlite3.Connection):
    """A SQLite connection whose write transactions queue for the database on a file lock beside it.

    SQLite lets one writer at a time hold its lock, and a writer that finds it taken sleeps in the
    busy handler, 1, 2, 5, 10 ms and more, however soon the lock comes free. Every page view writes its
    ledger records in a short transaction (well under a millisecond), so two workers met there often,
    and the loser slept longer than the whole write: on two cores, 10 to 15 % of the time sat idle.
    Writers of the portal (web workers, task workers, the CLI, in any process) first take an exclusive
    ``flock`` on ``<database>-writers``: the kernel wakes the next one the moment the lock is let go,
    after COMMIT or ROLLBACK. SQLite's own lock and busy timeout stay, for writers outside the portal.

    For the same reason SQLite's automatic checkpoint is pushed back on these connections (it runs inside
    the COMMIT that crosses 1,000 pages of WAL, so the queue would wait out its disk syncs): every
    ``CHECKPOINT_EVERY`` commits, a process checkpoints PASSIVE after letting go of the queue, which
    neither waits for nor stops readers and writers; SQLite's own checkpoint, at ``WAL_PAGES_AT_MOST``,
    only bounds the WAL of a process that commits seldom but much. The last connection to close
    checkpoints the rest.
    """

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        name = os.fspath(database) if not isinstance(database, bytes) else database.decode()
        self._queue: int | None = None
        if name not in ("", ":memory:") and not name.startswith("file:"):
            self._queue = os.open(name + "-writers", os.O_RDWR | os.O_CREAT, 0o600)
        self._queued = False

    def begin_writing(self) -> None:
        """BEGIN IMMEDIATE, once this connection's turn in the queue of writers has come.

        A thread already holding the queue through another connection does not queue again (it would
        wait for itself): that second writer meets SQLite's lock and busy timeout, as without the queue.
        """
        if self._queue is not None and not self._queued and not getattr(_queue_holder, "held", False):
            fcntl.flock(self._queue, fcntl.LOCK_EX)
            self._queued = _queue_holder.held = True
        try:
            self.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._let_go()
            raise

    def _let_go(self) -> None:
        if self._queued:
            self._queued = _queue_holder.held = False
            fcntl.flock(self._queue, fcntl.LOCK_UN)  # type: ignore[arg-type]

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._let_go()
        if self._queue is not None and _checkpoint_due():
            # After letting go of the queue: the next writer goes on while this one copies the WAL.
            self.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._let_go()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._let_go()
            if self._queue is not None:
                os.close(self._queue)
                self._queue = None


class Dumped(str):
    """A JSON value already written as text (a ledger record served again): stored as it is."""

    __slots__ = ()


def _json_text(value: Any) -> str:
    return str.__str__(value) if type(value) is Dumped else json.dumps(value)


def make_engine(url: str, **kw: Any) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys on and real transactions with savepoints."""
    kw.setdefault("json_serializer", _json_text)
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_SECONDS, "factory": QueuedWriters}, **kw
        )

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
            # pysqlite's own transaction handling breaks SAVEPOINT; let SQLAlchemy emit BEGIN itself.
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            if getattr(dbapi_conn, "_queue", None) is not None:
                # QueuedWriters checkpoints; SQLite's own, ten times further apart than its default,
                # only bounds the WAL of a process that commits seldom but much (an importer).
                cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_PAGES_AT_MOST}")
            cursor.close()

        _count_changes(engine)

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            driver: QueuedWriters = conn.connection.driver_connection  # type: ignore[assignment]
            # Straight to the driver: BEGIN is sent on every request, and has no parameters or result.
            if conn.get_execution_options().get(SQLITE_BEGIN) == "IMMEDIATE":
                driver.begin_writing()
            else:
                driver.execute("BEGIN")

        return engine
    engine = create_engine(url, pool_pre_ping=True, **kw)
    _count_changes(engine)
    return engine


def _count_changes(engine: Engine) -> None:
    """Add one to data_generation as a transaction that changed what pages show commits (see above)."""

    @event.listens_for(engine, "after_cursor_execute")
    def _note_change(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        found = _CHANGES.match(statement)
        if (
            found is not None
            and found.group(1).lower() not in UNCOUNTED
            and conn.get_execution_options().get(COUNT_CHANGES, True)
        ):
            conn.info[_CHANGED] = True

    # A database not yet upgraded to migration 0014 has no number to move; once it has, it keeps it.
    present = [False]
    exists = (
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'data_generation'"
        if engine.dialect.name == "sqlite"
        else "SELECT to_regclass('data_generation')"
    )

    def _next_generation(conn: Connection, *_args: Any) -> None:
        if conn.info.pop(_CHANGED, False):
            # Straight to the driver, in the transaction about to commit (or the savepoint released).
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            try:
                if not present[0]:
                    cursor.execute(exists)
                    present[0] = (cursor.fetchone() or (None,))[0] is not None
                if present[0]:
                    cursor.execute(NEXT_GENERATION)
            finally:
                cursor.close()

    def _forget_changes(conn: Connection, *_args: Any) -> None:
        conn.info.pop(_CHANGED, None)

    event.listen(engine, "commit", _next_generation)
    # Tests run each app on one connection whose sessions commit by releasing savepoints.
    event.listen(engine, "release_savepoint", _next_generation)
    event.listen(engine, "rollback", _forget_changes)
    event.listen(engine, "checkin", lambda _dbapi, record: record.info.pop(_CHANGED, None))


def has_uncommitted_changes(session: Session) -> bool:
    """Whether ``session``'s connection has changed counted rows that are not yet committed."""
    return bool(session.in_transaction() and session.connection().info.get(_CHANGED))


def make_session_factory(bind: Engine | Connection) -> sessionmaker[Session]:
    """Sessions on ``bind``; a Connection (tests) gets savepoints so each test rolls back whole."""
    if isinstance(bind, Connection):
        factory = sessionmaker(bind=bind, join_transaction_mode="create_savepoint", expire_on_commit=False)
    else:
        factory = sessionmaker(bind=bind, expire_on_commit=False)
    event.listen(factory, "after_flush", _note_flush)
    event.listen(factory, "do_orm_execute", _note_statement)
    # Audit events are chained as they are written, whichever service adds them.
    from internal.audit import chain_new_events

    event.listen(factory, "before_flush", chain_new_events)
    return factory


def begin_writing(session: Session) -> None:
    """Start ``session``'s transaction as a writer (IMMEDIATE on SQLite). Call before its first query."""
    if not session.in_transaction():
        session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})


def begin_reading(session: Session) -> None:
    """Put a fresh ``session`` in the read phase: no autoflush, writes kept back until ``commit``."""
    session.autoflush = False
    session.info[_READING] = True
    session.info[_WROTE] = False


def execute(session: Session, statement: Executable, params: dict[str, Any] | None = None) -> Result[Any]:
    """Run a Core statement on ``session``'s connection and transaction, without the ORM's layers.

    For the statements every page runs (the signed-in user, the active policy, the gate's queries):
    through ``Session.execute`` each costs about 170 microseconds more than the statement itself.
    Pending changes are flushed first when the session autoflushes, as ``Session.execute`` would.
    """
    if session.autoflush:
        session.flush()
    return session.connection().execute(statement, params or {})


class PlainQuery:
    """A fixed SELECT that every request runs (the signed-in user), straight through SQLite's driver.

    On SQLite, when the session is on an engine and has not begun its transaction, the statement runs
    on a pooled connection by itself, in SQLite's own one-statement transaction: without the Session's
    transaction, the pool's bookkeeping and SQLAlchemy's execution layers, which together cost twice
    the statement. Values come back converted by the columns' types, as SQLAlchemy would convert them.
    The page's other reads begin the session's transaction as before; what they see is at least as
    new as this statement saw (internal/web/page_cache.py relies on no more). Elsewhere (PostgreSQL,
    tests bound to one connection) it runs on the session's connection like any statement.
    """

    def __init__(self, statement: Select[Any, *tuple[Any, ...]]) -> None:
        self.statement = statement
        self.names = tuple(statement.selected_columns.keys())
        self._plans: dict[str, tuple[str, list[tuple[str | None, Any, Any]], list[Any]]] = {}

    def rows(self, session: Session, params: dict[str, Any]) -> list[Any]:
        bind = session.get_bind()
        if not (isinstance(bind, Engine) and bind.dialect.name == "sqlite" and not session.in_transaction()):
            return list(execute(session, self.statement, params).all())
        plan = self._plans.get(bind.dialect.name) or self._plan(bind)
        sql, binds, results = plan
        arguments = tuple(
            fixed if name is None else (params[name] if convert is None else convert(params[name]))
            for name, convert, fixed in binds
        )
        raw = bind.raw_connection()
        try:
            fetched = raw.driver_connection.execute(sql, arguments).fetchall()  # type: ignore[union-attr]
        finally:
            raw.close()
        return [
            _PlainRow(self.names, [v if c is None else c(v) for c, v in zip(results, row, strict=True)])
            for row in fetched
        ]

    def _plan(self, bind: Engine) -> tuple[str, list[tuple[str | None, Any, Any]], list[Any]]:
        dialect = bind.dialect
        compiled = self.statement.compile(dialect=dialect)
        literal = compiled.construct_params({k: None for k, b in compiled.binds.items() if b.required})
        binds: list[tuple[str | None, Any, Any]] = []
        for name in compiled.positiontup or ():
            convert = _to_driver(compiled.binds[name].type, dialect)
            if literal.get(name) is not None:  # a value written into the statement (a status, an id)
                binds.append((None, None, literal[name] if convert is None else convert(literal[name])))
            else:
                binds.append((name, convert, None))
        columns = self.statement.selected_columns
        results = [column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns]
        plan = self._plans[dialect.name] = (compiled.string, binds, results)
        return plan


def _to_driver(type_: Any, dialect: Any) -> Any:
    """How a value of ``type_`` is handed to ``dialect``'s driver (None: as it is), as SQLAlchemy does."""
    return type_.dialect_impl(dialect).bind_processor(dialect)


class _PlainRow:
    """A row of a PlainQuery, read by column name."""

    __slots__ = ("_values",)

    def __init__(self, names: tuple[str, ...], values: list[Any]) -> None:
        self._values = dict(zip(names, values, strict=True))

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None


def is_reading(session: Session) -> bool:
    """Whether ``session`` is in a page's read phase (its writes wait for the boundary's commit)."""
    return bool(session.info.get(_READING))


def read_memo(session: Session) -> dict[str, Any] | None:
    """A dict that lives as long as ``session``'s read phase, or None outside one.

    For answers a page asks for more than once (which policy version is active): in the read phase
    nothing the page does can change them, and ``commit`` forgets them.
    """
    if not is_reading(session):
        return None
    memo: dict[str, Any] = session.info.setdefault(_MEMO, {})
    return memo


def write_after_reads(session: Session, statement: Executable) -> None:
    """Execute ``statement`` now, or, in a read phase, in the short write transaction at its end."""
    if is_reading(session):
        session.info.setdefault(_AFTER_READS, []).append(statement)
    else:
        session.execute(statement)


def insert_after_reads(session: Session, table: Table, row: dict[str, Any]) -> None:
    """Insert ``row`` now, or, in a read phase, with the other rows kept back, in one statement per table.

    For records a page writes many of (the ledger): a plain insert, without the unit of work's
    bookkeeping for objects nobody reads back.
    """
    if is_reading(session):
        session.info.setdefault(_ROWS_AFTER_READS, {}).setdefault(table, []).append(row)
    else:
        execute(session, insert(table), row)


def kept_rows(session: Session, table: Table) -> list[dict[str, Any]]:
    """The rows of ``table`` that ``session``'s read phase keeps back for its end (empty outside one)."""
    return list(session.info.get(_ROWS_AFTER_READS, {}).get(table, ()))


def kept_statements(session: Session) -> int:
    """How many statements ``session``'s read phase keeps back for its end."""
    return len(session.info.get(_AFTER_READS, ()))


def _write_kept(
    connection: Connection, statements: list[Executable], rows: dict[Table, list[dict[str, Any]]]
) -> None:
    """The rows and statements a read phase kept back: one insert per table, then each statement."""
    for table, values in rows.items():
        connection.execute(insert(table), values)
        if table.name == "disclosure_record":
            from internal import disclosure_index

            disclosure_index.note_written(connection, len(values))
    for statement in statements:
        connection.execute(statement)


def _plainly_written(bind: Engine, rows: dict[Table, list[dict[str, Any]]]) -> bool:
    """Whether ``rows`` can go straight to the driver: SQLite, only tables no page shows (the ledger),
    and rows that name every column their insert writes (no defaults to compute)."""
    return bind.dialect.name == "sqlite" and all(
        table.name in UNCOUNTED
        and _plain_insert(bind, table, tuple(values[0])) is not None
        and all(row.keys() == values[0].keys() for row in values)
        for table, values in rows.items()
    )


#: INSERT statements by table and column names, with each column's conversion for the driver.
_PLAIN_INSERTS: dict[tuple[Table, tuple[str, ...]], tuple[str, list[Any]] | None] = {}


def _plain_insert(bind: Engine, table: Table, names: tuple[str, ...]) -> tuple[str, list[Any]] | None:
    key = (table, names)
    if key not in _PLAIN_INSERTS:
        compiled = insert(table).compile(dialect=bind.dialect, column_keys=list(names))
        order = list(compiled.positiontup or ())
        convert = [(name, _to_driver(table.c[name].type, bind.dialect)) for name in order]
        _PLAIN_INSERTS[key] = (compiled.string, convert) if sorted(order) == sorted(names) else None
    return _PLAIN_INSERTS[key]


def _write_rows_plainly(bind: Engine, rows: dict[Table, list[dict[str, Any]]]) -> None:
    """A page's ledger records, on SQLite, straight to the driver in a write transaction of their own.

    Every page view ends here, and the same insert through SQLAlchemy's layers cost as much again as
    SQLite's own work. The columns are converted as their types say (times, JSON); the tables are ones
    that do not move data_generation, which is why no statement event needs to see them.
    """
    from internal import disclosure_index

    raw = bind.raw_connection()
    driver: QueuedWriters = raw.driver_connection  # type: ignore[assignment]
    try:
        driver.begin_writing()
        for table, values in rows.items():
            plan = _plain_insert(bind, table, tuple(values[0]))
            assert plan is not None  # _plainly_written said so
            sql, convert = plan
            driver.executemany(
                sql, [tuple(row[n] if c is None else c(row[n]) for n, c in convert) for row in values]
            )
            if table.name == "disclosure_record":
                disclosure_index.note_written_plainly(driver, len(values))
        driver.commit()
    except BaseException:
        driver.rollback()
        raise
    finally:
        raw.close()


def commit(session: Session) -> None:
    """Commit the boundary's work; a read phase writes its kept-back rows in a transaction of its own."""
    session.info.pop(_MEMO, None)
    if not session.info.pop(_READING, False):
        session.commit()
        return
    statements: list[Executable] = session.info.pop(_AFTER_READS, [])
    rows: dict[Table, list[dict[str, Any]]] = session.info.pop(_ROWS_AFTER_READS, {})
    if session.info.pop(_WROTE, False) or session.dirty or session.deleted:
        # Something wrote during the reads after all: it is one transaction, commit it as it stands.
        session.autoflush = True
        session.flush()
        _write_kept(session.connection(), statements, rows)
        session.commit()
        return
    kept = list(session.new)
    for instance in kept:
        session.expunge(instance)
    bind = session.get_bind()
    session.rollback()  # ends the read snapshot; nothing was written in it
    session.autoflush = True
    if not kept and not statements and not rows:
        return
    if not kept and not statements and isinstance(bind, Engine) and _plainly_written(bind, rows):
        _write_rows_plainly(bind, rows)
        return
    if not kept and isinstance(bind, Engine):
        # Only rows and statements: written on a connection of their own, without the ORM's layers.
        with bind.connect() as connection:
            connection.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
            with connection.begin():
                _write_kept(connection, statements, rows)
        return
    begin_writing(session)
    session.add_all(kept)
    session.flush()
    _write_kept(session.connection(), statements, rows)
    session.commit()


def _note_flush(session: Session, _context: Any) -> None:
    if session.info.get(_READING):
        session.info[_WROTE] = True


def _note_statement(state: ORMExecuteState) -> None:
    if state.session.info.get(_READING) and (state.is_insert or state.is_update or state.is_delete):
        state.session.info[_WROTE] = True
