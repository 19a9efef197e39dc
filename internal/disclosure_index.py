"""The ledger's subject index (disclosure_subject): what a partner saw about an item, customer, site or
document, found through an index rather than by reading every record.

Each ledger record carries its subjects. How they reach the index differs by database, deliberately:

- **PostgreSQL** copies them by trigger as the record is inserted (migration 0003): many writers
  commit at once there, and the copy is part of each record's own transaction.
- **SQLite** lets one writer commit at a time, and a page's record costs its subjects' index pages:
  a page about fifty items touches some fifty leaves of the (partner, subject, time) index, which
  tripled the cost of writing the record and made it most of a cached page's cost. So SQLite fills
  the index in batches: each worker process, every ``BATCH`` records it has written, copies the
  subjects of every record past ``disclosure_subject_progress.record_id`` in the same short write
  transaction. Writers there hold one lock, so ids commit in order and the mark is exact.
  Between batches, the newest records are not in the index yet: ``unindexed_subjects`` reads them
  from the records themselves, and the ledger's question asks both (policies/ledger.py), so an
  answer never misses a record.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

from sqlalchemy import Connection, bindparam, text

from internal.models import DisclosureRecord

#: Records a worker process writes between two fillings of the index (SQLite).
BATCH = 2048

_MARK = "SELECT record_id FROM disclosure_subject_progress WHERE id = 1"
_NEWEST = "SELECT MAX(id) FROM disclosure_record"
_FILL = (
    "INSERT INTO disclosure_subject (record_id, partner_id, at, kind, subject) "
    "SELECT r.id, r.partner_id, r.at, json_extract(s.value, '$[0]'), json_extract(s.value, '$[1]') "
    "FROM disclosure_record AS r, json_each(r.subjects) AS s "
    "WHERE r.id > :after AND r.id <= :through AND r.partner_id IS NOT NULL"
)
_MOVE_MARK = "UPDATE disclosure_subject_progress SET record_id = :through WHERE id = 1"
_AT = DisclosureRecord.__table__.c.at.type
#: Records past the mark, each with one of its subjects (SQLite).
UNINDEXED = (
    text(
        "SELECT r.id AS record_id, json_extract(s.value, '$[0]') AS kind, r.at AS at "
        "FROM disclosure_record AS r, json_each(r.subjects) AS s "
        "WHERE r.id > (SELECT record_id FROM disclosure_subject_progress WHERE id = 1) "
        "AND r.partner_id = :partner_id AND json_extract(s.value, '$[1]') = :subject "
        "AND r.at >= :since AND r.at < :until"
    )
    .bindparams(bindparam("since", type_=_AT), bindparam("until", type_=_AT))
    .columns(record_id=DisclosureRecord.__table__.c.id.type, at=_AT)
)

_lock = threading.Lock()
_written = 0


def batched(connection: Connection) -> bool:
    """Whether this database fills the subject index in batches (SQLite) rather than by trigger."""
    return connection.dialect.name == "sqlite"


def note_written(connection: Connection, records: int) -> None:
    """``records`` ledger records were just inserted in ``connection``'s write transaction: every
    ``BATCH`` of them, fill the index in the same transaction."""
    if batched(connection) and _due(records):
        fill(connection)


def note_written_plainly(driver: sqlite3.Connection, records: int) -> None:
    """As ``note_written``, for records inserted straight through the SQLite driver's connection."""
    if _due(records):
        _fill(driver)


def _due(records: int) -> bool:
    global _written
    with _lock:
        _written += records
        due = _written >= BATCH
        if due:
            _written = 0
    return due


def fill(connection: Connection) -> int:
    """Copy the subjects of every record past the mark into the index, in ``connection``'s write
    transaction; returns how many records that was (always 0 on PostgreSQL, whose trigger did it)."""
    if not batched(connection):
        return 0
    return _fill(connection.connection.driver_connection)  # type: ignore[arg-type]


def _fill(driver: sqlite3.Connection) -> int:
    """``fill`` on SQLite's own connection, in its open write transaction (the index is no table a
    page shows, so no statement event needs to see these)."""
    after = driver.execute(_MARK).fetchone()[0]
    through = driver.execute(_NEWEST).fetchone()[0]
    if through is None or through <= after:
        return 0
    driver.execute(_FILL, {"after": after, "through": through})
    driver.execute(_MOVE_MARK, {"through": through})
    return int(through - after)


def unindexed_subjects(connection: Connection, **where: Any) -> list[Any]:
    """(record_id, kind, at) of records not yet in the index that are about ``where["subject"]``,
    for ``where["partner_id"]`` between ``where["since"]`` and ``where["until"]`` (SQLite; none elsewhere)."""
    if not batched(connection):
        return []
    return list(connection.execute(UNINDEXED, where).all())
