"""The ledger's subject index on SQLite is filled in batches, and the ledger's question never misses
the records not in it yet, nor counts one twice (internal/disclosure_index.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, insert, select

from internal import disclosure_index
from internal.db import _write_kept
from internal.models import DisclosureRecord, DisclosureSubject
from policies import ledger
from tests.factories import make_partner

SINCE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
UNTIL = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)


def record(partner_id: int, sku: str) -> dict[str, object]:
    return {
        "at": dt.datetime(2026, 11, 30, 9, tzinfo=dt.UTC),
        "partner_id": partner_id,
        "channel": "web",
        "dataset": "inventory",
        "policy_hash": "x",
        "row_keys": [],
        "fields": {"on_hand": "exact"},
        "row_count": 1,
        "subjects": [["item", sku], ["site", "PL01"]],
    }


def indexed(session, partner_id: int) -> int:
    where = DisclosureSubject.partner_id == partner_id
    return int(session.scalar(select(func.count()).select_from(DisclosureSubject).where(where)))


def test_the_newest_records_are_found_before_and_after_the_index_has_them(session):
    partner = make_partner(session, "SUP-IX1")
    table = DisclosureRecord.__table__
    for sku in ("CP-IX1", "CP-IX1", "CP-IX2"):
        session.execute(insert(table), record(partner.id, sku))
    connection = session.connection()
    # SQLite fills the index in batches; PostgreSQL's trigger filled it with each record.
    batched = disclosure_index.batched(connection)
    assert indexed(session, partner.id) == (0 if batched else 6)
    found = ledger.query(session, partner_code="SUP-IX1", subject="CP-IX1", since=SINCE, until=UNTIL)
    assert [s.subject_kind for s in found] == ["item", "item"]
    assert disclosure_index.fill(connection) == (3 if batched else 0)
    assert indexed(session, partner.id) == 6
    again = ledger.query(session, partner_code="SUP-IX1", subject="CP-IX1", since=SINCE, until=UNTIL)
    assert again == found  # from the index now, and no record twice
    assert disclosure_index.fill(connection) == 0


def test_writers_fill_the_index_every_batch_of_records(session, monkeypatch):
    partner = make_partner(session, "SUP-IX2")
    connection = session.connection()
    batched = disclosure_index.batched(connection)
    monkeypatch.setattr(disclosure_index, "_written", 0)
    table = DisclosureRecord.__table__
    _write_kept(connection, [], {table: [record(partner.id, "CP-IX3")] * (disclosure_index.BATCH - 1)})
    assert indexed(session, partner.id) == (0 if batched else 2 * (disclosure_index.BATCH - 1))
    _write_kept(connection, [], {table: [record(partner.id, "CP-IX3")]})
    assert indexed(session, partner.id) == 2 * disclosure_index.BATCH
    found = ledger.query(
        session, partner_code="SUP-IX2", subject="CP-IX3", since=SINCE, until=UNTIL, limit=10_000
    )
    assert len(found) == disclosure_index.BATCH


def test_a_pages_records_written_straight_to_sqlite_read_back_as_written(tmp_path_factory):
    from internal.db import begin_reading, commit, insert_after_reads, make_engine, make_session_factory
    from internal.migrate import upgrade
    from tests.conftest import scratch_database

    with scratch_database(tmp_path_factory, "plainledger") as url:
        upgrade(url)
        engine = make_engine(url)
        factory = make_session_factory(engine)
        try:
            with factory() as session:
                partner_id = make_partner(session, "SUP-IX4").id
                session.commit()
                begin_reading(session)
                session.execute(select(DisclosureRecord.id)).all()  # the page reads first
                table = DisclosureRecord.__table__
                rows = [
                    record(partner_id, "CP-IX4"),
                    {**record(partner_id, "CP-IX5"), "row_keys": [[7, "x"]]},
                ]
                for row in rows:
                    insert_after_reads(session, table, row)
                commit(session)
            with factory() as session:
                stored = session.scalars(select(DisclosureRecord).order_by(DisclosureRecord.id)).all()
                assert [(r.at, r.partner_id, r.row_keys, r.fields, r.subjects) for r in stored] == [
                    (row["at"], partner_id, row["row_keys"], row["fields"], row["subjects"]) for row in rows
                ]
                found = ledger.query(
                    session, partner_code="SUP-IX4", subject="CP-IX5", since=SINCE, until=UNTIL
                )
                assert [(s.dataset, s.subject_kind) for s in found] == [("inventory", "item")]
        finally:
            engine.dispose()


def test_a_question_about_one_kind_gets_its_whole_limit_of_that_kind(session):
    partner = make_partner(session, "SUP-IX5")
    table = DisclosureRecord.__table__
    for day, kind in ((1, "item"), (2, "item"), (3, "item"), (4, "document"), (5, "document")):
        row = {**record(partner.id, "SO-IX5"), "subjects": [[kind, "SO-IX5"]]}
        session.execute(insert(table), {**row, "at": dt.datetime(2026, 11, day, 9, tzinfo=dt.UTC)})
    disclosure_index.fill(session.connection())  # from the index, where the limit is applied
    found = ledger.query(
        session, partner_code="SUP-IX5", subject="SO-IX5", since=SINCE, until=UNTIL, kind="document", limit=2
    )
    assert [(s.subject_kind, s.at.day) for s in found] == [("document", 4), ("document", 5)]
