"""Regression tests for what an outside test of the portal found: each failed before its fix."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select, update

from internal.models import ForecastCommit, Item, LoginFailure, ShipNotice
from tests.conftest import app_config
from tests.factories import PASSWORD, csrf_token, make_account, make_partner, make_purchase_order, sign_in
from tests.integration.test_forecast_page import W, plan  # noqa: F401 - the forecast fixture

SUPPLIER = "plan@sup971.example.com"


# -- open redirect after sign-in and after choosing a language --


def test_a_tab_in_next_that_browsers_would_drop_is_refused_not_followed(client, plan):  # noqa: F811
    response = client.get("/login?next=/%09/evil.example/")
    assert response.status_code == 400
    assert "contains characters that are not allowed" in response.get_data(as_text=True)
    token = csrf_token(client, "/login")
    signed = client.post(
        "/login?next=/%09/evil.example/", data={"email": SUPPLIER, "password": PASSWORD, "csrf_token": token}
    )
    assert signed.status_code == 400
    assert "evil.example" not in signed.headers.get("Location", "")


@pytest.mark.parametrize(
    "target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "http:evil.example"]
)
def test_sign_in_never_redirects_off_the_site(client, plan, target):  # noqa: F811
    token = csrf_token(client, "/login")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": SUPPLIER, "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_sign_in_returns_to_the_page_asked_for(client, plan):  # noqa: F811
    token = csrf_token(client, "/login")
    response = client.post(
        "/login",
        query_string={"next": "/supplier/forecast?sku=CP-971"},
        data={"email": SUPPLIER, "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/supplier/forecast?sku=CP-971"


@pytest.mark.parametrize(("target", "status"), [("/\t/evil.example/", 400), ("//evil.example/", 302)])
def test_the_language_switch_stays_on_the_site(client, target, status):
    token = csrf_token(client, "/login")
    response = client.post("/language", data={"locale": "en", "next": target, "csrf_token": token})
    assert response.status_code == status
    assert "evil.example" not in response.headers.get("Location", "")


def test_cr_lf_in_next_is_a_400_with_a_message_not_a_500(client, plan):  # noqa: F811
    token = csrf_token(client, "/login")
    response = client.post(
        "/login?next=/a%0d%0aSet-Cookie:%20x=1",
        data={"email": SUPPLIER, "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 400
    assert "not allowed" in response.get_data(as_text=True)


# -- uploads that tie up the server --


def test_a_request_body_over_the_limit_is_refused_with_the_limit(connection):
    import portal

    app = portal.create_app(app_config(connection, MAX_UPLOAD_BYTES=1_000))
    response = app.test_client().post("/login", data={"file": (io.BytesIO(b"x" * 5_000), "big.csv")})
    assert response.status_code == 413
    assert "Upload at most 0.001 MB at a time" in response.get_data(as_text=True)


def test_a_workbook_with_too_many_rows_is_refused_without_reading_it_all(monkeypatch):
    from openpyxl import Workbook

    from internal import planning

    monkeypatch.setattr(planning, "MAX_ROWS", 10)
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["sku", "site", "week", "qty"])
    for n in range(1_000):
        sheet.append(["CP-971", "PL97", "2026-11-30", n])
    content = io.BytesIO()
    book.save(content)
    # Reading stops one row past the limit, however many rows the sheet holds.
    assert len(planning._xlsx_rows(content.getvalue())) == 12
    with pytest.raises(planning.CommitRefused) as refused:
        planning.read_upload("horizon.xlsx", content.getvalue())
    assert [str(e) for e in refused.value.errors] == [
        "The file has more than 10 rows; upload at most that many at a time."
    ]


# -- impossible quantities --


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("Infinity", "Infinity is not a number"),
        ("NaN", "NaN is not a number"),
        ("1e30", "1E+30 is too large for a quantity"),
        ("1.0001", "use at most 3 decimal places"),
    ],
)
def test_impossible_commits_are_refused_naming_the_field(client, session, plan, typed, message):  # noqa: F811
    sign_in(client, SUPPLIER)
    token = csrf_token(client, "/supplier/forecast")
    response = client.post(
        "/supplier/forecast", data={"csrf_token": token, "sku": "CP-971", f"commit-PL97-{W[1]}": typed}
    )
    assert response.status_code == 400
    assert f"CP-971 at PL97, week of {W[1]}: {message}" in response.get_data(as_text=True)
    assert session.scalar(select(ForecastCommit)) is None
    assert client.get("/supplier/forecast").status_code == 200


def test_an_uploaded_infinite_quantity_names_its_row(client, session, plan):  # noqa: F811
    sign_in(client, SUPPLIER)
    token = csrf_token(client, "/supplier/forecast")
    body = f"sku,site,week,qty\nCP-971,PL97,{W[1]},100\nCP-971,PL97,{W[2]},inf\n".encode()
    response = client.post(
        "/supplier/forecast/upload", data={"csrf_token": token, "file": (io.BytesIO(body), "h.csv")}
    )
    assert response.status_code == 400
    assert "row 3, qty: Infinity is not a number" in response.get_data(as_text=True)
    assert session.scalar(select(ForecastCommit)) is None


@pytest.fixture
def shipper(session):
    partner = make_partner(session, "SUP-811", "supplier")
    make_account(session, "ship@sup811.example.com", partners=(partner,))
    make_purchase_order(session, "PO-811", partner, lines=1)
    return partner


@pytest.mark.parametrize("typed", ["NaN", "Infinity", "1e30"])
def test_impossible_ship_notice_quantities_are_refused(client, session, shipper, typed):
    sign_in(client, "ship@sup811.example.com")
    token = csrf_token(client, "/supplier/ship-notices/new")
    response = client.post(
        "/supplier/ship-notices/new",
        data={
            "csrf_token": token,
            "ship_date": "2026-11-26",
            "expected_arrival": "2026-11-30",
            "carrier": "DHL",
            "qty-PO-811-1": typed,
        },
    )
    assert response.status_code == 400
    assert "PO-811 line 1: " in response.get_data(as_text=True)
    assert session.scalar(select(ShipNotice)) is None


# -- the address throttle --


def _fail(client, email, times, **headers):
    for _ in range(times):
        token = csrf_token(client, "/login")
        client.post(
            "/login",
            data={"email": email, "password": "wrong-password", "csrf_token": token},
            headers=headers,
        )


def test_behind_a_proxy_each_client_is_throttled_on_its_own_address(connection, session, plan):  # noqa: F811
    import portal

    app = portal.create_app(app_config(connection, PROXIES=1))
    attacker, colleague = app.test_client(), app.test_client()
    for n in range(20):
        _fail(attacker, f"guess{n}@example.com", 1, **{"X-Forwarded-For": "203.0.113.9"})
    addresses = set(session.scalars(select(LoginFailure.address)))
    assert addresses == {"203.0.113.9"}
    token = csrf_token(colleague, "/login")
    response = colleague.post(
        "/login",
        data={"email": SUPPLIER, "password": PASSWORD, "csrf_token": token},
        headers={"X-Forwarded-For": "198.51.100.7"},
    )
    assert response.status_code == 302


def test_failures_on_the_extranet_do_not_lock_the_console_from_that_address(client, console_client, session):
    make_account(session, "staff@example.com", staff_role="viewer")
    for n in range(20):
        _fail(client, f"guess{n}@example.com", 1)
    assert "Too many failed sign-ins" in client.post(
        "/login", data={"email": "x@example.com", "password": "y", "csrf_token": csrf_token(client, "/login")}
    ).get_data(as_text=True)
    assert sign_in(console_client, "staff@example.com").status_code == 302


# -- 500s from input --


def test_a_cursor_of_1e400_or_a_30_digit_id_is_a_400_with_a_message(client, shipper):
    import base64

    sign_in(client, "ship@sup811.example.com")
    for raw in (b'["2026-11-25", 1e400]', b'["2026-11-25", 123456789012345678901234567890]'):
        cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        response = client.get(f"/supplier/purchase-orders?after={cursor}")
        assert response.status_code == 400
        assert "page that does not exist" in response.get_data(as_text=True)


def test_a_huge_page_number_in_the_console_is_a_400_with_a_message(console_client, session):
    make_account(session, "staff@example.com", staff_role="viewer")
    sign_in(console_client, "staff@example.com")
    response = console_client.get("/partners?page=99999999999999999999")
    assert response.status_code == 400
    assert "The page number must be between 1 and 1,000,000." in response.get_data(as_text=True)


def test_a_23_digit_line_number_is_not_found(client, shipper):
    sign_in(client, "ship@sup811.example.com")
    token = csrf_token(client, "/supplier/purchase-orders/PO-811")
    response = client.post(
        "/supplier/purchase-orders/PO-811/lines/12345678901234567890123",
        data={"csrf_token": token, "action": "accept", "version": "1"},
    )
    assert response.status_code == 404


def test_a_huge_line_number_in_a_ship_notice_field_is_not_a_500(client, session, shipper):
    sign_in(client, "ship@sup811.example.com")
    token = csrf_token(client, "/supplier/ship-notices/new")
    response = client.post(
        "/supplier/ship-notices/new",
        data={
            "csrf_token": token,
            "ship_date": "2026-11-26",
            "expected_arrival": "2026-11-30",
            "carrier": "DHL",
            "qty-PO-811-12345678901234567890123": "5",
        },
    )
    assert response.status_code == 400
    assert "Add at least one purchase-order line to ship." in response.get_data(as_text=True)


def test_an_impossible_date_in_a_commit_field_name_is_a_400_with_a_message(client, session, plan):  # noqa: F811
    sign_in(client, SUPPLIER)
    token = csrf_token(client, "/supplier/forecast")
    response = client.post(
        "/supplier/forecast", data={"csrf_token": token, "sku": "CP-971", "commit-PL97-2026-13-45": "5"}
    )
    assert response.status_code == 400
    assert "2026-13-45 is not a date" in response.get_data(as_text=True)


# -- upload errors ride in the response, not the cookie --


def test_thousands_of_bad_rows_are_shown_on_the_page_not_put_in_the_cookie(client, session, plan):  # noqa: F811
    sign_in(client, SUPPLIER)
    token = csrf_token(client, "/supplier/forecast")
    body = "sku,site,week,qty\n" + "".join(f"CP-972,PL97,{W[1]},{n}\n" for n in range(2_000))
    response = client.post(
        "/supplier/forecast/upload",
        data={"csrf_token": token, "file": (io.BytesIO(body.encode()), "h.csv")},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "row 2: CP-972 is not an item you supply." in page
    assert "and 1800 more." in page
    cookies = response.headers.getlist("Set-Cookie")
    assert all(len(cookie) < 4_000 for cookie in cookies)


# -- hardening --


def test_signed_in_pages_and_exports_are_not_stored(client, plan):  # noqa: F811
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    sign_in(client, SUPPLIER)
    assert client.get("/supplier/forecast").headers["Cache-Control"] == "no-store"
    assert client.get("/supplier/forecast.csv").headers["Cache-Control"] == "no-store"


def test_the_content_security_policy_forbids_plugins_and_base_changes(client):
    policy = client.get("/login").headers["Content-Security-Policy"]
    assert "object-src 'none'" in policy
    assert "base-uri 'self'" in policy


def test_exports_neutralise_cells_a_spreadsheet_would_run(client, session, plan):  # noqa: F811
    from openpyxl import load_workbook

    session.execute(update(Item).where(Item.sku == "CP-971").values(name='=HYPERLINK("http://x")'))
    sign_in(client, SUPPLIER)
    rows = list(csv.DictReader(io.StringIO(client.get("/supplier/forecast.csv").data.decode("utf-8-sig"))))
    assert rows[0]["item"] == '\'=HYPERLINK("http://x")'
    assert rows[0]["qty"] == "100"  # numbers stay numbers
    sheet = load_workbook(io.BytesIO(client.get("/supplier/forecast.xlsx").data)).active
    cell = sheet.cell(row=2, column=2)
    assert cell.value == '\'=HYPERLINK("http://x")'
    assert cell.data_type == "s"


def test_the_development_server_does_not_name_itself():
    import threading
    import urllib.request

    from flask import Flask

    from internal.web.serving import make_quiet_server

    app = Flask(__name__)
    app.add_url_rule("/", "index", lambda: "ok")
    server = make_quiet_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/") as response:
            assert response.read() == b"ok"
            assert response.headers.get("Server") is None
    finally:
        server.shutdown()
        server.server_close()


def test_what_was_typed_is_escaped_in_the_errors_shown_on_the_page(client, session, plan):  # noqa: F811
    sign_in(client, SUPPLIER)
    token = csrf_token(client, "/supplier/forecast")
    body = f"sku,site,week,qty\n<b>x</b>,PL97,{W[1]},1\n".encode()
    page = client.post(
        "/supplier/forecast/upload", data={"csrf_token": token, "file": (io.BytesIO(body), "h.csv")}
    ).get_data(as_text=True)
    assert "&lt;b&gt;x&lt;/b&gt; is not an item you supply." in page
    assert "<b>x</b>" not in page


@pytest.mark.parametrize("target", [" //evil.example/", "/%2F/evil.example/", "\u3000//evil.example/"])
def test_spaces_and_encoded_slashes_do_not_lead_off_the_site(client, plan, target):  # noqa: F811
    token = csrf_token(client, "/login")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": SUPPLIER, "password": PASSWORD, "csrf_token": token},
    )
    location = response.headers["Location"]
    assert not location.startswith("//")
    assert location.startswith("/")
    assert "://" not in location
