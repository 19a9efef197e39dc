"""Planners copy the published plan to a draft, change it in the grid or with a file, and publish it."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from internal import planning
from internal.models import AuditEvent, ForecastBucket, ForecastPlan, PlanStatus
from tests.factories import csrf_token, make_account, make_item, make_partner, make_site, sign_in

MONDAY = dt.date(2026, 12, 7)
WEEKS = [MONDAY, MONDAY + dt.timedelta(weeks=1)]
INPUT = re.compile(r'<input[^>]*?name="([^"]+)"[^>]*?value="([^"]*)"')


@pytest.fixture
def published(session):
    """Plan 88 v1: CP-881 at PL88 is 600 (CUS-881) + 400 (retail) in week 1 and 500 in week 2; CP-882 250."""
    customer = make_partner(session, "CUS-881", "customer")
    site = make_site(session, "PL88")
    first, second = make_item(session, "CP-881"), make_item(session, "CP-882")
    plan = ForecastPlan(
        name="Plan 88",
        version=1,
        status=PlanStatus.published,
        horizon_start=MONDAY,
        weeks=2,
        published_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
    )
    session.add(plan)
    session.flush()
    for item, week, qty, customer_id, channel in (
        (first, WEEKS[0], 600, customer.id, ""),
        (first, WEEKS[0], 400, None, "retail"),
        (first, WEEKS[1], 500, None, "retail"),
        (second, WEEKS[0], 250, None, "spares"),
    ):
        session.add(
            ForecastBucket(
                plan_id=plan.id,
                item_id=item.id,
                site_id=site.id,
                week_start=week,
                qty=Decimal(qty),
                customer_id=customer_id,
                channel=channel,
            )
        )
    for email, role in (("planner881@example.com", "planner"), ("viewer881@example.com", "viewer")):
        make_account(session, email, staff_role=role)
    session.flush()
    return plan


def signed_in(console, email="planner881@example.com"):
    client = console.test_client()
    sign_in(client, email)
    return client


def copy(client, plan):
    return client.post(
        f"/forecast-plans/{plan.id}/copy", data={"csrf_token": csrf_token(client, "/forecast-plans")}
    )


def draft_of(session, plan):
    return session.scalar(
        select(ForecastPlan).where(ForecastPlan.name == plan.name, ForecastPlan.status == PlanStatus.draft)
    )


def cell(session, plan, sku, week):
    from internal.models import Item

    return session.scalars(
        select(ForecastBucket.qty)
        .join(Item, Item.id == ForecastBucket.item_id)
        .where(ForecastBucket.plan_id == plan.id, Item.sku == sku, ForecastBucket.week_start == week)
        .order_by(ForecastBucket.id)
    ).all()


def test_a_planner_copies_the_published_plan_to_a_draft_with_every_bucket(session, published, console):
    planner = signed_in(console)

    response = copy(planner, published)

    draft = draft_of(session, published)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/forecast-plans/{draft.id}")
    assert (draft.version, draft.horizon_start, draft.weeks) == (2, MONDAY, 2)
    assert cell(session, draft, "CP-881", WEEKS[0]) == [Decimal(600), Decimal(400)]
    assert session.scalar(select(func.count()).where(ForecastBucket.plan_id == draft.id)) == 4
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "forecast.copied")) is not None
    # A second copy while the draft exists is refused, saying which draft to use.
    copy(planner, published)
    listing = planner.get("/forecast-plans").get_data(as_text=True)
    assert "Plan 88 has a draft already (version 2): change or publish that one." in listing
    assert session.scalar(select(func.count()).where(ForecastPlan.name == "Plan 88")) == 2


def grid_form(client, plan):
    page = client.get(f"/forecast-plans/{plan.id}").get_data(as_text=True)
    return dict(INPUT.findall(page)), page


def test_a_planner_changes_a_cell_and_its_buckets_keep_their_proportions(session, published, console):
    planner = signed_in(console)
    copy(planner, published)
    draft = draft_of(session, published)
    form, page = grid_form(planner, draft)
    assert 'for="qty-0-0">CP-881 at PL88, week of 2026-12-07</label>' in page
    assert (form["sku-0"], form["qty-0-0"], form["qty-0-1"], form["qty-1-0"]) == (
        "CP-881",
        "1000",
        "500",
        "250",
    )

    response = planner.post(f"/forecast-plans/{draft.id}", data={**form, "qty-0-0": "1500"})

    assert response.status_code == 302
    session.expire_all()
    assert cell(session, draft, "CP-881", WEEKS[0]) == [Decimal(900), Decimal(600)]
    assert cell(session, draft, "CP-881", WEEKS[1]) == [Decimal(500)]  # not typed in: not touched
    assert cell(session, published, "CP-881", WEEKS[0]) == [Decimal(600), Decimal(400)]
    assert "Saved: 1 quantity changed." in planner.get(f"/forecast-plans/{draft.id}").get_data(as_text=True)


def test_a_grid_with_bad_cells_saves_nothing_and_keeps_what_was_typed(session, published, console):
    planner = signed_in(console)
    copy(planner, published)
    draft = draft_of(session, published)
    form, _page = grid_form(planner, draft)

    response = planner.post(
        f"/forecast-plans/{draft.id}", data={**form, "qty-0-0": "1200", "qty-0-1": "lots", "qty-1-0": "-5"}
    )

    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nothing was saved." in body
    assert "CP-881 at PL88, week of 2026-12-14: &#39;lots&#39; is not a number" in body
    assert 'value="lots"' in body
    assert 'value="1200"' in body
    session.expire_all()
    assert cell(session, draft, "CP-881", WEEKS[0]) == [Decimal(600), Decimal(400)]
    # -5 reads as a number, so the service refuses it: still nothing stored.
    negative = planner.post(f"/forecast-plans/{draft.id}", data={**form, "qty-0-0": "1200", "qty-1-0": "-5"})
    assert negative.status_code == 400
    assert "the quantity cannot be negative" in negative.get_data(as_text=True)
    session.expire_all()
    assert cell(session, draft, "CP-881", WEEKS[0]) == [Decimal(600), Decimal(400)]


def upload(client, plan, name, content):
    token = csrf_token(client, f"/forecast-plans/{plan.id}")
    return client.post(
        f"/forecast-plans/{plan.id}/upload",
        data={"csrf_token": token, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_an_uploaded_file_changes_the_draft_row_by_row(session, published, console):
    planner = signed_in(console)
    copy(planner, published)
    draft = draft_of(session, published)
    book = Workbook()
    sheet = book.active
    sheet.append(["sku", "site", "week", "qty"])
    sheet.append(["CP-882", "PL88", WEEKS[1], 75])  # a week with no demand yet: a new bucket
    sheet.append(["CP-881", "PL88", WEEKS[1], 0])
    content = io.BytesIO()
    book.save(content)

    response = upload(planner, draft, "plan.xlsx", content.getvalue())

    assert response.status_code == 302
    session.expire_all()
    assert cell(session, draft, "CP-882", WEEKS[1]) == [Decimal(75)]
    assert cell(session, draft, "CP-881", WEEKS[1]) == [Decimal(0)]
    assert cell(session, draft, "CP-881", WEEKS[0]) == [Decimal(600), Decimal(400)]


def test_an_upload_with_bad_rows_names_each_and_changes_nothing(session, published, console):
    planner = signed_in(console)
    copy(planner, published)
    draft = draft_of(session, published)
    csv = (
        "sku,site,week,qty\n"
        "CP-881,PL88,2026-12-07,999\n"
        "NOPE-1,PL88,2026-12-07,5\n"
        "CP-881,XX99,2026-12-07,5\n"
        "CP-882,PL88,2026-12-09,5\n"
        "CP-882,PL88,2027-03-01,5\n"
        "CP-881,PL88,2026-12-14,1.00005\n"
        "CP-881,PL88,2026-12-07,7\n"
    )

    response = upload(planner, draft, "plan.csv", csv.encode())

    body = response.get_data(as_text=True)
    assert response.status_code == 400
    for error in (
        "row 3: there is no item &#39;NOPE-1&#39;.",
        "row 4: there is no site &#39;XX99&#39;.",
        "row 5: 2026-12-09 is not a week of this plan",
        "row 6: 2027-03-01 is not a week of this plan",
        "row 7, qty: use at most 3 decimal places.",
        "row 8: CP-881 at PL88 for 2026-12-07 appears twice.",
    ):
        assert error in body
    session.expire_all()
    assert cell(session, draft, "CP-881", WEEKS[0]) == [Decimal(600), Decimal(400)]
    # A file that cannot be read at all, and a missing column, say so.
    assert "upload a .csv or .xlsx file" in upload(planner, draft, "plan.txt", b"x").get_data(as_text=True)
    missing = upload(planner, draft, "plan.csv", b"sku,site,qty\nCP-881,PL88,5\n").get_data(as_text=True)
    assert "missing: week" in missing
    typo = upload(planner, draft, "plan.csv", b"sku,site,week,qty\nCP-881,PL88,7 Dec,5\n")
    assert "row 2: week &#39;7 Dec&#39; is not a date like 2026-12-07." in typo.get_data(as_text=True)


def test_a_planner_publishes_the_draft_and_it_can_no_longer_be_changed(session, published, console):
    planner = signed_in(console)
    copy(planner, published)
    draft = draft_of(session, published)
    form, _page = grid_form(planner, draft)
    planner.post(f"/forecast-plans/{draft.id}", data={**form, "qty-1-0": "300"})

    response = planner.post(
        f"/forecast-plans/{draft.id}/publish", data={"csrf_token": csrf_token(planner, "/forecast-plans")}
    )

    assert response.status_code == 302
    session.expire_all()
    assert (published.status, draft.status) == (PlanStatus.superseded, PlanStatus.published)
    assert planning.published_plan(session).id == draft.id
    assert cell(session, draft, "CP-882", WEEKS[0]) == [Decimal(300)]
    page = planner.get(f"/forecast-plans/{draft.id}").get_data(as_text=True)
    assert 'name="qty-0-0"' not in page  # a published plan reads, it is not a form
    refused = planner.post(f"/forecast-plans/{draft.id}", data={**form, "qty-1-0": "1"})
    assert refused.status_code == 400
    assert "Only a draft plan can be changed" in refused.get_data(as_text=True)


def test_viewers_read_plans_but_cannot_copy_change_upload_or_publish(session, published, console):
    viewer = signed_in(console, "viewer881@example.com")
    listing = viewer.get("/forecast-plans").get_data(as_text=True)
    assert "Plan 88" in listing
    assert "Copy to a new draft" not in listing
    page = viewer.get(f"/forecast-plans/{published.id}").get_data(as_text=True)
    assert "CP-881" in page
    assert 'name="qty-0-0"' not in page
    token = csrf_token(viewer, "/forecast-plans")
    for path in ("copy", "publish", "upload", ""):
        url = f"/forecast-plans/{published.id}/{path}".rstrip("/")
        assert viewer.post(url, data={"csrf_token": token}).status_code == 403, url
    assert draft_of(session, published) is None
    assert "/login" in console.test_client().get(f"/forecast-plans/{published.id}").headers["Location"]


def test_a_cell_shared_by_buckets_adds_up_exactly_after_scaling(session, published):
    draft = planning.copy_plan(session, published.id, account_id=None)

    changed = planning.set_plan_quantities(
        session,
        draft.id,
        account_id=None,
        entries=[planning.PlanQuantity("CP-881", "PL88", WEEKS[0], Decimal("1000.001"))],
    )

    parts = cell(session, draft, "CP-881", WEEKS[0])
    assert changed == 1
    assert sum(parts) == Decimal("1000.001")
    assert parts == [Decimal("600.001"), Decimal("400.000")]
