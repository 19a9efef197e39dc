"""A sweep of every page and export a supplier can reach on the demo: no customer, no other supplier.

Each demo supplier login follows every link under /supplier/ from its home page (forecast items,
purchase orders, notices, exports in CSV and XLSX) and each response is searched for any customer's
name or code and for any purchase order of another supplier. Every disclosure is in the ledger.
"""

from __future__ import annotations

import io
import re
from collections import deque

from openpyxl import load_workbook
from sqlalchemy import func, select

from internal.demo import DEMO_PASSWORD, load_demo
from internal.models import DisclosureRecord, Partner, PartnerKind, PurchaseOrder
from tests.factories import csrf_token, sign_in

HREF = re.compile(r'href="(/supplier/[^"#]*)"')
#: The forecast page picks its item from a list: each item, weekly and monthly, is a page of its own.
ITEM_OPTION = re.compile(r'<option value="([^"]+)"')
MAX_PAGES = 400


def crawl(client) -> dict[str, str]:
    """Every /supplier/ URL reachable from the home page, with its text (XLSX read cell by cell)."""
    seen: dict[str, str] = {}
    queue = deque(["/supplier/"])
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft().replace("&amp;", "&")
        if url in seen:
            continue
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        if url.endswith(".xlsx") or ".xlsx?" in url:
            sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
            text = "\n".join(
                " ".join(str(c) for c in row if c is not None) for row in sheet.iter_rows(values_only=True)
            )
        else:
            text = response.get_data(as_text=True)
        seen[url] = text
        if response.mimetype == "text/html":
            queue.extend(u for u in HREF.findall(text) if u.replace("&amp;", "&") not in seen)
        if url == "/supplier/forecast":
            for sku in ITEM_OPTION.findall(text.split('id="sku"')[1].split("</select>")[0]):
                queue.extend([f"/supplier/forecast?sku={sku}", f"/supplier/forecast?sku={sku}&buckets=month"])
    return seen


def test_no_supplier_page_or_export_names_a_customer_or_another_suppliers_order(client, session):
    load_demo(session, "small")
    customers = session.execute(
        select(Partner.code, Partner.name).where(Partner.kind == PartnerKind.customer)
    ).all()
    secrets = {value for pair in customers for value in pair}
    for switch_to, login in ((None, "supplier.user@example.com"), ("SUP-002", "supplier.admin@example.com")):
        sign_in(client, login, DEMO_PASSWORD)
        if switch_to:
            client.post(
                "/partner", data={"partner": switch_to, "csrf_token": csrf_token(client, "/supplier/")}
            )
        code = switch_to or "SUP-001"
        others = set(
            session.scalars(
                select(PurchaseOrder.number)
                .join(Partner, Partner.id == PurchaseOrder.supplier_id)
                .where(Partner.code != code)
            )
        )
        before = session.scalar(select(func.count()).select_from(DisclosureRecord))
        pages = crawl(client)
        assert any(u.startswith("/supplier/purchase-orders/") for u in pages)
        assert any(u.endswith(".xlsx") for u in pages)
        assert "/supplier/inventory" in pages
        assert sum("buckets=month" in u for u in pages) >= 2
        for url, text in pages.items():
            leaked = [s for s in secrets if s in text]
            assert not leaked, f"{code}: {url} shows {leaked[:3]}"
            numbers = set(re.findall(r"PO-[0-9A-Z-]+", text))
            assert not numbers & others, (
                f"{code}: {url} shows another supplier's {sorted(numbers & others)[:3]}"
            )
        after = session.scalar(select(func.count()).select_from(DisclosureRecord))
        assert after - before >= len(pages)  # every page and export disclosed through the gate, recorded
        client.post("/logout", data={"csrf_token": csrf_token(client, "/supplier/")})
