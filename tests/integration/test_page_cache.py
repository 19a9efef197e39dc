"""Rendered partner pages are served again until something they show changes, and every serving is
recorded in the ledger as the first was (internal/web/page_cache.py, internal/db.py)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, text, update

from internal.db import make_engine, make_session_factory
from internal.migrate import upgrade
from internal.models import DataGeneration, DisclosureRecord, Partner, PurchaseOrderLine
from internal.web.page_cache import EXTENSION
from tests.conftest import install_default_policy, scratch_database
from tests.factories import CSRF_RE, make_account, make_partner, make_purchase_order, sign_in

ORDERS = "/supplier/purchase-orders"


def generation(session) -> int:
    return int(session.scalar(select(DataGeneration.number).where(DataGeneration.id == 1)))


def ledger(session, partner_id: int) -> list[dict[str, Any]]:
    """The partner's ledger records as written, without their ids and times, oldest first."""
    records = session.scalars(
        select(DisclosureRecord)
        .where(DisclosureRecord.partner_id == partner_id)
        .order_by(DisclosureRecord.id)
    )
    return [
        {
            "account_id": r.account_id,
            "channel": r.channel,
            "dataset": r.dataset,
            "policy_version_id": r.policy_version_id,
            "row_keys": r.row_keys,
            "fields": r.fields,
            "row_count": r.row_count,
            "subjects": r.subjects,
        }
        for r in records
    ]


def without_tokens(page: str) -> str:
    return CSRF_RE.sub('name="csrf_token" value=""', page)


@pytest.fixture
def supplier(session, client):
    partner = make_partner(session, "SUP-PC1", groups=("suppliers",))
    make_account(session, "pc1@sup.example.com", partners=(partner,))
    make_purchase_order(session, "PO-PC1-1", partner, lines=2)
    session.commit()
    assert sign_in(client, "pc1@sup.example.com").status_code == 302
    return partner


def test_a_second_view_is_served_again_and_recorded_again(session, client, extranet, supplier):
    cache = extranet.extensions[EXTENSION]
    first = client.get(ORDERS)
    assert first.status_code == 200
    recorded = ledger(session, supplier.id)
    assert len(recorded) == 1
    assert recorded[0]["dataset"] == "purchase_orders"
    second = client.get(ORDERS)
    assert second.status_code == 200
    assert (cache.hits, cache.misses) == (1, 1)
    assert without_tokens(second.get_data(as_text=True)) == without_tokens(first.get_data(as_text=True))
    assert "PO-PC1-1" in second.get_data(as_text=True)
    # The page served again disclosed the same rows: the same record, written again.
    assert ledger(session, supplier.id) == recorded * 2


def test_a_committed_change_shows_on_the_next_view(session, client, extranet, supplier):
    assert "PO-PC1-2" not in client.get(ORDERS).get_data(as_text=True)
    before = generation(session)
    make_purchase_order(session, "PO-PC1-2", supplier, lines=1)
    session.commit()
    assert generation(session) == before + 1
    page = client.get(ORDERS).get_data(as_text=True)
    assert "PO-PC1-2" in page
    assert extranet.extensions[EXTENSION].hits == 0


def status_of(page: str, number: str) -> str:
    row = re.search(rf">{number}</a>.*?</tr>", page, re.S)
    assert row, number
    return re.findall(r"<td>([^<]*)</td>", row.group(0))[-1]


def test_a_partners_own_answers_show_at_once(session, client, extranet, supplier):
    detail = f"{ORDERS}/PO-PC1-1"
    before = status_of(client.get(ORDERS).get_data(as_text=True), "PO-PC1-1")
    for line_no in (1, 2):
        page = client.get(detail).get_data(as_text=True)
        token = CSRF_RE.search(page).group(1)  # type: ignore[union-attr]
        version = re.search(rf'lines/{line_no}".*?name="version" value="(\d+)"', page, re.S).group(1)  # type: ignore[union-attr]
        answer = client.post(
            f"{detail}/lines/{line_no}", data={"csrf_token": token, "action": "accept", "version": version}
        )
        assert answer.status_code == 302
    after = status_of(client.get(ORDERS).get_data(as_text=True), "PO-PC1-1")
    assert (before, after) == ("Open", "Acknowledged")
    assert extranet.extensions[EXTENSION].hits == 0  # each answer moved the number: rendered anew


def test_flashed_messages_show_once_and_are_never_kept(session, client, extranet, supplier):
    client.get(ORDERS)
    with client.session_transaction() as browser:
        browser["_flashes"] = [("success", "Saved, thank you.")]
    assert "Saved, thank you." in client.get(ORDERS).get_data(as_text=True)
    again = client.get(ORDERS).get_data(as_text=True)
    assert "Saved, thank you." not in again
    assert extranet.extensions[EXTENSION].hits == 1  # the plain page, not the one with the message


def test_a_kept_page_is_only_ever_served_to_its_own_account(session, extranet, supplier):
    colleague = make_account(session, "pc1.colleague@sup.example.com", partners=(supplier,))
    other = make_partner(session, "SUP-PC2", groups=("suppliers",))
    make_account(session, "pc2@sup.example.com", partners=(other,))
    make_purchase_order(session, "PO-PC2-1", other, lines=1)
    session.commit()
    pages = {}
    for email in ("pc1@sup.example.com", colleague.email, "pc2@sup.example.com"):
        browser = extranet.test_client()
        assert sign_in(browser, email).status_code == 302
        pages[email] = browser.get(ORDERS).get_data(as_text=True)
    assert extranet.extensions[EXTENSION].hits == 0
    assert "PO-PC2-1" in pages["pc2@sup.example.com"]
    assert "PO-PC1-1" not in pages["pc2@sup.example.com"]
    assert "PO-PC1-1" in pages[colleague.email]
    assert "PO-PC2-1" not in pages[colleague.email]


def test_a_page_served_again_carries_this_sessions_csrf_token(session, extranet, supplier):
    first, second = extranet.test_client(), extranet.test_client()
    for browser in (first, second):
        assert sign_in(browser, "pc1@sup.example.com").status_code == 302
    first.get(ORDERS)
    page = second.get(ORDERS).get_data(as_text=True)
    assert extranet.extensions[EXTENSION].hits == 1
    token = CSRF_RE.search(page).group(1)  # type: ignore[union-attr]
    # The token works for the session that was served it: a form posted with it is accepted.
    answer = second.post("/language", data={"locale": "en", "next": ORDERS, "csrf_token": token})
    assert answer.status_code == 302
    with second.session_transaction() as browser:
        raw = browser["csrf_token"]
    with first.session_transaction() as browser:
        assert browser["csrf_token"] != raw


def test_each_language_has_its_own_page(session, client, extranet, supplier):
    english = client.get(ORDERS).get_data(as_text=True)
    token = CSRF_RE.search(english).group(1)  # type: ignore[union-attr]
    client.post("/language", data={"locale": "zh_CN", "next": ORDERS, "csrf_token": token})
    chinese = client.get(ORDERS).get_data(as_text=True)
    assert 'lang="zh' in chinese
    assert 'lang="en' in english


# -- the number itself, on a database of its own -------------------------------------------------------


@pytest.fixture
def own_database(tmp_path_factory) -> Iterator[str]:
    with scratch_database(tmp_path_factory, "generation") as url:
        yield url


def test_only_committed_changes_to_what_pages_show_move_the_number(own_database):
    upgrade(own_database)
    install_default_policy(own_database)
    engine = make_engine(own_database)
    factory = make_session_factory(engine)
    try:
        with factory() as session:
            start = generation(session)
            make_partner(session, "SUP-GEN")
            session.commit()
            assert generation(session) == start + 1
            # Rolled back: nothing changed, nothing moves.
            session.execute(update(Partner).values(name="Renamed"))
            session.rollback()
            assert generation(session) == start + 1
            # The ledger, sessions and audit trail are written by reading pages: they do not count.
            session.add(
                DisclosureRecord(
                    at=dt.datetime.now(dt.UTC),
                    channel="web",
                    dataset="inventory",
                    policy_hash="x",
                    row_keys=[],
                    fields={},
                    row_count=0,
                )
            )
            session.commit()
            assert generation(session) == start + 1
        # Core statements and hand-written SQL count as the ORM's do; one commit moves it once.
        with engine.begin() as connection:
            connection.execute(text("UPDATE partner SET name = 'Again' WHERE code = 'SUP-GEN'"))
            connection.execute(text("UPDATE item SET standard_cost = standard_cost WHERE 1 = 0"))
        with factory() as session:
            assert generation(session) == start + 2
            assert session.scalar(select(func.count()).select_from(DataGeneration)) == 1
    finally:
        engine.dispose()


def test_a_migration_moves_the_number_once(own_database):
    upgrade(own_database, revision="0014")
    engine = make_engine(own_database)
    try:
        with make_session_factory(engine)() as session:
            assert generation(session) == 1  # 0014 itself: servers drop what they rendered before it
    finally:
        engine.dispose()


def test_uncommitted_changes_are_never_kept(session, client, extranet, supplier):
    client.get(ORDERS)
    line = session.scalar(select(PurchaseOrderLine).where(PurchaseOrderLine.line_no == 2))
    assert line is not None
    line.qty = Decimal(777)
    session.flush()  # written in the test's transaction, not committed: the page reads it, and keeps nothing
    assert "777" in client.get(f"{ORDERS}/PO-PC1-1").get_data(as_text=True)
    client.get(ORDERS)
    assert extranet.extensions[EXTENSION].hits == 0
    assert re.search(r"PO-PC1-1", client.get(ORDERS).get_data(as_text=True))


def test_the_signed_in_user_reads_the_same_straight_from_sqlite_as_through_sqlalchemy(own_database):
    from internal import accounts

    upgrade(own_database)
    engine = make_engine(own_database)
    factory = make_session_factory(engine)
    try:
        with factory() as session:
            first = make_partner(session, "SUP-PLN1", groups=("suppliers", "strategic"))
            second = make_partner(session, "CUS-PLN2", "customer")
            account = make_account(
                session, "plain@example.com", partners=(first, second), role="partner_admin"
            )
            token = accounts.start_session(session, account, audience="extranet")
            session.commit()
        answers = []
        for plainly in (True, False):
            with factory() as session:
                if not plainly:
                    session.connection()  # a transaction already begun: the statement goes through SQLAlchemy
                answers.append(accounts.load_user(session, token, audience="extranet"))
        plain, through_sqlalchemy = answers
        assert plain == through_sqlalchemy
        assert plain is not None
        assert [(m.partner_code, m.role, m.partner_kind, sorted(m.groups)) for m in plain.memberships] == [
            ("CUS-PLN2", "partner_admin", "customer", []),
            ("SUP-PLN1", "partner_admin", "supplier", ["strategic", "suppliers"]),
        ]
        assert plain.data_generation is not None
        assert plain.data_generation > 0
    finally:
        engine.dispose()
