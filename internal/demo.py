"""A deterministic demo manufacturer: an industrial pump and valve maker with its suppliers and customers.

Everything comes from one seeded PRNG, so the same seed and day give the same enterprise. Rows are
written with bulk Core inserts and ids assigned here, so children never wait on their parents.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.orm import Session

from internal.models import (
    Account,
    BomLine,
    ForecastBucket,
    ForecastCommit,
    ForecastPlan,
    InventoryPosition,
    Invoice,
    Item,
    Membership,
    Partner,
    PartnerGroup,
    PurchaseOrder,
    PurchaseOrderLine,
    SalesOrder,
    SalesOrderEvent,
    SalesOrderLine,
    ServiceRequest,
    ServiceRequestMessage,
    Shipment,
    ShipmentLine,
    ShipNotice,
    ShipNoticeLine,
    Site,
    SourceListEntry,
    partner_group_member,
)
from internal.passwords import hash_password

DEMO_PASSWORD = "demo-password"  # noqa: S105 - the published demo password
CHUNK = 20_000


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    description: str
    app: str  # "extranet" or "console"


DEMO_LOGINS = (
    DemoLogin("supplier.user@example.com", DEMO_PASSWORD, "supplier user at SUP-001 (strategic)", "extranet"),
    DemoLogin(
        "supplier.admin@example.com", DEMO_PASSWORD, "partner admin at SUP-001, user at SUP-002", "extranet"
    ),
    DemoLogin("customer.user@example.com", DEMO_PASSWORD, "customer user at CUS-001", "extranet"),
    DemoLogin("policy.admin@example.com", DEMO_PASSWORD, "staff policy admin", "console"),
    DemoLogin("staff.viewer@example.com", DEMO_PASSWORD, "staff viewer (read-only)", "console"),
    DemoLogin("buyer@example.com", DEMO_PASSWORD, "staff buyer", "console"),
)


class DemoAlreadyLoaded(Exception):
    """The database already holds partners; the demo only loads into an empty one."""


@dataclass(frozen=True)
class Scale:
    suppliers: int
    customers: int
    items: int
    order_lines: int
    weeks: int
    sites: int


SCALES = {
    "small": Scale(suppliers=12, customers=8, items=300, order_lines=5_000, weeks=26, sites=6),
    "large": Scale(suppliers=600, customers=420, items=50_000, order_lines=1_000_000, weeks=52, sites=12),
}


@dataclass(frozen=True)
class DemoSummary:
    scale: str
    rows: dict[str, int]
    elapsed_seconds: float

    def counts(self) -> dict[str, int]:
        return dict(self.rows)


SITES = [
    ("SH01", "Shanghai Pump Plant", "plant", "East China", "CN"),
    ("DO01", "Dortmund Valve Plant", "plant", "EMEA", "DE"),
    ("HO01", "Houston Assembly Plant", "plant", "Americas", "US"),
    ("SZ02", "Suzhou Distribution Centre", "warehouse", "East China", "CN"),
    ("RT02", "Rotterdam Distribution Centre", "warehouse", "EMEA", "NL"),
    ("MT02", "Monterrey Distribution Centre", "warehouse", "Americas", "MX"),
    ("PU01", "Pune Casting Plant", "plant", "South Asia", "IN"),
    ("CH02", "Chennai Warehouse", "warehouse", "South Asia", "IN"),
    ("BR01", "Brno Machining Plant", "plant", "EMEA", "CZ"),
    ("SP02", "Sao Paulo Warehouse", "warehouse", "Americas", "BR"),
    ("TJ01", "Tianjin Motor Plant", "plant", "North China", "CN"),
    ("BJ02", "Beijing Warehouse", "warehouse", "North China", "CN"),
]

NAME_A = [
    "Atlas",
    "Baltic",
    "Cobalt",
    "Delta",
    "Everest",
    "Falcon",
    "Granite",
    "Harbor",
    "Iron Ridge",
    "Jade River",
    "Keystone",
    "Lumen",
    "Meridian",
    "Northwind",
    "Orion",
    "Pioneer",
    "Quarry",
    "Redwood",
    "Summit",
    "Titan",
    "Union",
    "Vanguard",
    "Westfield",
    "Yangtze",
    "Zenith",
    "Silver Lake",
    "Blue Ocean",
    "Great Wall",
    "Rhine",
]
NAME_B = {
    "supplier": [
        "Castings",
        "Precision Machining",
        "Seals",
        "Motors",
        "Steel",
        "Bearings",
        "Electronics",
        "Forgings",
        "Fasteners",
        "Polymers",
        "Coatings",
        "Hydraulics",
    ],
    "customer": [
        "Water Utilities",
        "Chemicals",
        "Mining",
        "Refining",
        "Building Services",
        "Agritech",
        "Municipal Works",
        "Food Processing",
        "Power",
        "Shipyards",
        "Paper Mills",
        "Desalination",
    ],
}
NAME_C = ["Ltd", "GmbH", "Inc.", "Co., Ltd.", "S.A.", "B.V.", "s.r.o.", "LLC", "AG", "Pvt. Ltd."]
COUNTRIES = ["CN", "DE", "US", "NL", "MX", "IN", "CZ", "BR", "IT", "PL", "JP", "KR"]

FINISHED = [
    ("Centrifugal pump", "CP", "EA"),
    ("Submersible pump", "SP", "EA"),
    ("Gate valve", "GV", "EA"),
    ("Ball valve", "BV", "EA"),
    ("Booster set", "BS", "EA"),
    ("Dosing pump", "DP", "EA"),
]
COMPONENTS = [
    ("Ductile iron impeller", "mm"),
    ("Mechanical seal", "mm"),
    ("Pump shaft", "mm"),
    ("Volute casing", "mm"),
    ("Bearing housing", "mm"),
    ("Motor 4-pole", "kW"),
    ("Valve body", "DN"),
    ("Valve stem", "mm"),
    ("Gasket set", "DN"),
    ("Control board", "V"),
    ("Coupling", "mm"),
    ("Wear ring", "mm"),
]
RAW = [
    ("Stainless steel bar 316L", "KG"),
    ("Cast iron ingot GJS-500", "KG"),
    ("Copper wire 1.5 mm", "M"),
    ("EPDM compound", "KG"),
    ("Epoxy coating", "L"),
    ("Carbon steel plate S355", "KG"),
    ("Bronze alloy CuSn10", "KG"),
    ("PTFE sheet", "M"),
]
SIZES = [25, 32, 40, 50, 65, 80, 100, 125, 150, 200, 250, 300]
CARRIERS = ["DHL Freight", "Kuehne+Nagel", "DB Schenker", "SF Express", "UPS Supply Chain", "Maersk"]
CHANNELS = ["distribution", "spares", "retail", "internal"]
SUBJECTS = [
    "Seal leaking after commissioning",
    "Request for pump curve",
    "Delivery arrived damaged",
    "Spare parts quotation",
    "Vibration above limit",
    "Invoice does not match order",
    "Missing test certificate",
    "Change of delivery address",
]
PRENAMES = ["Li", "Anna", "Marco", "Priya", "Jonas", "Mei", "Carlos", "Sofia", "Wei", "Lukas", "Aisha", "Tom"]
SURNAMES = ["Wang", "Schmidt", "Rossi", "Sharma", "Berg", "Chen", "Garcia", "Novak", "Zhang", "Meyer"]


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def _chunks(rows: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class _Builder:
    session: Session
    scale: Scale
    rng: random.Random
    today: dt.date
    rows: dict[str, int] = field(default_factory=dict)

    def put(self, table: Table | type, rows: Iterable[dict[str, Any]]) -> int:
        target = table if isinstance(table, Table) else table.__table__  # type: ignore[attr-defined]
        count = 0
        for batch in _chunks(rows):
            self.session.execute(insert(target), batch)
            count += len(batch)
        self.rows[target.name] = self.rows.get(target.name, 0) + count
        return count

    def money(self, low: float, high: float) -> Decimal:
        return Decimal(str(round(self.rng.uniform(low, high), 2)))


def load_demo(
    session: Session, scale: str = "small", *, seed: int = 20261125, today: dt.date | None = None
) -> DemoSummary:
    """Fill an empty database with the demo enterprise at ``scale``; flushes, never commits."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}: use one of {', '.join(SCALES)}")
    if session.scalar(select(func.count()).select_from(Partner)):
        raise DemoAlreadyLoaded("the database already has partners")
    started = time.perf_counter()
    b = _Builder(session, SCALES[scale], random.Random(seed), today or dt.date.today())  # noqa: DTZ011
    partners = _parties(b)
    sites = _sites(b)
    items = _items(b)
    supplied = _source_list(b, items, partners["supplier"], sites)
    _inventory(b, items, sites)
    _sales(b, items, partners["customer"], sites)
    _forecast(b, supplied, partners["customer"], sites)
    _purchasing(b, supplied, partners["supplier"], sites)
    session.flush()
    _reset_sequences(session)
    return DemoSummary(scale, b.rows, time.perf_counter() - started)


def _company(b: _Builder, kind: str, used: set[str]) -> str:
    """A company name not used yet; past the word lists' reach, a numbered one."""
    for _ in range(20):
        name = f"{b.rng.choice(NAME_A)} {b.rng.choice(NAME_B[kind])} {b.rng.choice(NAME_C)}"
        if name not in used:
            break
    else:
        name = f"{name} ({len(used) + 1})"
    used.add(name)
    return name


def _parties(b: _Builder) -> dict[str, list[int]]:
    groups = [
        (1, "suppliers", "Every supplier"),
        (2, "customers", "Every customer"),
        (3, "strategic-suppliers", "Suppliers in collaborative planning, shown finer data"),
        (4, "key-accounts", "Customers whose demand is a trade secret"),
    ]
    b.put(PartnerGroup, ({"id": i, "name": n, "description": d} for i, n, d in groups))
    partners: list[dict[str, Any]] = []
    members: list[dict[str, int]] = []
    ids: dict[str, list[int]] = {"supplier": [], "customer": []}
    used: set[str] = set()
    pid = 0
    for kind, prefix, count in (
        ("supplier", "SUP", b.scale.suppliers),
        ("customer", "CUS", b.scale.customers),
    ):
        for n in range(1, count + 1):
            pid += 1
            # The last supplier also buys spare parts from us: a partner of both kinds.
            both = kind == "supplier" and n == count
            key_account = kind == "customer" and n % 4 == 2
            partners.append(
                {
                    "id": pid,
                    "code": f"{prefix}-{n:03d}" if count < 1000 else f"{prefix}-{n:04d}",
                    "name": _company(b, kind, used),
                    "kind": "both" if both else kind,
                    "status": "active",
                    "country": b.rng.choice(COUNTRIES),
                    "is_key_account": key_account,
                    "created_at": _at(b.today - dt.timedelta(days=b.rng.randint(200, 2000))),
                }
            )
            ids[kind].append(pid)
            members.append({"partner_id": pid, "group_id": 1 if kind == "supplier" else 2})
            if kind == "supplier" and n == 1:
                members.append({"partner_id": pid, "group_id": 3})
            if key_account:
                members.append({"partner_id": pid, "group_id": 4})
            if both:
                ids["customer"].append(pid)
                members.append({"partner_id": pid, "group_id": 2})
    b.put(Partner, partners)
    b.put(partner_group_member, members)
    _accounts(b, partners)
    return ids


def _accounts(b: _Builder, partners: list[dict[str, Any]]) -> None:
    password_hash = hash_password(DEMO_PASSWORD)
    code_id = {p["code"]: p["id"] for p in partners}
    sup1, sup2, cus1 = code_id[_code("SUP", 1, b)], code_id[_code("SUP", 2, b)], code_id[_code("CUS", 1, b)]
    now = _at(b.today, 8)
    people = [
        ("supplier.user@example.com", "Sam Supplier", False, None, [(sup1, "user")]),
        (
            "supplier.admin@example.com",
            "Alex Supplier-Admin",
            False,
            None,
            [(sup1, "partner_admin"), (sup2, "user")],
        ),
        ("customer.user@example.com", "Chris Customer", False, None, [(cus1, "user")]),
        ("policy.admin@example.com", "Pat Policy", True, "policy_admin", []),
        ("staff.viewer@example.com", "Val Viewer", True, "viewer", []),
        ("buyer@example.com", "Bo Buyer", True, "buyer", []),
    ]
    # One more user for each other partner, so partner lists look lived in.
    for p in partners:
        if p["id"] not in (sup1, cus1):
            person = f"{b.rng.choice(PRENAMES)} {b.rng.choice(SURNAMES)}"
            people.append(
                (f"user@{p['code'].lower()}.example.com", person, False, None, [(p["id"], "partner_admin")])
            )
    accounts, memberships = [], []
    for account_id, (email, name, is_staff, role, links) in enumerate(people, start=1):
        accounts.append(
            {
                "id": account_id,
                "email": email,
                "name": name,
                "password_hash": password_hash,
                "is_staff": is_staff,
                "staff_role": role,
                "active": True,
                "created_at": now,
            }
        )
        memberships.extend(
            {"account_id": account_id, "partner_id": pid, "role": r, "active": True, "created_at": now}
            for pid, r in links
        )
    b.put(Account, accounts)
    b.put(Membership, memberships)


def _code(prefix: str, n: int, b: _Builder) -> str:
    count = b.scale.suppliers if prefix == "SUP" else b.scale.customers
    return f"{prefix}-{n:03d}" if count < 1000 else f"{prefix}-{n:04d}"


def _sites(b: _Builder) -> list[dict[str, Any]]:
    sites = [
        {"id": i, "code": c, "name": n, "kind": k, "region": r, "country": co}
        for i, (c, n, k, r, co) in enumerate(SITES[: b.scale.sites], start=1)
    ]
    b.put(Site, sites)
    return sites


def _items(b: _Builder) -> list[dict[str, Any]]:
    n_finished = max(b.scale.items * 15 // 100, 6)
    n_components = b.scale.items * 45 // 100
    items: list[dict[str, Any]] = []
    for i in range(b.scale.items):
        item_id = i + 1
        if i < n_finished:
            label, code, uom = FINISHED[i % len(FINISHED)]
            size = b.rng.choice(SIZES)
            row = {
                "sku": f"FG-{code}{size}-{item_id:05d}",
                "name": f"{label} {code}-{size}",
                "kind": "finished",
                "uom": uom,
                "standard_cost": b.money(400, 9000),
            }
        elif i < n_finished + n_components:
            label, unit = b.rng.choice(COMPONENTS)
            size = b.rng.choice(SIZES)
            row = {
                "sku": f"CP-{item_id:06d}",
                "name": f"{label} {size} {unit}",
                "kind": "component",
                "uom": "EA",
                "standard_cost": b.money(4, 600),
            }
        else:
            label, uom = b.rng.choice(RAW)
            row = {
                "sku": f"RM-{item_id:06d}",
                "name": f"{label} lot grade {b.rng.randint(1, 9)}",
                "kind": "raw",
                "uom": uom,
                "standard_cost": b.money(0.5, 40),
            }
        items.append({"id": item_id, "cost_currency": "EUR", "active": True, **row})
    b.put(Item, items)
    finished = [it["id"] for it in items if it["kind"] == "finished"]
    parts = [it["id"] for it in items if it["kind"] != "finished"]
    bom = []
    for parent in finished:
        for component in b.rng.sample(parts, k=min(len(parts), b.rng.randint(4, 8))):
            bom.append(
                {
                    "parent_item_id": parent,
                    "component_item_id": component,
                    "qty_per": Decimal(b.rng.choice([1, 1, 1, 2, 4, 0.5, 2.5])),
                }
            )
    b.put(BomLine, bom)
    return items


def _source_list(
    b: _Builder, items: list[dict[str, Any]], suppliers: list[int], sites: list[dict[str, Any]]
) -> list[tuple[dict[str, Any], int, int]]:
    """Approved suppliers per purchased item; returns (item, supplier id, plant id) for primary sources."""
    plants = [s["id"] for s in sites if s["kind"] == "plant"]
    # The strategic supplier (SUP-001) carries a larger share of the catalogue.
    weights = [6 if n == 0 else 1 for n in range(len(suppliers))]
    entries, primary = [], []
    for item in items:
        if item["kind"] == "finished":
            continue
        chosen = b.rng.choices(suppliers, weights=weights, k=1)
        if b.rng.random() < 0.3:
            other = b.rng.choice(suppliers)
            if other != chosen[0]:
                chosen.append(other)
        plant = b.rng.choice(plants)
        shares = [Decimal(100)] if len(chosen) == 1 else [Decimal(70), Decimal(30)]
        for supplier_id, share in zip(chosen, shares, strict=True):
            entries.append(
                {
                    "item_id": item["id"],
                    "supplier_id": supplier_id,
                    "site_id": None,
                    "lead_time_days": b.rng.choice([7, 14, 21, 28, 42, 56]),
                    "share_pct": share,
                    "unit_price": (item["standard_cost"] * Decimal("0.8")).quantize(Decimal("0.01")),
                    "price_currency": "EUR",
                }
            )
        primary.append((item, chosen[0], plant))
    b.put(SourceListEntry, entries)
    return primary


def _inventory(b: _Builder, items: list[dict[str, Any]], sites: list[dict[str, Any]]) -> None:
    as_of = _at(b.today, 6)
    site_ids = [s["id"] for s in sites]

    def rows() -> Iterator[dict[str, Any]]:
        for item in items:
            for site_id in b.rng.sample(site_ids, k=b.rng.randint(1, 2)):
                usage = Decimal(b.rng.randint(0, 120))
                yield {
                    "item_id": item["id"],
                    "site_id": site_id,
                    "on_hand": Decimal(b.rng.choice([0, b.rng.randint(1, 80), b.rng.randint(50, 5000)])),
                    "allocated": Decimal(b.rng.randint(0, 300)),
                    "on_order": Decimal(b.rng.randint(0, 2000)),
                    "safety_stock": Decimal(b.rng.choice([0, 50, 100, 250, 500])),
                    "daily_usage": usage,
                    "as_of": as_of,
                }

    b.put(InventoryPosition, rows())


STATUS_FLOW = ["received", "confirmed", "in_production", "shipped", "delivered", "invoiced"]


def _sales(
    b: _Builder, items: list[dict[str, Any]], customers: list[int], sites: list[dict[str, Any]]
) -> None:
    finished = [it for it in items if it["kind"] == "finished"]
    spares = [it for it in items if it["kind"] == "component"][:200]
    warehouses = [s["id"] for s in sites if s["kind"] == "warehouse"]
    weights = [5 if n == 0 else 1 for n in range(len(customers))]
    orders, lines, events, shipments, ship_lines, invoices = [], [], [], [], [], []
    order_id = line_id = shipment_id = 0

    def flush() -> None:
        for table, rows in (
            (SalesOrder, orders),
            (SalesOrderLine, lines),
            (SalesOrderEvent, events),
            (Shipment, shipments),
            (ShipmentLine, ship_lines),
            (Invoice, invoices),
        ):
            b.put(table, rows)
            rows.clear()

    while line_id < b.scale.order_lines:
        order_id += 1
        customer = b.rng.choices(customers, weights=weights, k=1)[0]
        age = b.rng.randint(0, 364)
        ordered = b.today - dt.timedelta(days=age)
        stage = min(len(STATUS_FLOW) - 1, age // 12 + b.rng.randint(0, 1))
        status = "cancelled" if b.rng.random() < 0.02 else STATUS_FLOW[stage]
        total = Decimal(0)
        order_lines = []
        for n in range(1, min(b.rng.randint(1, 8), b.scale.order_lines - line_id) + 1):
            line_id += 1
            item = b.rng.choice(finished if b.rng.random() < 0.8 else spares)
            qty = Decimal(b.rng.randint(1, 40))
            price = (item["standard_cost"] * Decimal("1.35")).quantize(Decimal("0.01"))
            total += qty * price
            shipped = qty if status in ("shipped", "delivered", "invoiced") else Decimal(0)
            order_lines.append(
                {
                    "id": line_id,
                    "order_id": order_id,
                    "line_no": n,
                    "item_id": item["id"],
                    "qty": qty,
                    "unit_price": price,
                    "shipped_qty": shipped,
                    "promised_date": ordered + dt.timedelta(days=b.rng.randint(14, 60)),
                }
            )
        lines.extend(order_lines)
        site = b.rng.choice(warehouses)
        stamp = _at(ordered)
        orders.append(
            {
                "id": order_id,
                "number": f"SO-{order_id:07d}",
                "customer_id": customer,
                "customer_reference": f"PO-{b.rng.randint(10000, 99999)}",
                "site_id": site,
                "order_date": ordered,
                "requested_date": ordered + dt.timedelta(days=b.rng.randint(14, 45)),
                "status": status,
                "total_amount": total,
                "currency": "EUR",
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
        reached = STATUS_FLOW[: stage + 1] if status != "cancelled" else ["received", "cancelled"]
        events.extend(
            {"order_id": order_id, "status": s, "at": _at(ordered + dt.timedelta(days=3 * k), 10), "note": ""}
            for k, s in enumerate(reached)
        )
        if status in ("shipped", "delivered", "invoiced"):
            shipment_id += 1
            shipped_on = ordered + dt.timedelta(days=3 * STATUS_FLOW.index("shipped"))
            delivered = status != "shipped"
            shipments.append(
                {
                    "id": shipment_id,
                    "number": f"SH-{shipment_id:07d}",
                    "order_id": order_id,
                    "customer_id": customer,
                    "from_site_id": site,
                    "carrier": b.rng.choice(CARRIERS),
                    "tracking_number": f"{b.rng.randint(10**11, 10**12 - 1)}",
                    "status": "delivered" if delivered else "in_transit",
                    "shipped_at": _at(shipped_on, 15),
                    "eta": shipped_on + dt.timedelta(days=5),
                    "delivered_at": _at(shipped_on + dt.timedelta(days=5), 11) if delivered else None,
                }
            )
            ship_lines.extend(
                {"shipment_id": shipment_id, "order_line_id": ln["id"], "qty": ln["qty"]}
                for ln in order_lines
            )
        if status == "invoiced":
            issued = ordered + dt.timedelta(days=20)
            due = issued + dt.timedelta(days=30)
            paid = due < b.today and b.rng.random() < 0.85
            invoices.append(
                {
                    "number": f"INV-{order_id:07d}",
                    "customer_id": customer,
                    "order_id": order_id,
                    "issued_on": issued,
                    "due_on": due,
                    "amount": total,
                    "currency": "EUR",
                    "status": "paid" if paid else ("overdue" if due < b.today else "open"),
                    "paid_on": due - dt.timedelta(days=b.rng.randint(0, 10)) if paid else None,
                }
            )
        if len(lines) >= CHUNK:
            flush()
    flush()
    _service_requests(b, customers, order_id, spares)


def _service_requests(b: _Builder, customers: list[int], orders: int, spares: list[dict[str, Any]]) -> None:
    count = max(30, b.scale.order_lines // 50)
    requests, messages = [], []
    for n in range(1, count + 1):
        customer = customers[0] if n % 5 == 0 else b.rng.choice(customers)
        opened = _at(b.today - dt.timedelta(days=b.rng.randint(0, 180)), b.rng.randint(7, 17))
        requests.append(
            {
                "id": n,
                "number": f"SR-{n:06d}",
                "customer_id": customer,
                "order_id": None,
                "item_id": b.rng.choice(spares)["id"] if spares and b.rng.random() < 0.5 else None,
                "subject": b.rng.choice(SUBJECTS),
                "status": b.rng.choice(["open", "in_progress", "waiting_on_customer", "resolved", "closed"]),
                "priority": b.rng.choice(["low", "normal", "normal", "high"]),
                "opened_by_id": None,
                "created_at": opened,
                "updated_at": opened,
            }
        )
        messages.append(
            {
                "request_id": n,
                "author_id": None,
                "internal_only": False,
                "created_at": opened,
                "body": "Please see the details in the subject; photos attached to the order file.",
            }
        )
        if b.rng.random() < 0.6:
            messages.append(
                {
                    "request_id": n,
                    "author_id": None,
                    "internal_only": False,
                    "created_at": opened + dt.timedelta(hours=5),
                    "body": "Thank you, a service engineer is looking into it and will reply today.",
                }
            )
    b.put(ServiceRequest, requests)
    b.put(ServiceRequestMessage, messages)
    del orders


def _forecast(
    b: _Builder,
    supplied: list[tuple[dict[str, Any], int, int]],
    customers: list[int],
    sites: list[dict[str, Any]],
) -> None:
    start = monday(b.today)
    published = _at(start - dt.timedelta(days=3), 7)
    plans = [
        {
            "id": 1,
            "name": "Demand plan",
            "version": 1,
            "status": "superseded",
            "horizon_start": start - dt.timedelta(7),
            "weeks": b.scale.weeks,
            "frozen_until": None,
            "published_at": published - dt.timedelta(days=7),
            "created_at": published - dt.timedelta(days=8),
        },
        {
            "id": 2,
            "name": "Demand plan",
            "version": 2,
            "status": "published",
            "horizon_start": start,
            "weeks": b.scale.weeks,
            "frozen_until": start + dt.timedelta(days=13),
            "published_at": published,
            "created_at": published - dt.timedelta(days=1),
        },
    ]
    b.put(ForecastPlan, plans)
    del sites

    def rows() -> Iterator[dict[str, Any]]:
        for item, _supplier, plant in supplied:
            base = b.rng.randint(20, 800)
            driver = b.rng.choice(customers) if b.rng.random() < 0.6 else None
            channel = "" if driver else b.rng.choice(CHANNELS)
            for plan in plans:
                for week in range(b.scale.weeks):
                    qty = max(0, round(base * b.rng.uniform(0.7, 1.3) * (1.05 if plan["id"] == 2 else 1)))
                    yield {
                        "plan_id": plan["id"],
                        "item_id": item["id"],
                        "site_id": plant,
                        "week_start": plan["horizon_start"] + dt.timedelta(weeks=week),
                        "qty": Decimal(qty),
                        "customer_id": driver,
                        "channel": channel,
                    }

    b.put(ForecastBucket, rows())


def _purchasing(
    b: _Builder,
    supplied: list[tuple[dict[str, Any], int, int]],
    suppliers: list[int],
    sites: list[dict[str, Any]],
) -> None:
    by_supplier: dict[int, list[tuple[dict[str, Any], int]]] = {}
    for item, supplier, plant in supplied:
        by_supplier.setdefault(supplier, []).append((item, plant))
    del sites
    orders, lines = [], []
    po_id = line_id = 0
    for supplier in suppliers:
        catalogue = by_supplier.get(supplier, [])
        if not catalogue:
            continue
        for _ in range(max(4, len(catalogue) // 3)):
            po_id += 1
            age = b.rng.randint(0, 90)
            ordered = b.today - dt.timedelta(days=age)
            status = "open" if age < 10 else b.rng.choice(["acknowledged", "partially_shipped", "closed"])
            picks = b.rng.sample(catalogue, k=min(len(catalogue), b.rng.randint(1, 5)))
            stamp = _at(ordered)
            orders.append(
                {
                    "id": po_id,
                    "number": f"PO-{po_id:07d}",
                    "supplier_id": supplier,
                    "site_id": picks[0][1],
                    "buyer_id": None,
                    "order_date": ordered,
                    "status": status,
                    "currency": "EUR",
                    "revision": 1,
                    "created_at": stamp,
                    "updated_at": stamp,
                }
            )
            for n, (item, _plant) in enumerate(picks, start=1):
                line_id += 1
                qty = Decimal(b.rng.choice([50, 100, 200, 500, 1000]))
                line_status = {"open": "open", "closed": "closed"}.get(status, "accepted")
                shipped = (
                    qty if status == "closed" else (qty / 2 if status == "partially_shipped" else Decimal(0))
                )
                lines.append(
                    {
                        "id": line_id,
                        "order_id": po_id,
                        "line_no": n,
                        "item_id": item["id"],
                        "qty": qty,
                        "unit_price": (item["standard_cost"] * Decimal("0.8")).quantize(Decimal("0.01")),
                        "need_by": ordered + dt.timedelta(days=b.rng.choice([14, 21, 28, 42])),
                        "status": line_status,
                        "shipped_qty": shipped,
                        "received_qty": shipped if status == "closed" else Decimal(0),
                        "version": 1,
                    }
                )
    b.put(PurchaseOrder, orders)
    b.put(PurchaseOrderLine, lines)
    _answers(b, by_supplier.get(suppliers[0], []), suppliers[0], lines, orders)


def _answers(
    b: _Builder,
    catalogue: list[tuple[dict[str, Any], int]],
    supplier: int,
    po_lines: list[dict[str, Any]],
    orders: list[dict[str, Any]],
) -> None:
    """A little history from the strategic supplier: some forecast commits and one ship notice."""
    start = monday(b.today)
    commits = []
    for item, plant in catalogue[:5]:
        for week in range(2, 6):
            forecast = Decimal(b.rng.randint(100, 600))
            committed = forecast if week != 4 else (forecast * Decimal("0.7")).quantize(Decimal(1))
            commits.append(
                {
                    "plan_id": 2,
                    "supplier_id": supplier,
                    "item_id": item["id"],
                    "site_id": plant,
                    "week_start": start + dt.timedelta(weeks=week),
                    "committed_qty": committed,
                    "forecast_qty": forecast,
                    "status": "ok" if committed == forecast else "shortfall",
                    "comment": "" if committed == forecast else "Furnace maintenance that week",
                    "account_id": 1,
                    "revision": 1,
                    "created_at": _at(b.today, 8),
                    "updated_at": _at(b.today, 8),
                }
            )
    b.put(ForecastCommit, commits)
    shipping = {
        o["id"] for o in orders if o["supplier_id"] == supplier and o["status"] == "partially_shipped"
    }
    notice_lines = [ln for ln in po_lines if ln["order_id"] in shipping][:3]
    if notice_lines:
        shipped = b.today - dt.timedelta(days=2)
        b.put(
            ShipNotice,
            [
                {
                    "id": 1,
                    "number": "ASN-0000001",
                    "supplier_id": supplier,
                    "ship_date": shipped,
                    "expected_arrival": shipped + dt.timedelta(days=6),
                    "carrier": b.rng.choice(CARRIERS),
                    "tracking_number": f"{b.rng.randint(10**11, 10**12 - 1)}",
                    "status": "in_transit",
                    "created_by_id": 1,
                    "created_at": _at(shipped, 16),
                }
            ],
        )
        b.put(
            ShipNoticeLine,
            ({"notice_id": 1, "po_line_id": ln["id"], "qty": ln["shipped_qty"]} for ln in notice_lines),
        )


def _reset_sequences(session: Session) -> None:
    """Ids were assigned here: move PostgreSQL's sequences past them so later inserts do not collide."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in Partner.metadata.sorted_tables:
        if "id" in table.c and table.c.id.primary_key:
            session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608 - names from metadata
                    f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                )
            )
