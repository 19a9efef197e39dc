"""Builders for test data: small, explicit, flushed (never committed)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from internal.models import Account, Membership, MembershipRole, Partner, PartnerGroup, PartnerKind, StaffRole
from internal.passwords import hash_password

PASSWORD = "correct-horse-battery"
#: Hashing is slow on purpose; tests share one hash of PASSWORD.
PASSWORD_HASH = hash_password(PASSWORD)


def make_partner(
    session: Session, code: str, kind: str = "supplier", *, groups: tuple[str, ...] = ()
) -> Partner:
    partner = Partner(code=code, name=f"{code} Industries", kind=PartnerKind(kind))
    session.add(partner)
    with session.no_autoflush:
        for name in groups:
            group = session.query(PartnerGroup).filter_by(name=name).one_or_none() or PartnerGroup(name=name)
            partner.groups.append(group)
    session.flush()
    return partner


def make_account(
    session: Session,
    email: str,
    *,
    partners: tuple[Partner, ...] = (),
    role: str = "user",
    staff_role: str | None = None,
    **fields: Any,
) -> Account:
    account = Account(
        email=email,
        name=fields.pop("name", email.split("@")[0].replace(".", " ").title()),
        password_hash=fields.pop("password_hash", PASSWORD_HASH),
        is_staff=staff_role is not None,
        staff_role=StaffRole(staff_role) if staff_role else None,
        **fields,
    )
    session.add(account)
    session.flush()
    for partner in partners:
        session.add(Membership(account_id=account.id, partner_id=partner.id, role=MembershipRole(role)))
    session.flush()
    session.refresh(account)
    return account


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: Any, path: str) -> str:
    """The CSRF token of the form at ``path``, as a browser would read it."""
    page = client.get(path)
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path} (status {page.status_code})"
    return match.group(1)


def sign_in(client: Any, email: str, password: str = PASSWORD, **kw: Any) -> Any:
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token}, **kw)


def make_site(session: Session, code: str = "PL01", region: str = "EMEA") -> Any:
    from internal.models import Site, SiteKind

    site = session.query(Site).filter_by(code=code).one_or_none()
    if site is None:
        site = Site(code=code, name=f"{code} plant", kind=SiteKind.plant, region=region)
        session.add(site)
        session.flush()
    return site


def make_item(session: Session, sku: str, kind: str = "component") -> Any:
    from decimal import Decimal

    from internal.models import Item, ItemKind

    item = Item(sku=sku, name=f"Part {sku}", kind=ItemKind(kind), standard_cost=Decimal("12.50"))
    session.add(item)
    session.flush()
    return item


def make_purchase_order(
    session: Session, number: str, supplier: Partner, *, days_ago: int = 0, lines: int = 2
) -> Any:
    import datetime as dt
    from decimal import Decimal

    from internal.models import PurchaseOrder, PurchaseOrderLine

    today = dt.date(2026, 11, 25)
    order = PurchaseOrder(
        number=number,
        supplier_id=supplier.id,
        site_id=make_site(session).id,
        order_date=today - dt.timedelta(days=days_ago),
    )
    for n in range(1, lines + 1):
        order.lines.append(
            PurchaseOrderLine(
                line_no=n,
                item_id=make_item(session, f"{number}-{n}").id,
                qty=Decimal(100 * n),
                unit_price=Decimal("9.99"),
                need_by=today + dt.timedelta(days=30),
                shipped_qty=Decimal(0),
                received_qty=Decimal(0),
            )
        )
    session.add(order)
    session.flush()
    return order


def make_sales_order(session: Session, number: str, customer: Partner, *, days_ago: int = 0) -> Any:
    import datetime as dt
    from decimal import Decimal

    from internal.models import SalesOrder, SalesOrderLine

    today = dt.date(2026, 11, 25)
    order = SalesOrder(
        number=number,
        customer_id=customer.id,
        site_id=make_site(session).id,
        order_date=today - dt.timedelta(days=days_ago),
        requested_date=today + dt.timedelta(days=20),
        total_amount=Decimal("1999.00"),
        currency="EUR",
    )
    order.lines.append(
        SalesOrderLine(
            line_no=1,
            item_id=make_item(session, f"{number}-1", "finished").id,
            qty=Decimal(2),
            unit_price=Decimal("999.50"),
            shipped_qty=Decimal(0),
        )
    )
    session.add(order)
    session.flush()
    return order


class QueryCounter:
    """Counts the SQL statements a block of code sends (the way to pin N+1 regressions)."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.statements: list[str] = []

    def _count(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)

    def __enter__(self) -> QueryCounter:
        from sqlalchemy import event

        event.listen(self.connection, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc: object) -> None:
        from sqlalchemy import event

        event.remove(self.connection, "before_cursor_execute", self._count)

    @property
    def count(self) -> int:
        # Transaction control is not work: a page ends its read transaction before writing its ledger.
        control = ("SAVEPOINT", "RELEASE", "ROLLBACK")
        return sum(1 for s in self.statements if not s.lstrip().upper().startswith(control))


def count_queries(connection: Any) -> QueryCounter:
    """``with count_queries(connection) as counted: ...`` then ``counted.count`` statements were sent."""
    return QueryCounter(connection)
