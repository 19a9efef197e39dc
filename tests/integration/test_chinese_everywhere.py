"""Chinese to the last word, and every treated figure explained, on the small demo.

Each demo role signs in with a Chinese browser and follows every link it finds within its app; no page
may show English interface text. Product data (item descriptions, names, codes, e-mail addresses: any
text the demo stored) is allowed, since it is the enterprise's data, not the interface.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Connection, Engine, String, Text, select

from internal.db import make_session_factory
from internal.demo import DEMO_PASSWORD, load_demo
from internal.models import Base, Partner
from tests.conftest import app_config
from tests.factories import csrf_token, make_account

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en"}


class Demo(NamedTuple):
    connection: Connection
    #: Every text the demo stored: the enterprise's data, shown as it is in any language.
    data: str


@pytest.fixture(scope="module")
def demo(engine: Engine) -> Iterator[Demo]:
    """The small demo (plus a customer partner admin), loaded once for the module and rolled back after."""
    with engine.connect() as conn:
        trans = conn.begin()
        with make_session_factory(conn)() as session:
            load_demo(session, "small", today=dt.date.today())  # noqa: DTZ011 - the gate's horizon is today's
            customer = session.scalars(select(Partner).where(Partner.code == "CUS-001")).one()
            make_account(session, "customer.admin@example.com", partners=(customer,), role="partner_admin")
            session.commit()
            texts: set[str] = set()
            for table in Base.metadata.sorted_tables:
                for column in table.columns:
                    if isinstance(column.type, String | Text) and not column.name.endswith("hash"):
                        texts.update(
                            v for v in session.scalars(select(column).distinct()) if isinstance(v, str)
                        )
        yield Demo(conn, "\n".join(sorted(texts)))
        trans.rollback()


def signed_in(
    app: Any, email: str, password: str, headers: dict[str, str], partner: str | None = None
) -> Any:
    client = app.test_client()
    token = csrf_token(client, "/login")
    answer = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}, headers=headers
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    if partner:
        token = csrf_token(client, "/account")
        answer = client.post("/partner", data={"partner": partner, "csrf_token": token}, headers=headers)
        assert answer.status_code == 302
    return client


@pytest.fixture(scope="module")
def extranet(demo: Demo) -> Any:
    import portal

    return portal.create_app(app_config(demo.connection))


@pytest.fixture(scope="module")
def console(demo: Demo) -> Any:
    import internal

    return internal.create_app(app_config(demo.connection, STAFF_MFA="optional"))


# -- the explanations ----------------------------------------------------------------------------------


def explained(page: str) -> str | None:
    """The text of the page's explanation box, or None when it has none."""
    if 'data-testid="explained"' not in page:
        return None
    box = page.split('data-testid="explained"')[1].split("</section>")[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", box)).replace("&#34;", '"').strip()


@pytest.mark.parametrize("headers", [EN, ZH], ids=["en", "zh"])
def test_the_strategic_supplier_sees_everything_exactly_and_gets_no_explanation_box(extranet, headers):
    client = signed_in(extranet, "supplier.user@example.com", DEMO_PASSWORD, headers)
    for path in ("/supplier/forecast", "/supplier/inventory"):
        page = client.get(path, headers=headers).get_data(as_text=True)
        assert "data-testid" in page
        assert explained(page) is None, path


def test_sup_002_is_told_its_forecast_is_rounded_and_cut_and_its_stock_banded_in_english(extranet):
    client = signed_in(extranet, "supplier.admin@example.com", DEMO_PASSWORD, EN, partner="SUP-002")
    forecast = explained(client.get("/supplier/forecast", headers=EN).get_data(as_text=True))
    assert forecast is not None
    assert "What your sharing agreement lets you see" in forecast
    assert "Quantity and previous quantity are rounded to the nearest 10." in forecast
    assert "You see 12 weeks ahead." in forecast
    stock = explained(client.get("/supplier/inventory", headers=EN).get_data(as_text=True))
    assert stock is not None
    assert (
        "On hand is shown as a band: out of stock up to 0, low over 0 up to 100, ok over 100 up to 1,000, "
        "and high over 1,000."
    ) in stock
    assert "Days of supply is shown as a band: short up to 7, ok over 7 up to 30, and long over 30." in stock
    assert "On order and safety stock are not shared with you." in stock


def test_sup_002_is_told_the_same_in_chinese_with_translated_band_labels(extranet):
    client = signed_in(extranet, "supplier.admin@example.com", DEMO_PASSWORD, ZH, partner="SUP-002")
    forecast = explained(client.get("/supplier/forecast", headers=ZH).get_data(as_text=True))
    assert forecast is not None
    assert "您的共享协议允许您看到的内容" in forecast
    assert "数量和上一版数量四舍五入到最接近的 10 的倍数。" in forecast
    assert "您可以看到未来 12 周。" in forecast
    page = client.get("/supplier/inventory", headers=ZH).get_data(as_text=True)
    stock = explained(page)
    assert stock is not None
    assert (
        "现有库存按区间显示：缺货：不超过 0、低：超过 0 且不超过 100、"
        "正常：超过 100 且不超过 1,000和高：超过 1,000。"
    ) in stock
    assert "在途订单和安全库存不与您共享。" in stock
    table = page.split('data-testid="inventory-table"')[1].split("</table>")[0]
    assert re.search(r'data-band="(out|low|ok|high)">(缺货|低|正常|高)<', table)
    assert ">high<" not in table
    assert ">low<" not in table


def test_the_customer_is_told_availability_is_banded_and_prices_rounded(extranet):
    client = signed_in(extranet, "customer.user@example.com", DEMO_PASSWORD, EN)
    availability = explained(client.get("/customer/availability", headers=EN).get_data(as_text=True))
    assert availability is not None
    assert (
        "Availability is shown as a band: on request up to 0, limited over 0 up to 20, and in stock over 20."
        in (availability)
    )
    orders = client.get("/customer/orders", headers=EN).get_data(as_text=True)
    assert "Shipping site is shown as its region only." in (explained(orders) or "")
    number = re.search(r'href="/customer/orders/([^"?]+)"', orders)
    assert number
    order = explained(client.get(f"/customer/orders/{number.group(1)}", headers=EN).get_data(as_text=True))
    assert order is not None
    assert "Unit price and amount are rounded to the nearest 1." in order


# -- the crawl -----------------------------------------------------------------------------------------

#: Two or more English words in a row (a hyphenated or dotted token is one word).
ENGLISH_RUN = re.compile(
    r"[A-Za-z][A-Za-z'’]*(?:[-.][A-Za-z]+)*(?:[ ,:;/]+[A-Za-z][A-Za-z'’]*(?:[-.][A-Za-z]+)*)+"
)
#: What is data or an identifier whatever the language: e-mail addresses, API scopes (orders:read).
IDENTIFIER = re.compile(r"\S+@\S+|\S*[A-Za-z][:_][A-Za-z]\S*")
#: Product names the interface cites as they are.
PRODUCT_NAMES = ("Google Authenticator",)
#: Attributes a reader sees or hears (a screen reader reads labels aloud).
SHOWN_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")
#: Elements whose text is data or code, not interface: scripts, the policy source, API examples.
NOT_INTERFACE = frozenset({"script", "style", "pre", "code", "textarea", "kbd"})
#: Links not followed: leaving, downloads, forms' targets that change state on GET are none (all POST).
NOT_FOLLOWED = re.compile(r"^/(logout|assets/|language)|\.(csv|xlsx|pdf|json)(\?|$)|^/api/")
#: Pages read per kind of address (ids and query strings aside), so a long list is not read page by page.
PER_KIND = 3
MAX_PAGES = 250


class VisibleText(HTMLParser):
    """The text a reader sees on a page, element by element, leaving out data and code elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.links: list[str] = []
        self._skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        # Something marked as another language (the "English" button of the switcher) is meant so.
        foreign = (values.get("lang") or "zh").split("-")[0] not in ("zh", "")
        if tag in NOT_INTERFACE or foreign:
            self._skipping.append(tag)
            return
        if self._skipping:
            return
        self.texts.extend(v for k, v in attrs if k in SHOWN_ATTRIBUTES and v)
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.texts.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if self._skipping and self._skipping[-1] == tag:
            self._skipping.pop()

    def handle_data(self, data: str) -> None:
        if not self._skipping and data.strip():
            self.texts.append(data)


def english_on(html: str, data: str) -> tuple[list[str], list[str]]:
    """The English runs of a page that are not the demo's data, and the page's links."""
    parser = VisibleText()
    parser.feed(html)
    found = []
    for text in parser.texts:
        for run in ENGLISH_RUN.findall(IDENTIFIER.sub(" ", text)):
            if run not in data and run not in PRODUCT_NAMES and run.strip(" ,:;/") not in data:
                found.append(run)
    return found, parser.links


def kind_of(path: str) -> str:
    return re.sub(r"[0-9]+", "#", urlsplit(path).path)


def crawl(client: Any, start: str, data: str, *also: str, least: int = 10) -> dict[str, list[str]]:
    """Every page reachable from ``start`` (and ``also``) within the app, with the English each shows."""
    seen: set[str] = set()
    per_kind: dict[str, int] = {}
    queue, english = [start, *also], {}
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen or per_kind.get(kind_of(path), 0) >= PER_KIND:
            continue
        seen.add(path)
        per_kind[kind_of(path)] = per_kind.get(kind_of(path), 0) + 1
        answer = client.get(path, headers=ZH)
        if answer.status_code in (301, 302, 303, 307, 308):
            queue.append(urlsplit(answer.headers["Location"]).path)
            continue
        if not answer.content_type.startswith("text/html"):
            continue
        found, links = english_on(answer.get_data(as_text=True), data)
        if found:
            english[path] = sorted(set(found))
        for link in links:
            parts = urlsplit(link)
            if parts.netloc or not parts.path.startswith("/") or NOT_FOLLOWED.search(parts.path):
                continue
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    assert len(seen) >= least, f"the crawl from {start} found only {sorted(seen)}"
    return english


#: Pages no link leads to: views a form asks for, and a page that does not exist.
ALSO = {
    "supplier": ("/supplier/forecast?buckets=month", "/supplier/purchase-orders/PO-NONE", "/no-such-page"),
    "customer": ("/customer/orders?q=none", "/customer/orders/SO-NONE", "/no-such-page"),
}

ROLES = [
    pytest.param("supplier.user@example.com", None, id="strategic-supplier"),
    pytest.param("supplier.admin@example.com", None, id="strategic-supplier-admin"),
    pytest.param("supplier.admin@example.com", "SUP-002", id="plain-supplier"),
    pytest.param("customer.user@example.com", None, id="customer"),
    pytest.param("customer.admin@example.com", None, id="customer-admin"),
]


@pytest.mark.parametrize(("email", "partner"), ROLES)
def test_every_partner_page_a_role_reaches_is_chinese_to_the_last_word(extranet, demo, email, partner):
    password = "correct-horse-battery" if email == "customer.admin@example.com" else DEMO_PASSWORD
    client = signed_in(extranet, email, password, ZH, partner=partner)
    side = "customer" if email.startswith("customer") else "supplier"
    assert crawl(client, "/", demo.data, *ALSO[side]) == {}


@pytest.mark.parametrize("app", ["extranet", "console"])
def test_the_pages_before_sign_in_are_chinese_to_the_last_word(request, demo, app):
    client = request.getfixturevalue(app).test_client()
    also = ("/password/forgot", "/password/reset/not-a-token")
    assert crawl(client, "/login", demo.data, *also, least=4) == {}


@pytest.mark.parametrize(
    "email", ["policy.admin@example.com", "staff.viewer@example.com", "buyer@example.com"]
)
def test_every_console_page_a_staff_role_reaches_is_chinese_to_the_last_word(console, demo, email):
    client = signed_in(console, email, DEMO_PASSWORD, ZH)
    assert crawl(client, "/", demo.data, "/imports/2147483000", "/no-such-page") == {}


def test_the_crawl_flags_english_interface_text_and_lets_product_data_through():
    html = (
        '<main><h1>订单</h1><p title="Open the order">Steel bracket 10 mm</p>'
        '<button lang="en">English</button>'
        "<script>var a = 'some code here';</script><p>buyer@example.com 的 orders:read, orders:answer</p>"
        "<td>Nothing to show here</td></main>"
    )
    found, _links = english_on(html, data="Steel bracket 10 mm")
    assert found == ["Open the order", "Nothing to show here"]
