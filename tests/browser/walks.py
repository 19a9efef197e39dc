"""Which pages each demo role reaches, for the accessibility, phone and screenshot walks.

A new page joins every walk by adding one `Stop` to its role's list. A stop with `detail` also
visits the first link on the page that matches that CSS selector (the first order, the first
request), so detail pages are covered without naming demo numbers that can change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from playwright.sync_api import Page

from internal.demo import DEMO_PASSWORD


@dataclass(frozen=True)
class Stop:
    path: str
    #: CSS selector of a link on this page to one of its detail pages, visited next.
    detail: str | None = None
    #: Also shown by `make screenshots` (the main pages of each app).
    main: bool = False
    #: A form page: also send its first form in <main> empty, to check the page that shows the errors.
    send_empty: bool = False
    #: CSS selector of what a page draws with script after loading, to wait for before checking it.
    ready: str | None = None
    #: The page's language when it has only one (the API reference is English for every reader).
    lang: str | None = None


@dataclass(frozen=True)
class Walk:
    name: str
    #: "extranet" or "console".
    app: str
    #: None: not signed in.
    email: str | None
    stops: tuple[Stop, ...]
    #: Partner code to switch to (with the partner menu) after signing in, before the walk.
    switch_to: str | None = None
    #: Partner pages, checked at phone width too.
    partner: bool = field(default=False)


def _supplier_stops(*, with_ship_notice_form: bool, with_consumption: bool = False) -> tuple[Stop, ...]:
    stops = [
        Stop("/supplier/", main=True),
        Stop("/supplier/forecast", main=True),
        Stop("/supplier/forecast?buckets=month"),
        Stop("/supplier/inventory", main=True),
        Stop("/supplier/purchase-orders", detail="[data-testid=po-table] a", main=True),
        Stop("/supplier/ship-notices", detail="[data-testid=notice-table] a", main=True),
    ]
    if with_ship_notice_form:
        stops.append(Stop("/supplier/ship-notices/new", main=True))
    if with_consumption:  # shared with the strategic supplier only
        stops += [Stop("/supplier/consumption", main=True), Stop("/supplier/consumption?buckets=month")]
    return tuple(stops)


ACCOUNT_STOPS = (
    Stop("/account", main=True),
    Stop("/account/password", send_empty=True),
    Stop("/account/two-factor"),
)

CUSTOMER_STOPS = (
    Stop("/customer/", main=True),
    Stop("/customer/orders", detail="[data-testid=order-table] a", main=True),
    Stop("/customer/shipments", main=True),
    Stop("/customer/invoices", detail="[data-testid=invoice-table] a[href*='/invoices/']", main=True),
    Stop(
        "/customer/service-requests",
        detail="[data-testid=request-table] a[href*='/customer/service-requests/']",
        main=True,
    ),
    Stop("/customer/service-requests/new", send_empty=True),
    Stop("/customer/availability", main=True),
)

PARTNER_ADMIN_STOPS = (Stop("/team", main=True), Stop("/api-clients"))

CONSOLE_STOPS = (
    Stop("/", main=True),
    Stop("/partners", detail="main a[href^='/partners/']", main=True),
    Stop("/purchase-orders", detail="main a[href^='/purchase-orders/']", main=True),
    Stop("/forecast-plans", detail="main a[href^='/forecast-plans/']", main=True),
    Stop("/policies", main=True),
    Stop("/service-requests", detail="main a[href^='/service-requests/']", main=True),
    Stop("/sales-orders/drafts"),
    Stop("/api-clients"),
    Stop("/imports", detail="main a[href^='/imports/']:not([href^='/imports/mappings'])"),
    Stop("/imports/mappings"),
    Stop("/inbox", main=True),
    Stop("/policies/1"),
    Stop("/policies/diff?from=1&to=1"),
    Stop("/policies/preview?partner=SUP-002&page=inventory&under=active", main=True),
    Stop("/policies/preview?partner=CUS-001&page=availability&under=active"),
    Stop("/ledger", main=True),
    Stop("/ledger?partner=SUP-002&kind=item&subject=none"),
    Stop("/explain"),
    Stop("/explain?partner=SUP-002&dataset=inventory"),
    Stop("/audit", main=True),
)

#: Every demo role, and the pages each reaches. Each walk runs once in English and once in Chinese.
WALKS: tuple[Walk, ...] = (
    Walk(
        "signed-out-extranet",
        "extranet",
        None,
        (
            Stop("/login", main=True),
            Stop("/password/forgot"),
            Stop("/password/reset/not-a-link"),
            Stop("/invitation/not-an-invitation"),
            Stop("/api/v1/reference", ready=".swagger-ui .opblock", lang="en"),
        ),
    ),
    Walk("signed-out-console", "console", None, (Stop("/login"), Stop("/password/forgot"))),
    # The strategic supplier (SUP-001), as a plain user: every supplier page and the account pages.
    Walk(
        "supplier-user",
        "extranet",
        "supplier.user@example.com",
        (
            *_supplier_stops(with_ship_notice_form=True, with_consumption=True),
            *ACCOUNT_STOPS,
            Stop("/supplier/purchase-orders/none"),  # the error page
        ),
        partner=True,
    ),
    # The partner admin of SUP-001, working for SUP-002 (a supplier under a stricter policy).
    Walk(
        "supplier-admin-sup-002",
        "extranet",
        "supplier.admin@example.com",
        _supplier_stops(with_ship_notice_form=False),
        switch_to="SUP-002",
        partner=True,
    ),
    # The same admin's team and API pages, at SUP-001.
    Walk("supplier-admin", "extranet", "supplier.admin@example.com", PARTNER_ADMIN_STOPS, partner=True),
    Walk("customer-user", "extranet", "customer.user@example.com", CUSTOMER_STOPS, partner=True),
    # Filled in by the fixture: a customer's partner admin (the demo's contacts have no password).
    Walk(
        "customer-admin",
        "extranet",
        "customer.admin",
        (Stop("/customer/"), Stop("/customer/availability"), *PARTNER_ADMIN_STOPS),
        partner=True,
    ),
    Walk("policy-admin", "console", "policy.admin@example.com", CONSOLE_STOPS + ACCOUNT_STOPS[:1]),
    Walk("buyer", "console", "buyer@example.com", CONSOLE_STOPS[:4]),
    Walk("staff-viewer", "console", "staff.viewer@example.com", CONSOLE_STOPS[:2] + CONSOLE_STOPS[4:6]),
    Walk("planner", "console", "planner@example.com", (Stop("/inbox"), CONSOLE_STOPS[3])),
)


def sign_in(
    page: Page, base: str, email: str, password: str = DEMO_PASSWORD, *, wait_visible: bool = True
) -> None:
    """Sign in through the form, whatever the page's language and width (at phone width the name
    sits in the collapsed menu: pass wait_visible=False)."""
    page.goto(f"{base}/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector("[data-testid=signed-in-as]", state="visible" if wait_visible else "attached")


def switch_partner(page: Page, code: str) -> None:
    """Work for another partner, through the partner menu."""
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
    page.get_by_test_id("user-menu").click()
    page.locator(f"[data-testid=partner-switch] button[value='{code}']").click()
    page.wait_for_load_state()


def pages_of(page: Page, base: str, walk: Walk, *, main_only: bool = False):
    """Visit each stop of the walk (and its detail page), yielding (path, stop) once the page has loaded."""
    seen: set[str] = set()
    for stop in walk.stops:
        if main_only and not stop.main:
            continue
        queue = [stop.path]
        while queue:
            path = queue.pop(0)
            if path in seen:
                continue
            seen.add(path)
            page.goto(f"{base}{path}")
            if path == stop.path and stop.ready:
                page.wait_for_selector(stop.ready)
            yield path, stop
            if path == stop.path and stop.send_empty:
                with page.expect_navigation():
                    page.locator("main form[method=post] [type=submit]").first.click()
                yield f"{path} (sent empty)", stop
            if path == stop.path and stop.detail:
                link = page.locator(stop.detail).first
                if link.count():
                    href = link.get_attribute("href") or ""
                    queue.append(href.removeprefix(base))
