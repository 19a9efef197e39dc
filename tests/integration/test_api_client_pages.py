"""Partner admins manage API clients on the extranet; staff see and revoke them in the console."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from internal import api_clients
from internal.models import ApiClient
from tests.factories import csrf_token, make_account, make_partner, sign_in


@pytest.fixture
def admin(session, client):
    partner = make_partner(session, "SUP-971", "supplier")
    make_account(session, "admin@sup971.example.com", partners=(partner,), role="partner_admin")
    make_account(session, "user@sup971.example.com", partners=(partner,))
    sign_in(client, "admin@sup971.example.com")
    return partner


def create(client, name="SAP connector", scopes=("purchase_orders:read", "ship_notices:write")):
    return client.post(
        "/api-clients",
        data={"name": name, "scopes": list(scopes), "csrf_token": csrf_token(client, "/api-clients")},
    )


def test_a_partner_admin_creates_a_client_and_sees_its_secret_once(client, session, admin):
    response = create(client)
    page = response.get_data(as_text=True)
    assert response.status_code == 201
    client_id = re.search(r'data-testid="client-id">([^<]+)<', page).group(1)
    secret = re.search(r'data-testid="client-secret">([^<]+)<', page).group(1)
    stored = session.scalar(select(ApiClient).where(ApiClient.client_id == client_id))
    assert stored.secret_hash == api_clients.digest(secret)
    assert stored.scopes == ["purchase_orders:read", "ship_notices:write"]
    assert secret not in client.get("/api-clients").get_data(as_text=True)
    # The secret works at the token endpoint, for the chosen scopes only.
    token = client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    assert token.get_json()["scope"] == "purchase_orders:read ship_notices:write"


def test_a_client_without_scopes_is_refused_and_the_name_is_kept(client, admin):
    response = create(client, name="Half-done", scopes=())
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Choose at least one scope." in page
    assert 'value="Half-done"' in page


def test_only_supplier_scopes_are_offered_to_a_supplier(client, admin):
    page = client.get("/api-clients").get_data(as_text=True)
    assert 'value="ship_notices:write"' in page
    assert 'value="orders:read"' not in page
    assert create(client, scopes=("orders:read",)).status_code == 400


def test_rotating_shows_a_new_secret_and_revoking_stops_the_client(client, session, admin):
    create(client)
    stored = session.scalar(select(ApiClient).where(ApiClient.partner_id == admin.id))
    old_hash = stored.secret_hash
    rotated = client.post(
        f"/api-clients/{stored.id}/rotate", data={"csrf_token": csrf_token(client, "/api-clients")}
    )
    assert rotated.status_code == 200
    secret = re.search(r'data-testid="client-secret">([^<]+)<', rotated.get_data(as_text=True)).group(1)
    session.refresh(stored)
    assert stored.secret_hash == api_clients.digest(secret) != old_hash
    revoked = client.post(
        f"/api-clients/{stored.id}/revoke", data={"csrf_token": csrf_token(client, "/api-clients")}
    )
    assert revoked.status_code == 302
    session.refresh(stored)
    assert stored.revoked_at is not None


def test_the_pages_need_csrf_a_partner_admin_and_the_partners_own_client(client, session, admin):
    create(client)
    stored = session.scalar(select(ApiClient).where(ApiClient.partner_id == admin.id))
    assert client.post(f"/api-clients/{stored.id}/revoke").status_code == 400  # no CSRF token
    other = make_partner(session, "SUP-972", "supplier")
    make_account(session, "admin@sup972.example.com", partners=(other,), role="partner_admin")
    outsider = client.application.test_client()
    sign_in(outsider, "admin@sup972.example.com")
    token = csrf_token(outsider, "/api-clients")
    assert outsider.post(f"/api-clients/{stored.id}/revoke", data={"csrf_token": token}).status_code == 404
    user = client.application.test_client()
    sign_in(user, "user@sup971.example.com")
    assert user.get("/api-clients").status_code == 404


def test_staff_see_every_client_and_only_managers_revoke(console_client, session):
    partner = make_partner(session, "SUP-973", "supplier")
    owner = make_account(session, "admin@sup973.example.com", partners=(partner,), role="partner_admin")
    issued = api_clients.create_client(
        session, actor_id=owner.id, partner_id=partner.id, name="EDI gateway", scopes=["inventory:read"]
    )
    make_account(session, "viewer@example.com", staff_role="viewer")
    make_account(session, "policy@example.com", staff_role="policy_admin")
    sign_in(console_client, "viewer@example.com")
    page = console_client.get("/api-clients?partner=SUP-973").get_data(as_text=True)
    assert issued.client.client_id in page
    assert "/revoke" not in page
    token = csrf_token(console_client, "/api-clients")
    assert (
        console_client.post(f"/api-clients/{issued.client.id}/revoke", data={"csrf_token": token}).status_code
        == 403
    )

    manager = console_client.application.test_client()
    sign_in(manager, "policy@example.com")
    token = csrf_token(manager, "/api-clients")
    assert (
        manager.post(f"/api-clients/{issued.client.id}/revoke", data={"csrf_token": token}).status_code == 302
    )
    assert api_clients.find_client(session, issued.client.client_id) is None


def test_a_customer_admin_is_offered_the_service_request_writes(client, session):
    partner = make_partner(session, "CUS-971", "customer")
    make_account(session, "admin@cus971.example.com", partners=(partner,), role="partner_admin")
    sign_in(client, "admin@cus971.example.com")
    page = client.get("/api-clients").get_data(as_text=True)
    assert 'value="service_requests:write"' in page
    assert "Open service requests and write to the service team" in page
    assert 'value="ship_notices:write"' not in page
    assert create(client, scopes=("service_requests:read", "service_requests:write")).status_code == 201
    stored = session.scalar(select(ApiClient).where(ApiClient.partner_id == partner.id))
    assert stored.scopes == ["service_requests:read", "service_requests:write"]
