"""The partner API on the demo: tokens, the same answers as the pages, 404/403/401, idempotent writes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

import policies
from internal import api_clients
from internal.demo import load_demo
from internal.models import (
    ApiClient,
    ApiToken,
    DisclosureRecord,
    ForecastCommit,
    Partner,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderLineResponse,
    SalesOrder,
    ServiceRequest,
    ServiceRequestMessage,
    ServiceRequestStatus,
    ShipNotice,
    utcnow,
)
from portal.api.datasets import DOCUMENTS, LISTINGS, MONTHLY, plain
from tests.conftest import app_config
from tests.factories import sign_in

SECRETS = {
    "SUP-001": "demo-api-secret-sup-001",
    "SUP-002": "demo-api-secret-sup-002",
    "CUS-001": "demo-api-secret-cus-001",
}


@pytest.fixture
def demo(session):
    load_demo(session, "small")
    return session


@pytest.fixture
def api(demo, extranet):
    return extranet.test_client()


def token(client, code, scope=None, secret=None):
    data = {"grant_type": "client_credentials"} | ({"scope": scope} if scope else {})
    response = client.post("/oauth/token", data=data, auth=(f"demo-{code.lower()}", secret or SECRETS[code]))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["access_token"]


def bearer(value):
    return {"Authorization": f"Bearer {value}"}


def viewer(session, code):
    partner = session.scalar(select(Partner).where(Partner.code == code))
    return policies.Viewer(
        None, partner.id, partner.code, partner.kind.value, frozenset(g.name for g in partner.groups)
    )


def page_rows(session, code, dataset, group=None, **filters):
    """What the portal's pages show: the gate on the "web" channel, as the API would write it in JSON."""
    shown = policies.disclose(
        session,
        viewer(session, code),
        dataset,
        channel="web",
        filters=filters,
        page=policies.Page(size=50),
        group=group,
    )
    return shown, [{k: plain(v) for k, v in row.items()} for row in shown.rows]


# -- tokens --------------------------------------------------------------------------------------------


def test_a_token_is_short_lived_bound_to_the_clients_scopes_and_stored_only_as_a_hash(api, demo):
    response = api.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=("demo-sup-002", SECRETS["SUP-002"])
    )
    body = response.get_json()
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["scope"].split() == list(api_clients.scopes_for("supplier"))
    stored = demo.scalar(
        select(ApiToken).where(ApiToken.token_hash == api_clients.digest(body["access_token"]))
    )
    assert stored is not None
    assert (
        demo.scalar(
            select(func.count()).select_from(ApiToken).where(ApiToken.token_hash == body["access_token"])
        )
        == 0
    )
    assert dt.timedelta(seconds=890) < stored.expires_at - utcnow() <= dt.timedelta(seconds=900)


def test_the_token_endpoint_takes_the_secret_in_the_form_and_narrows_scopes(api):
    response = api.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "demo-sup-002",
            "client_secret": SECRETS["SUP-002"],
            "scope": "inventory:read",
        },
    )
    assert response.status_code == 200
    assert response.get_json()["scope"] == "inventory:read"


def test_a_wrong_secret_an_unknown_scope_and_a_revoked_client_get_no_token(api, demo):
    wrong = api.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=("demo-sup-002", "guess")
    )
    assert wrong.status_code == 401
    assert wrong.get_json()["error"] == "invalid_client"
    unknown = api.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "everything"},
        auth=("demo-sup-002", SECRETS["SUP-002"]),
    )
    assert unknown.status_code == 400
    assert unknown.get_json()["error"] == "invalid_scope"
    demo.scalar(select(ApiClient).where(ApiClient.client_id == "demo-sup-002")).revoked_at = utcnow()
    demo.flush()
    revoked = api.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=("demo-sup-002", SECRETS["SUP-002"])
    )
    assert revoked.status_code == 401


# -- reads: the same answers as the pages ----------------------------------------------------------------


SUPPLIER_LISTINGS = [listing for listing in LISTINGS if listing.side == "supplier"]
CUSTOMER_LISTINGS = [listing for listing in LISTINGS if listing.side == "customer"]


@pytest.mark.parametrize("code", ["SUP-002", "SUP-001"])
@pytest.mark.parametrize("listing", SUPPLIER_LISTINGS, ids=lambda listing: listing.dataset)
def test_each_supplier_dataset_reads_as_the_page_shows_it(api, demo, code, listing):
    response = api.get(f"/api/v1{listing.path}?limit=50", headers=bearer(token(api, code)))
    body = response.get_json()
    assert response.status_code == 200
    shown, expected = page_rows(demo, code, listing.dataset)
    assert expected, f"the demo gives {code} some {listing.dataset}"
    assert body["data"] == expected
    assert body["next_page"] == shown.next_page
    assert body["meta"]["policy_version"] == shown.version
    assert body["meta"]["fields"] == [
        {"name": c.name, "treatment": c.treatment, "explanation": c.explanation} for c in shown.columns
    ]
    assert [h["name"] for h in body["meta"]["hidden"]] == [name for name, _ in shown.hidden]


def test_banded_and_strategic_suppliers_get_their_own_treatments(api, demo):
    banded = api.get("/api/v1/inventory", headers=bearer(token(api, "SUP-002"))).get_json()
    strategic = api.get("/api/v1/inventory", headers=bearer(token(api, "SUP-001"))).get_json()
    treatments = {f["name"]: f["treatment"] for f in banded["meta"]["fields"]}
    assert treatments["on_hand"].startswith("band")
    assert {row["on_hand"] for row in banded["data"]} <= {"out", "low", "ok", "high"}
    assert "on_order" in {h["name"] for h in banded["meta"]["hidden"]}
    assert {f["name"]: f["treatment"] for f in strategic["meta"]["fields"]}["on_hand"] == "exact"
    assert all(Decimal(row["on_hand"]) >= 0 for row in strategic["data"])


@pytest.mark.parametrize("code", ["SUP-002", "SUP-001"])
def test_the_monthly_forecast_reads_as_the_monthly_page(api, demo, code):
    body = api.get("/api/v1/forecast?buckets=month&limit=50", headers=bearer(token(api, code))).get_json()
    _shown, expected = page_rows(demo, code, "forecast", group=MONTHLY)
    assert body["data"] == expected
    assert {row["week"][8:] for row in body["data"]} == {"01"}


@pytest.mark.parametrize("listing", CUSTOMER_LISTINGS, ids=lambda listing: listing.dataset)
def test_each_customer_dataset_reads_as_the_page_shows_it(api, demo, listing):
    body = api.get(f"/api/v1{listing.path}?limit=50", headers=bearer(token(api, "CUS-001"))).get_json()
    _shown, expected = page_rows(demo, "CUS-001", listing.dataset)
    assert expected
    assert body["data"] == expected


def test_every_api_read_is_in_the_ledger_on_the_api_channel(api, demo):
    api.get("/api/v1/inventory", headers=bearer(token(api, "SUP-002")))
    record = demo.scalar(select(DisclosureRecord).order_by(DisclosureRecord.id.desc()).limit(1))
    assert (record.channel, record.dataset) == ("api", "inventory")
    owner = demo.scalar(select(ApiClient.account_id).where(ApiClient.client_id == "demo-sup-002"))
    assert record.account_id == owner
    assert record.fields["on_hand"].startswith("band")


def test_pages_continue_with_the_next_page_cursor_and_filters_apply(api, demo):
    auth = bearer(token(api, "SUP-001"))
    first = api.get("/api/v1/purchase-order-lines?limit=3", headers=auth).get_json()
    second = api.get(
        f"/api/v1/purchase-order-lines?limit=3&after={first['next_page']}", headers=auth
    ).get_json()
    assert len(first["data"]) == len(second["data"]) == 3
    assert first["data"][-1] != second["data"][0]
    number = first["data"][0]["order_number"]
    only = api.get(f"/api/v1/purchase-order-lines?order_number={number}", headers=auth).get_json()
    assert {row["order_number"] for row in only["data"]} == {number}
    bad = api.get("/api/v1/purchase-orders?status=lost", headers=auth)
    assert bad.status_code == 400
    assert "status must be one of" in bad.get_json()["detail"]
    assert api.get("/api/v1/purchase-orders?after=garbage", headers=auth).status_code == 400


def test_a_document_reads_with_its_lines_and_a_foreign_one_is_404(api, demo):
    sup1 = demo.scalar(select(Partner.id).where(Partner.code == "SUP-001"))
    theirs = demo.scalar(select(PurchaseOrder.number).where(PurchaseOrder.supplier_id == sup1).limit(1))
    auth = bearer(token(api, "SUP-001"))
    own = api.get(f"/api/v1/purchase-orders/{theirs}", headers=auth).get_json()
    assert own["data"]["number"] == theirs
    assert {line["order_number"] for line in own["lines"]["data"]} == {theirs}
    assert len(own["lines"]["data"]) == own["data"]["lines"]
    other = api.get(f"/api/v1/purchase-orders/{theirs}", headers=bearer(token(api, "SUP-002")))
    assert other.status_code == 404
    assert other.content_type == "application/problem+json"
    assert api.get("/api/v1/purchase-orders/NO-SUCH", headers=auth).status_code == 404
    assert api.get("/api/v1/purchase-orders/PO%00", headers=auth).status_code == 404
    assert api.get("/api/v1/purchase-orders?number=PO%00", headers=auth).status_code == 400


def test_a_customer_reads_its_order_and_not_a_supplier_dataset(api, demo):
    auth = bearer(token(api, "CUS-001"))
    first = api.get("/api/v1/orders?limit=1", headers=auth).get_json()["data"][0]
    order = api.get(f"/api/v1/orders/{first['number']}", headers=auth).get_json()
    assert order["data"] == first
    refused = api.get("/api/v1/inventory", headers=auth)
    assert refused.status_code == 403
    assert refused.get_json()["required_scope"] == "inventory:read"


# -- 401 and 403 -------------------------------------------------------------------------------------------


def test_a_token_without_the_scope_gets_403_naming_the_scope(api):
    narrow = token(api, "SUP-002", scope="purchase_orders:read")
    assert api.get("/api/v1/purchase-orders", headers=bearer(narrow)).status_code == 200
    response = api.get("/api/v1/inventory", headers=bearer(narrow))
    assert response.status_code == 403
    assert response.get_json()["required_scope"] == "inventory:read"
    assert "inventory:read" in response.get_json()["detail"]
    assert 'scope="inventory:read"' in response.headers["WWW-Authenticate"]


def test_an_expired_or_revoked_token_gets_401(api, demo):
    expiring = token(api, "SUP-002")
    stored = demo.scalar(select(ApiToken).where(ApiToken.token_hash == api_clients.digest(expiring)))
    stored.expires_at = utcnow() - dt.timedelta(seconds=1)
    demo.flush()
    expired = api.get("/api/v1/purchase-orders", headers=bearer(expiring))
    assert expired.status_code == 401
    assert 'error="invalid_token"' in expired.headers["WWW-Authenticate"]

    live = token(api, "SUP-002")
    client = demo.scalar(select(ApiClient).where(ApiClient.client_id == "demo-sup-002"))
    api_clients.revoke_client_as_staff(demo, actor_id=client.account_id, client_pk=client.id)
    assert api.get("/api/v1/purchase-orders", headers=bearer(live)).status_code == 401
    assert api.get("/api/v1/purchase-orders", headers=bearer("made-up")).status_code == 401
    assert api.get("/api/v1/purchase-orders").status_code == 401


def test_a_browser_session_never_authenticates_the_api_and_a_token_never_a_page(api):
    sign_in(api, "supplier.user@example.com", "demo-password")
    assert api.get("/supplier/").status_code == 200
    response = api.get("/api/v1/purchase-orders")
    assert response.status_code == 401
    assert "Set-Cookie" not in response.headers  # the session cookie is neither read nor rewritten here
    assert api.get("/supplier/").status_code == 200  # the browser stays signed in

    machine = api.application.test_client()
    page = machine.get("/supplier/", headers=bearer(token(machine, "SUP-001")))
    assert page.status_code == 302
    assert "/login" in page.headers["Location"]


# -- writes ----------------------------------------------------------------------------------------------


def open_line(session, code):
    partner = session.scalar(select(Partner.id).where(Partner.code == code))
    return session.execute(
        select(PurchaseOrder.number, PurchaseOrderLine.line_no, PurchaseOrderLine.version)
        .join(PurchaseOrderLine.order)
        .where(
            PurchaseOrder.supplier_id == partner,
            PurchaseOrder.status.in_(["open", "acknowledged"]),
            PurchaseOrderLine.status == "open",
        )
        .limit(1)
    ).one()


def test_answering_a_line_is_idempotent_and_a_reused_key_with_another_body_is_refused(api, demo):
    number, line_no, version = open_line(demo, "SUP-001")
    auth = bearer(token(api, "SUP-001")) | {"Idempotency-Key": "answer-1"}
    path = f"/api/v1/purchase-orders/{number}/lines/{line_no}/answer"
    first = api.post(path, json={"version": version, "action": "accept"}, headers=auth)
    assert first.status_code == 200, first.get_data(as_text=True)
    assert first.get_json()["data"]["status"] == "accepted"
    retry = api.post(path, json={"version": version, "action": "accept"}, headers=auth)
    assert retry.status_code == 200
    assert retry.get_json() == first.get_json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    answers = (
        select(func.count())
        .select_from(PurchaseOrderLineResponse)
        .join(PurchaseOrderLine)
        .join(PurchaseOrder)
        .where(PurchaseOrder.number == number, PurchaseOrderLine.line_no == line_no)
    )
    assert demo.scalar(answers) == 1
    other = api.post(path, json={"version": version, "action": "reject", "reason": "no"}, headers=auth)
    assert other.status_code == 422
    assert "Idempotency-Key" in other.get_json()["title"]
    assert demo.scalar(answers) == 1


def test_a_refused_answer_is_a_problem_with_the_pages_message(api, demo):
    number, line_no, version = open_line(demo, "SUP-001")
    auth = bearer(token(api, "SUP-001"))
    path = f"/api/v1/purchase-orders/{number}/lines/{line_no}/answer"
    no_reason = api.post(
        path, json={"version": version, "action": "reject"}, headers=auth | {"Idempotency-Key": "r1"}
    )
    assert no_reason.status_code == 422
    assert no_reason.content_type == "application/problem+json"
    assert no_reason.get_json()["detail"] == "Give a reason for rejecting the line."
    stale = api.post(
        path, json={"version": version + 7, "action": "accept"}, headers=auth | {"Idempotency-Key": "r2"}
    )
    assert stale.status_code == 409
    unkeyed = api.post(path, json={"version": version, "action": "accept"}, headers=auth)
    assert unkeyed.status_code == 400
    invalid = api.post(
        path, json={"version": "one", "action": "maybe"}, headers=auth | {"Idempotency-Key": "r3"}
    )
    assert invalid.status_code == 422
    assert len(invalid.get_json()["errors"]) == 2
    # The refused key was not kept: the corrected request with it goes through.
    fixed = api.post(
        path, json={"version": version, "action": "accept"}, headers=auth | {"Idempotency-Key": "r1"}
    )
    assert fixed.status_code == 200


def test_answering_another_suppliers_line_is_404(api, demo):
    number, line_no, version = open_line(demo, "SUP-001")
    response = api.post(
        f"/api/v1/purchase-orders/{number}/lines/{line_no}/answer",
        json={"version": version, "action": "accept"},
        headers=bearer(token(api, "SUP-002")) | {"Idempotency-Key": "x1"},
    )
    assert response.status_code == 404


def shippable(session, code):
    partner = session.scalar(select(Partner.id).where(Partner.code == code))
    return session.execute(
        select(
            PurchaseOrder.number,
            PurchaseOrderLine.line_no,
            PurchaseOrderLine.qty - PurchaseOrderLine.shipped_qty,
        )
        .join(PurchaseOrderLine.order)
        .where(
            PurchaseOrder.supplier_id == partner,
            PurchaseOrder.status.in_(["open", "acknowledged", "partially_shipped"]),
            PurchaseOrderLine.status.in_(["open", "accepted", "change_proposed"]),
            PurchaseOrderLine.shipped_qty < PurchaseOrderLine.qty,
        )
        .limit(1)
    ).one()


def test_a_retried_ship_notice_is_created_once(api, demo):
    number, line_no, still_open = shippable(demo, "SUP-001")
    notice = {
        "ship_date": "2026-12-07",
        "expected_arrival": "2026-12-10",
        "carrier": "DB Schenker",
        "lines": [{"order_number": number, "line_no": line_no, "qty": "1"}],
    }
    auth = bearer(token(api, "SUP-001")) | {"Idempotency-Key": "asn-7f3c"}
    before = demo.scalar(select(func.count()).select_from(ShipNotice))
    first = api.post("/api/v1/ship-notices", json=notice, headers=auth)
    assert first.status_code == 201, first.get_data(as_text=True)
    assert first.get_json()["data"]["carrier"] == "DB Schenker"
    retry = api.post("/api/v1/ship-notices", json=notice, headers=auth)
    assert retry.status_code == 201
    assert retry.get_json()["data"]["number"] == first.get_json()["data"]["number"]
    assert demo.scalar(select(func.count()).select_from(ShipNotice)) == before + 1

    too_much = notice | {
        "lines": [{"order_number": number, "line_no": line_no, "qty": f"{still_open + 1000}"}]
    }
    refused = api.post("/api/v1/ship-notices", json=too_much, headers=auth | {"Idempotency-Key": "asn-2"})
    assert refused.status_code == 422
    assert "still open" in refused.get_json()["errors"][0]


def test_forecast_commits_through_the_api_are_checked_like_the_page(api, demo):
    auth = bearer(token(api, "SUP-001"))
    week = api.get("/api/v1/forecast?limit=200", headers=auth).get_json()["data"][-1]
    commit = {
        "sku": week["sku"],
        "site": week["site"],
        "week": week["week"],
        "qty": 10,
        "comment": "from ERP",
    }
    saved = api.post(
        "/api/v1/forecast-commits", json={"commits": [commit]}, headers=auth | {"Idempotency-Key": "c1"}
    )
    assert saved.status_code == 200, saved.get_data(as_text=True)
    assert saved.get_json()["saved"] == 1
    stored = demo.scalar(select(ForecastCommit).where(ForecastCommit.comment == "from ERP"))
    assert stored.committed_qty == Decimal(10)
    tuesday = (dt.date.fromisoformat(week["week"]) + dt.timedelta(days=1)).isoformat()
    refused = api.post(
        "/api/v1/forecast-commits",
        json={"commits": [commit | {"week": tuesday}]},
        headers=auth | {"Idempotency-Key": "c2"},
    )
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == [f"row 1: {tuesday} is not a Monday; weeks start on Monday."]


def customer_requests(session, code, *, own=True):
    """Numbers of ``code``'s service requests (or, with ``own=False``, other customers')."""
    partner = session.scalar(select(Partner.id).where(Partner.code == code))
    query = select(ServiceRequest.number).where(
        ServiceRequest.customer_id == partner if own else ServiceRequest.customer_id != partner
    )
    return session.scalars(query.order_by(ServiceRequest.id)).all()


def messages_on(session, number):
    return session.scalar(
        select(func.count())
        .select_from(ServiceRequestMessage)
        .join(ServiceRequest)
        .where(ServiceRequest.number == number)
    )


def test_a_customer_opens_a_service_request_about_its_order_once_per_key(api, demo):
    partner = demo.scalar(select(Partner.id).where(Partner.code == "CUS-001"))
    order = demo.scalar(select(SalesOrder.number).where(SalesOrder.customer_id == partner).limit(1))
    sent = {"subject": "Damaged pallet", "body": "Two cartons arrived crushed.", "order_number": order}
    auth = bearer(token(api, "CUS-001")) | {"Idempotency-Key": "sr-1"}
    before = demo.scalar(select(func.count()).select_from(ServiceRequest))
    first = api.post("/api/v1/service-requests", json=sent, headers=auth)
    assert first.status_code == 201, first.get_data(as_text=True)
    data = first.get_json()["data"]
    assert data["subject"] == "Damaged pallet"
    assert data["order_number"] == order
    assert data["status"] == "open"
    assert data["number"].startswith("SR-")
    retry = api.post("/api/v1/service-requests", json=sent, headers=auth)
    assert retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.get_json() == first.get_json()
    assert demo.scalar(select(func.count()).select_from(ServiceRequest)) == before + 1
    stored = demo.scalar(select(ServiceRequest).where(ServiceRequest.number == data["number"]))
    assert stored.customer_id == partner
    assert [m.body for m in stored.messages] == ["Two cartons arrived crushed."]
    # The customer's own pages list it.
    listed = api.get("/api/v1/service-requests?number=" + data["number"], headers=auth).get_json()["data"]
    assert [r["subject"] for r in listed] == ["Damaged pallet"]


def test_a_refused_service_request_is_a_problem_naming_the_field(api, demo):
    auth = bearer(token(api, "CUS-001"))
    before = demo.scalar(select(func.count()).select_from(ServiceRequest))
    blank = api.post(
        "/api/v1/service-requests",
        json={"subject": "  ", "body": "Where is it?"},
        headers=auth | {"Idempotency-Key": "sr-blank"},
    )
    assert blank.status_code == 422
    assert blank.content_type == "application/problem+json"
    assert blank.get_json()["detail"] == "Say in a few words what it is about."
    assert blank.get_json()["errors"] == ["subject: Say in a few words what it is about."]
    foreign_order = demo.scalar(
        select(SalesOrder.number)
        .join(Partner, Partner.id == SalesOrder.customer_id)
        .where(Partner.code != "CUS-001")
    )
    not_theirs = api.post(
        "/api/v1/service-requests",
        json={"subject": "Late", "body": "Where is it?", "order_number": foreign_order},
        headers=auth | {"Idempotency-Key": "sr-order"},
    )
    assert not_theirs.status_code == 422
    assert not_theirs.get_json()["errors"] == [f"order_number: You have no order {foreign_order}."]
    missing = api.post(
        "/api/v1/service-requests",
        json={"body": "Where is it?"},
        headers=auth | {"Idempotency-Key": "sr-none"},
    )
    assert missing.status_code == 422
    assert missing.get_json()["errors"] == ["body: 'subject' is a required property"]
    assert demo.scalar(select(func.count()).select_from(ServiceRequest)) == before
    # The refused key was not kept: the corrected request with it goes through.
    fixed = api.post(
        "/api/v1/service-requests",
        json={"subject": "Late delivery", "body": "Where is it?"},
        headers=auth | {"Idempotency-Key": "sr-blank"},
    )
    assert fixed.status_code == 201


def test_a_customer_writes_to_its_own_request_and_another_customers_is_404(api, demo):
    waiting, closed = customer_requests(demo, "CUS-001")[:2]
    statuses = {waiting: ServiceRequestStatus.waiting_on_customer, closed: ServiceRequestStatus.closed}
    for number, status in statuses.items():
        demo.scalar(select(ServiceRequest).where(ServiceRequest.number == number)).status = status
    demo.flush()
    auth = bearer(token(api, "CUS-001"))
    before = messages_on(demo, waiting)
    path = f"/api/v1/service-requests/{waiting}/messages"
    sent = api.post(
        path, json={"body": "Photos attached in the ERP."}, headers=auth | {"Idempotency-Key": "m1"}
    )
    assert sent.status_code == 201, sent.get_data(as_text=True)
    assert sent.get_json()["data"]["number"] == waiting
    assert sent.get_json()["data"]["status"] == "open"  # the customer answered: back with the team
    retry = api.post(
        path, json={"body": "Photos attached in the ERP."}, headers=auth | {"Idempotency-Key": "m1"}
    )
    assert retry.status_code == 201
    assert messages_on(demo, waiting) == before + 1

    empty = api.post(path, json={"body": " "}, headers=auth | {"Idempotency-Key": "m2"})
    assert empty.status_code == 422
    assert empty.get_json()["errors"] == ["body: Write your message."]
    refused = api.post(
        f"/api/v1/service-requests/{closed}/messages",
        json={"body": "Again"},
        headers=auth | {"Idempotency-Key": "m3"},
    )
    assert refused.status_code == 422
    assert refused.get_json()["detail"] == "This request is closed: open a new one."

    foreign = customer_requests(demo, "CUS-001", own=False)[0]
    before_foreign = messages_on(demo, foreign)
    response = api.post(
        f"/api/v1/service-requests/{foreign}/messages",
        json={"body": "Hello"},
        headers=auth | {"Idempotency-Key": "m4"},
    )
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert messages_on(demo, foreign) == before_foreign


def test_service_request_writes_need_their_scope(api, demo):
    read_only = bearer(token(api, "CUS-001", scope="service_requests:read"))
    before = demo.scalar(select(func.count()).select_from(ServiceRequest))
    response = api.post(
        "/api/v1/service-requests",
        json={"subject": "Late", "body": "Where is it?"},
        headers=read_only | {"Idempotency-Key": "s1"},
    )
    assert response.status_code == 403
    assert response.get_json()["required_scope"] == "service_requests:write"
    own = customer_requests(demo, "CUS-001")[0]
    message = api.post(
        f"/api/v1/service-requests/{own}/messages",
        json={"body": "Hi"},
        headers=read_only | {"Idempotency-Key": "s2"},
    )
    assert message.status_code == 403
    assert message.get_json()["required_scope"] == "service_requests:write"
    assert demo.scalar(select(func.count()).select_from(ServiceRequest)) == before


# -- limits and the description -------------------------------------------------------------------------


def test_each_client_has_its_own_rate_limit_with_retry_after(demo, connection):
    import portal

    app = portal.create_app(
        app_config(
            connection,
            RATELIMIT_ENABLED=True,
            RATELIMIT_STORAGE_URI="memory://",
            API_RATE_LIMIT="2 per minute",
        )
    )
    client = app.test_client()
    busy, other = bearer(token(client, "SUP-002")), bearer(token(client, "SUP-001"))
    assert [client.get("/api/v1/ship-notices", headers=busy).status_code for _ in range(2)] == [200, 200]
    limited = client.get("/api/v1/ship-notices", headers=busy)
    assert limited.status_code == 429
    assert limited.content_type == "application/problem+json"
    assert 0 < int(limited.headers["Retry-After"]) <= 60
    assert client.get("/api/v1/ship-notices", headers=other).status_code == 200


def test_a_body_over_the_limit_is_refused(demo, connection):
    import portal

    app = portal.create_app(app_config(connection, API_MAX_BODY_BYTES=1024))
    client = app.test_client()
    response = client.post(
        "/api/v1/ship-notices",
        json={"carrier": "x" * 2000},
        headers=bearer(token(client, "SUP-001")) | {"Idempotency-Key": "big"},
    )
    assert response.status_code == 413
    assert response.content_type == "application/problem+json"


def test_the_openapi_description_covers_every_api_route(api):
    spec = api.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0"
    routes = {
        rule.rule.replace("<number>", "{number}").replace("<int(min=1, max=100000):line_no>", "{line_no}")
        for rule in api.application.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        and rule.endpoint not in ("api.openapi_json", "api.reference", "api.static")
    }
    assert routes == set(spec["paths"])
    operations = [(path, method) for path, ops in spec["paths"].items() for method in ops]
    assert len(operations) == len(LISTINGS) + len(DOCUMENTS) + 5  # and five writes
    flow = spec["components"]["securitySchemes"]["partner_oauth"]["flows"]["clientCredentials"]
    assert set(flow["scopes"]) == set(api_clients.ALL_SCOPES)
    params = {p["name"]: p for p in spec["paths"]["/api/v1/purchase-orders"]["get"]["parameters"]}
    assert params["status"]["schema"]["enum"] == [
        "open",
        "acknowledged",
        "partially_shipped",
        "closed",
        "cancelled",
    ]


def test_the_reference_page_is_served_from_local_assets(api):
    page = api.get("/api/v1/reference").get_data(as_text=True)
    assert "/assets/vendor/swagger-ui/swagger-ui-bundle.js" in page
    assert "/api/v1/openapi.json" in page
    assert "http" not in page.split("<body>")[1]  # nothing from another host
    script = api.get("/api/v1/assets/api-reference.js")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.get_data(as_text=True)
    script.close()


def test_problems_speak_the_callers_language(api):
    narrow = token(api, "SUP-002", scope="purchase_orders:read")
    response = api.get("/api/v1/inventory", headers=bearer(narrow) | {"Accept-Language": "zh-CN"})
    assert response.get_json()["detail"] == "此令牌没有权限范围 inventory:read。"


def test_a_write_needs_an_accountable_account_behind_the_client(api, demo):
    number, line_no, version = open_line(demo, "SUP-001")
    auth = bearer(token(api, "SUP-001")) | {"Idempotency-Key": "orphan"}
    demo.scalar(select(ApiClient).where(ApiClient.client_id == "demo-sup-001")).account_id = None
    demo.flush()
    response = api.post(
        f"/api/v1/purchase-orders/{number}/lines/{line_no}/answer",
        json={"version": version, "action": "accept"},
        headers=auth,
    )
    assert response.status_code == 403
    assert "rotate" in response.get_json()["detail"]
