"""A ship notice's own page, and consumption for the suppliers whose policy shares it (404 for the rest)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

import policies
from internal import shipping
from internal.models import Consumption, DisclosureRecord, SourceListEntry
from policies import versions
from tests.factories import make_account, make_item, make_partner, make_purchase_order, make_site, sign_in

SHIP = dt.date(2026, 11, 26)


@pytest.fixture
def notices(session):
    """SUP-841's notice over lines of two orders; SUP-842's notice over one of its own."""
    mine = make_partner(session, "SUP-841", "supplier")
    theirs = make_partner(session, "SUP-842", "supplier")
    me = make_account(session, "ship@sup841.example.com", partners=(mine,))
    them = make_account(session, "ship@sup842.example.com", partners=(theirs,))
    for number, partner, lines in (("PO-841", mine, 2), ("PO-842", mine, 1), ("PO-843", theirs, 1)):
        make_purchase_order(session, number, partner, lines=lines)

    def send(account, partner, lines, carrier, tracking):
        return shipping.create_ship_notice(
            session,
            account_id=account.id,
            partner_id=partner.id,
            ship_date=SHIP,
            expected_arrival=SHIP + dt.timedelta(days=4),
            carrier=carrier,
            tracking_number=tracking,
            lines=lines,
        )

    own = send(
        me,
        mine,
        [
            shipping.NoticeLine("PO-841", 2, Decimal(150)),
            shipping.NoticeLine("PO-842", 1, Decimal(60)),
        ],
        "DB Schenker",
        "00340434161234567890",
    )
    foreign = send(them, theirs, [shipping.NoticeLine("PO-843", 1, Decimal(10))], "DHL", "JD0001")
    session.flush()
    return own.number, foreign.number


def test_the_ship_notice_list_links_to_a_page_with_its_lines_carrier_and_orders(client, session, notices):
    own, _foreign = notices
    sign_in(client, "ship@sup841.example.com")
    listing = client.get("/supplier/ship-notices").get_data(as_text=True)
    assert f'href="/supplier/ship-notices/{own}"' in listing

    page = client.get(f"/supplier/ship-notices/{own}").get_data(as_text=True)
    assert f"Ship notice {own}" in page
    assert 'data-testid="notice-carrier">DB Schenker<' in page
    assert 'data-testid="notice-tracking">00340434161234567890<' in page
    orders = page.split('data-testid="notice-orders">')[1].split("</dd>")[0]
    assert re.findall(r">(PO-\d+)</a>", orders) == ["PO-841", "PO-842"]
    lines = [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row.split("</tr>")[0])).strip()
        for row in page.split('data-testid="notice-line">')[1:]
    ]
    assert lines == ["PO-841 2 PO-841-2 · Part PO-841-2 150 EA", "PO-842 1 PO-842-1 · Part PO-842-1 60 EA"]
    seen = session.scalars(
        select(DisclosureRecord.dataset).where(DisclosureRecord.dataset.like("ship_notice%"))
    ).all()
    assert sorted(seen) == ["ship_notice_lines", "ship_notices", "ship_notices"]


def test_another_suppliers_ship_notice_is_not_found(client, extranet, notices):
    own, foreign = notices
    sign_in(client, "ship@sup841.example.com")
    assert client.get(f"/supplier/ship-notices/{foreign}").status_code == 404
    assert client.get("/supplier/ship-notices/ASN-NOPE").status_code == 404
    other = extranet.test_client()
    sign_in(other, "ship@sup842.example.com")
    assert other.get(f"/supplier/ship-notices/{foreign}").status_code == 200
    assert other.get(f"/supplier/ship-notices/{own}").status_code == 404


TODAY = dt.date.today()  # noqa: DTZ011 - the gate's dates count from the real today
MONDAY = TODAY - dt.timedelta(days=TODAY.weekday()) - dt.timedelta(weeks=3)


@pytest.fixture
def used(session):
    """CU-851 at PL85, supplied by a strategic and a plain supplier; CUS-851 draws three times in one week."""
    strategic = make_partner(session, "SUP-851", "supplier", groups=("suppliers", "strategic-suppliers"))
    plain = make_partner(session, "SUP-852", "supplier", groups=("suppliers",))
    make_account(session, "use@sup851.example.com", partners=(strategic,))
    make_account(session, "use@sup852.example.com", partners=(plain,))
    customer = make_partner(session, "CUS-851", "customer")
    customer.name = "Hangzhou Pumps Ltd"
    site, item = make_site(session, "PL85"), make_item(session, "CU-851")
    for supplier in (strategic, plain):
        session.add(
            SourceListEntry(item_id=item.id, supplier_id=supplier.id, lead_time_days=5, unit_price=Decimal(1))
        )
    for n in range(3):
        session.add(
            Consumption(
                item_id=item.id,
                site_id=site.id,
                issued_on=MONDAY + dt.timedelta(days=n),
                qty=Decimal(12),
                customer_id=customer.id,
            )
        )
    session.flush()
    return strategic, plain


def nav(page: str) -> str:
    return page.split('data-testid="main-nav"')[1].split("</ul>")[0]


def test_a_strategic_supplier_sees_weekly_consumption_per_pseudonymous_customer(client, session, used):
    sign_in(client, "use@sup851.example.com")
    home = client.get("/supplier/").get_data(as_text=True)
    assert 'href="/supplier/consumption"' in nav(home)
    page = client.get("/supplier/consumption?sku=CU-851").get_data(as_text=True)
    rows = page.split('data-testid="consumption-row">')[1:]
    assert len(rows) == 1
    assert f"Week of {MONDAY:%b} {MONDAY.day}, {MONDAY.year}" in rows[0]
    assert "36 EA" in rows[0]
    customer = re.search(r'data-testid="consumption-customer">([^<]+)<', rows[0]).group(1)
    assert customer not in ("CUS-851", "Hangzhou Pumps Ltd", "other")
    assert "Hangzhou" not in page
    assert "CUS-851" not in page
    record = session.scalars(select(DisclosureRecord).where(DisclosureRecord.dataset == "consumption")).one()
    assert (record.channel, record.row_count) == ("web", 1)

    monthly = client.get("/supplier/consumption?sku=CU-851&buckets=month").get_data(as_text=True)
    assert f"{MONDAY.replace(day=1):%B %Y}" in monthly.split('data-testid="consumption-row">')[1]


def test_a_plain_supplier_sees_monthly_sums_rounded_and_no_customer(client, used):
    sign_in(client, "use@sup852.example.com")
    page = client.get("/supplier/consumption").get_data(as_text=True)
    assert 'data-testid="coarser-note"' in page  # asked per week, shown per month
    (row,) = page.split('data-testid="consumption-row">')[1:]
    assert f"{MONDAY.replace(day=1):%B %Y}" in row
    assert "40 EA" in row  # 36 rounded to the nearest 10
    assert "consumption-customer" not in page
    assert ">Customer<" not in page


def test_consumption_is_absent_and_not_found_where_the_policy_does_not_share_it(
    client, extranet, session, used
):
    # A policy that shares consumption with strategic suppliers only.
    text = (
        policies.DEFAULT_SET.read_text(encoding="utf-8")
        .replace(
            "  - id: suppliers-consumption\n    effect: share\n    to: kind:supplier",
            "  - id: suppliers-consumption\n    effect: share\n    to: group:no-such-group",
        )
        .replace("expect: {qty: 1230, customer: hidden}", "expect: {qty: hidden, customer: hidden}")
    )
    author = make_account(session, "author@example.com", staff_role="policy_admin")
    approver = make_account(session, "approver@example.com", staff_role="buyer")
    proposed = versions.propose(session, text, author_id=author.id, comment="no consumption for most")
    versions.approve(session, proposed.id, approver_id=approver.id)
    session.commit()

    sign_in(client, "use@sup852.example.com")
    home = client.get("/supplier/").get_data(as_text=True)
    assert "/supplier/consumption" not in nav(home)
    assert client.get("/supplier/consumption").status_code == 404
    strategic = extranet.test_client()
    sign_in(strategic, "use@sup851.example.com")
    assert "/supplier/consumption" in nav(strategic.get("/supplier/").get_data(as_text=True))
    assert strategic.get("/supplier/consumption").status_code == 200
