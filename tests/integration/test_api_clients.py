"""API clients: made by a partner admin with scopes, secret shown once and kept hashed, rotated, revoked."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from internal import api_clients
from internal.models import ApiClient, ApiToken, AuditEvent, utcnow
from internal.team import NotPartnerAdmin
from tests.factories import make_account, make_partner


@pytest.fixture
def supplier(session):
    partner = make_partner(session, "SUP-961", "supplier")
    admin = make_account(session, "admin@sup961.example.com", partners=(partner,), role="partner_admin")
    return partner, admin


def create(session, partner, admin, scopes=("purchase_orders:read",), name="ERP"):
    return api_clients.create_client(
        session, actor_id=admin.id, partner_id=partner.id, name=name, scopes=list(scopes)
    )


def test_a_new_client_keeps_only_the_hash_of_its_secret(session, supplier):
    partner, admin = supplier
    issued = create(session, partner, admin, ["ship_notices:write", "purchase_orders:read"])
    stored = session.scalar(select(ApiClient).where(ApiClient.client_id == issued.client.client_id))
    assert len(issued.secret) >= 40
    assert issued.secret not in (stored.secret_hash, stored.client_id)
    assert stored.secret_hash == api_clients.digest(issued.secret)
    # Scopes come back in the documented order, whatever order they were chosen in.
    assert issued.client.scopes == ("purchase_orders:read", "ship_notices:write")
    assert stored.account_id == admin.id
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "api_client.created"))
    assert event.object_id == issued.client.client_id


def test_the_found_client_checks_its_secret_against_the_hash(session, supplier):
    partner, admin = supplier
    issued = create(session, partner, admin)
    found = api_clients.find_client(session, issued.client.client_id)
    assert found.check_client_secret(issued.secret)
    assert not found.check_client_secret(issued.secret + "x")
    assert found.get_allowed_scope(None) == "purchase_orders:read"
    assert found.get_allowed_scope("purchase_orders:read inventory:read") == "purchase_orders:read"


def test_a_customer_cannot_be_given_supplier_scopes_nor_none(session):
    partner = make_partner(session, "CUS-961", "customer")
    admin = make_account(session, "admin@cus961.example.com", partners=(partner,), role="partner_admin")
    with pytest.raises(api_clients.ClientRefused, match="ship_notices:write"):
        create(session, partner, admin, ["orders:read", "ship_notices:write"])
    with pytest.raises(api_clients.ClientRefused, match="at least one scope"):
        create(session, partner, admin, [])
    with pytest.raises(api_clients.ClientRefused, match="Name the client"):
        create(session, partner, admin, ["orders:read"], name="  ")


def test_only_a_partner_admin_of_that_partner_creates_clients(session, supplier):
    partner, _admin = supplier
    user = make_account(session, "user@sup961.example.com", partners=(partner,))
    with pytest.raises(NotPartnerAdmin):
        create(session, partner, user)


def test_another_partners_client_is_not_found(session, supplier):
    partner, admin = supplier
    issued = create(session, partner, admin)
    other = make_partner(session, "SUP-962", "supplier")
    other_admin = make_account(session, "admin@sup962.example.com", partners=(other,), role="partner_admin")
    for change in (api_clients.rotate_secret, api_clients.revoke_client):
        with pytest.raises(api_clients.ClientNotFound):
            change(session, actor_id=other_admin.id, partner_id=other.id, client_pk=issued.client.id)


def _token(session, issued, seconds=900):
    found = api_clients.find_client(session, issued.client.client_id)
    api_clients.store_token(
        session,
        found,
        {"access_token": "tok-" + issued.secret[:8], "expires_in": seconds, "scope": "purchase_orders:read"},
    )
    return "tok-" + issued.secret[:8]


def test_rotation_replaces_the_secret_and_ends_the_old_tokens(session, supplier):
    partner, admin = supplier
    issued = create(session, partner, admin)
    token = _token(session, issued)
    assert not api_clients.authenticate_token(session, token).is_revoked()
    rotated = api_clients.rotate_secret(
        session, actor_id=admin.id, partner_id=partner.id, client_pk=issued.client.id
    )
    found = api_clients.find_client(session, issued.client.client_id)
    assert not found.check_client_secret(issued.secret)
    assert found.check_client_secret(rotated.secret)
    assert api_clients.authenticate_token(session, token).is_revoked()
    assert rotated.client.rotated_at is not None


def test_revocation_stops_the_client_and_its_tokens(session, supplier):
    partner, admin = supplier
    issued = create(session, partner, admin)
    token = _token(session, issued)
    api_clients.revoke_client(session, actor_id=admin.id, partner_id=partner.id, client_pk=issued.client.id)
    assert api_clients.find_client(session, issued.client.client_id) is None
    assert api_clients.authenticate_token(session, token).is_revoked()
    with pytest.raises(api_clients.ClientRefused):
        api_clients.rotate_secret(
            session, actor_id=admin.id, partner_id=partner.id, client_pk=issued.client.id
        )


def test_tokens_are_stored_hashed_and_expire(session, supplier):
    partner, admin = supplier
    issued = create(session, partner, admin)
    token = _token(session, issued, seconds=60)
    stored = session.scalar(select(ApiToken))
    assert stored.token_hash == api_clients.digest(token) != token
    bearer = api_clients.authenticate_token(session, token)
    assert bearer.partner_code == "SUP-961"
    assert bearer.account_id == admin.id
    assert not bearer.is_expired()
    stored.expires_at = utcnow() - dt.timedelta(seconds=1)
    session.flush()
    assert api_clients.authenticate_token(session, token).is_expired()
    assert api_clients.authenticate_token(session, "no-such-token") is None


def test_an_idempotency_key_replays_its_answer_and_refuses_another_request(session, supplier):
    partner, admin = supplier
    issued = create(session, partner, admin)
    pk = issued.client.id
    first = api_clients.fingerprint("POST", "/api/v1/ship-notices", b'{"a": 1}')
    assert api_clients.previous_response(session, pk, "k1", first) is None
    record = api_clients.reserve_key(session, pk, "k1", first)
    with pytest.raises(api_clients.KeyInFlight):
        api_clients.previous_response(session, pk, "k1", first)
    with pytest.raises(api_clients.KeyInFlight):
        api_clients.reserve_key(session, pk, "k1", first)
    api_clients.remember_response(session, record, 201, {"number": "ASN-1"})
    assert api_clients.previous_response(session, pk, "k1", first) == api_clients.StoredResponse(
        201, {"number": "ASN-1"}
    )
    other = api_clients.fingerprint("POST", "/api/v1/ship-notices", b'{"a": 2}')
    with pytest.raises(api_clients.KeyReused):
        api_clients.previous_response(session, pk, "k1", other)


def test_portal_demo_logins_prints_the_demo_api_clients():
    from click.testing import CliRunner

    from internal.demo import DEMO_API_CLIENTS
    from portal.cli import main

    output = CliRunner().invoke(main, ["demo", "logins"]).output
    for demo_client in DEMO_API_CLIENTS:
        assert f"{demo_client.partner_code:<8} {demo_client.client_id:<14} {demo_client.secret}" in output
