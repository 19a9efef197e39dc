"""The API reference renders in a real browser from local assets; a partner admin makes a working client."""

from __future__ import annotations

import base64
import json
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_sign_in import sign_in

pytestmark = pytest.mark.browser


def test_the_reference_renders_every_operation_from_local_assets(page: Page, servers):
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(request.url.split("/")[2]))
    with urllib.request.urlopen(f"{servers.extranet}/api/v1/openapi.json") as answer:  # noqa: S310 - loopback
        spec = json.load(answer)
    operations = sum(1 for item in spec["paths"].values() for method in item if method in ("get", "post"))
    assert operations >= 20  # every dataset read and every write
    page.goto(f"{servers.extranet}/api/v1/reference")
    expect(page.locator(".opblock")).to_have_count(operations)
    expect(page.get_by_text("/api/v1/purchase-orders/{number}/lines/{line_no}/answer")).to_be_visible()
    assert hosts == {servers.extranet.split("/")[2]}


def test_a_partner_admin_creates_a_client_whose_secret_gets_a_token(page: Page, servers):
    sign_in(page, servers.extranet, "supplier.admin@example.com", "demo-password")
    page.get_by_role("link", name="API clients").click()
    page.get_by_label("Name").fill("Browser-made ERP link")
    page.get_by_label("inventory:read", exact=False).check()
    page.get_by_role("button", name="Create client").click()
    client_id = page.get_by_test_id("client-id").inner_text()
    secret = page.get_by_test_id("client-secret").inner_text()
    credentials = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    request = urllib.request.Request(  # noqa: S310 - the test's own loopback server
        f"{servers.extranet}/oauth/token",
        data=b"grant_type=client_credentials",
        headers={"Authorization": f"Basic {credentials}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        assert json.load(response)["scope"] == "inventory:read"
    page.goto(f"{servers.extranet}/api-clients")
    expect(page.get_by_test_id("client-secret")).to_have_count(0)
