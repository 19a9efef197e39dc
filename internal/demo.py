"""A deterministic demo enterprise: an industrial pump and valve maker, its suppliers and its customers.

Everything comes from one seeded PRNG, so the same seed and the same ``today`` give the same
enterprise. Rows go in through bulk Core inserts with ids assigned here, so children never wait for
their parents and no ORM object is built per row; the large scale loads a million order lines.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
import time
from bisect import bisect
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Table, bindparam, case, func, insert, select, text, update
from sqlalchemy.orm import Session

from internal.api_clients import digest, scopes_for
from internal.models import (
    Account,
    ApiClient,
    Base,
    BomLine,
    Consumption,
    ForecastBucket,
    ForecastCommit,
    ForecastPlan,
    InventoryPosition,
    Invoice,
    Item,
    ItemKind,
    Membership,
    Partner,
    PartnerGroup,
    PartnerKind,
    PartnerStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderLineResponse,
    SalesOrder,
    SalesOrderEvent,
    SalesOrderLine,
    ServiceRequest,
    ServiceRequestMessage,
    Shipment,
    ShipmentLine,
    ShipNotice,
    ShipNoticeLine,
    ShipToSite,
    Site,
    SourceListEntry,
    partner_group_member,
)
from internal.passwords import hash_password
from internal.planning import classify, supplier_share

DEMO_PASSWORD = "demo-password"  # noqa: S105 - the published password of the demo sign-ins
#: Rows per bulk INSERT: large enough to amortise the round trip, small enough to stream.
CHUNK = 20_000


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    description: str
    #: Where to sign in: "extranet" (partners) or "console" (staff).
    app: str


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin(
        "supplier.user@example.com",
        DEMO_PASSWORD,
        "user at SUP-001, the strategic supplier",
        "extranet",
    ),
    DemoLogin(
        "supplier.admin@example.com",
        DEMO_PASSWORD,
        "partner admin at SUP-001 and user at SUP-002 (switches partner)",
        "extranet",
    ),
    DemoLogin("customer.user@example.com", DEMO_PASSWORD, "user at customer CUS-001", "extranet"),
    DemoLogin("policy.admin@example.com", DEMO_PASSWORD, "staff, policy admin", "console"),
    DemoLogin("staff.viewer@example.com", DEMO_PASSWORD, "staff, read-only viewer", "console"),
    DemoLogin("buyer@example.com", DEMO_PASSWORD, "staff, buyer", "console"),
    DemoLogin(
        "planner@example.com",
        DEMO_PASSWORD,
        "staff, planner: copies, changes and publishes the plan",
        "console",
    ),
)


@dataclass(frozen=True)
class DemoApiClient:
    """A published API client of a demo partner, like the demo sign-ins' password."""

    partner_code: str
    client_id: str
    secret: str
    #: The demo sign-in that owns it: API writes act as this account.
    owner_email: str


DEMO_API_CLIENTS: tuple[DemoApiClient, ...] = (
    DemoApiClient("SUP-001", "demo-sup-001", "demo-api-secret-sup-001", "supplier.admin@example.com"),
    DemoApiClient("SUP-002", "demo-sup-002", "demo-api-secret-sup-002", "supplier.admin@example.com"),
    DemoApiClient("CUS-001", "demo-cus-001", "demo-api-secret-cus-001", "customer.user@example.com"),
)


class DemoAlreadyLoaded(Exception):
    """The database already holds partners (or the demo accounts); the demo loads only into an empty one."""


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`load_demo` wrote, and how long it took."""

    scale: str
    seed: int
    partners: int
    accounts: int
    sites: int
    items: int
    bom_lines: int
    source_list_entries: int
    inventory_positions: int
    sales_orders: int
    sales_order_lines: int
    shipments: int
    invoices: int
    service_requests: int
    forecast_plans: int
    forecast_buckets: int
    purchase_orders: int
    purchase_order_lines: int
    forecast_commits: int
    ship_notices: int
    #: Rows written per table, including the ones not named above.
    rows: dict[str, int]
    elapsed_seconds: float

    def counts(self) -> dict[str, int]:
        """The headline counts by name, in a stable order (for printing)."""
        skip = {"scale", "seed", "rows", "elapsed_seconds"}
        return {k: v for k, v in vars(self).items() if k not in skip}

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


@dataclass(frozen=True)
class Scale:
    suppliers: int
    customers: int
    items: int
    order_lines: int
    weeks: int
    sites: int


SCALES = {
    "small": Scale(suppliers=12, customers=9, items=300, order_lines=5_000, weeks=26, sites=6),
    "large": Scale(suppliers=600, customers=450, items=50_000, order_lines=1_000_000, weeks=52, sites=12),
}

# --- Word lists --------------------------------------------------------------------------------

#: code, name, kind, region, country. The first six are the small demo; plants then warehouses alternate.
SITES = (
    ("SH01", "Shanghai Pump Plant", "plant", "East China", "CN"),
    ("DO01", "Dortmund Valve Plant", "plant", "EMEA", "DE"),
    ("HO01", "Houston Assembly Plant", "plant", "Americas", "US"),
    ("SZ02", "Suzhou Distribution Centre", "warehouse", "East China", "CN"),
    ("RT02", "Rotterdam Distribution Centre", "warehouse", "EMEA", "NL"),
    ("MT02", "Monterrey Distribution Centre", "warehouse", "Americas", "MX"),
    ("PU01", "Pune Casting Finishing Plant", "plant", "South Asia", "IN"),
    ("CH02", "Chennai Warehouse", "warehouse", "South Asia", "IN"),
    ("BR01", "Brno Machining Plant", "plant", "EMEA", "CZ"),
    ("SP02", "Sao Paulo Warehouse", "warehouse", "Americas", "BR"),
    ("TJ01", "Tianjin Motor Pump Plant", "plant", "North China", "CN"),
    ("BJ02", "Beijing Warehouse", "warehouse", "North China", "CN"),
)
#: Which regions serve a country, nearest first.
COUNTRY_REGIONS = {
    "CN": ("East China", "North China"),
    "JP": ("East China", "North China"),
    "KR": ("North China", "East China"),
    "IN": ("South Asia", "EMEA"),
    "DE": ("EMEA",),
    "NL": ("EMEA",),
    "IT": ("EMEA",),
    "CZ": ("EMEA",),
    "PL": ("EMEA",),
    "US": ("Americas",),
    "MX": ("Americas",),
    "BR": ("Americas",),
}
#: Country: (place-like name roots, legal-form suffixes).
FIRM_WORDS = {
    "DE": (
        ("Rheinland", "Hansa", "Ruhrtal", "Weserland", "Isartal", "Elbtal", "Schwaben", "Sauerland", "Harz"),
        ("GmbH", "AG", "GmbH & Co. KG"),
    ),
    "CN": (
        ("Jiangnan", "Huaxin", "Yongli", "Dongfang", "Hengtai", "Zhongding", "Taihu", "Jinlong", "Haitian"),
        ("Co., Ltd.",),
    ),
    "US": (
        ("Lone Star", "Great Lakes", "Keystone", "Ridgeway", "Cascade", "Liberty", "Bayou", "Prairie"),
        ("Inc.", "LLC", "Corp."),
    ),
    "NL": (("Delta", "Oranje", "Noordzee", "Zeeland", "IJssel"), ("B.V.",)),
    "IT": (("Adriatica", "Lombarda", "Dolomiti", "Padana", "Tirrena"), ("S.p.A.", "S.r.l.")),
    "IN": (("Deccan", "Sahyadri", "Narmada", "Kaveri", "Vindhya"), ("Pvt. Ltd.", "Ltd.")),
    "CZ": (("Morava", "Vltava", "Bohemia", "Krkonose"), ("s.r.o.", "a.s.")),
    "MX": (("Sierra Madre", "Azteca", "Bajio", "Sonora"), ("S.A. de C.V.",)),
    "BR": (("Paulista", "Guanabara", "Serra Gaucha", "Mineira"), ("Ltda.", "S.A.")),
    "PL": (("Mazovia", "Baltyk", "Silesia", "Warta"), ("Sp. z o.o.", "S.A.")),
    "JP": (("Sakura", "Fujimi", "Kanto", "Setouchi"), ("K.K.", "Co., Ltd.")),
    "KR": (("Hanil", "Daesung", "Samhwa", "Hanbit"), ("Co., Ltd.",)),
}
FIRM_MIDDLE = ("", "", "", "", "Industrial", "International", "Group", "Works")
SUPPLIER_COUNTRIES = (
    ("CN",) * 4 + ("DE",) * 3 + ("US", "US", "IN", "IN", "IT", "CZ", "PL", "MX", "NL", "JP", "KR")
)
CUSTOMER_COUNTRIES = ("CN",) * 3 + ("US",) * 3 + ("DE", "DE", "NL", "IT", "IN", "MX", "BR", "PL", "KR", "JP")
#: Supplier trades, with the words their names use. SUP-001 is a foundry, SUP-002 a machine shop.
TRADES = {
    "castings": ("Castings", "Foundry"),
    "machining": ("Precision Machining", "Machine Works"),
    "seals": ("Sealing Systems", "Seals"),
    "motors": ("Electric Motors", "Drives"),
    "bearings": ("Bearings", "Bearing Technology"),
    "electronics": ("Electronics", "Controls"),
    "fasteners": ("Fasteners", "Bolt & Nut"),
    "steel": ("Steel", "Metals"),
    "polymers": ("Polymers", "Rubber"),
    "coatings": ("Coatings", "Chemicals"),
    "packaging": ("Packaging", "Crating"),
}
INDUSTRIES = (
    "Water Utilities",
    "Chemicals",
    "Mining",
    "Refining",
    "Building Services",
    "Irrigation",
    "Municipal Works",
    "Food Processing",
    "Power",
    "Shipbuilding",
    "Paper Mills",
    "Desalination",
    "Pharma",
    "HVAC Contractors",
    "Pump Distribution",
    "Fire Protection",
)
FIRST_NAMES = (
    "Li", "Anna", "Marco", "Priya", "Jonas", "Mei", "Carlos", "Sofia", "Wei", "Lukas", "Aisha", "Tom",
    "Yuki", "Pavel", "Joanna", "Rafael", "Min-jun", "Elena", "Hao", "Sanjay",
)  # fmt: skip
LAST_NAMES = (
    "Wang", "Schmidt", "Rossi", "Sharma", "Berg", "Chen", "Garcia", "Novak", "Zhang", "Meyer",
    "Tanaka", "Kowalski", "Silva", "Kim", "Liu", "Patel", "de Vries", "Hernandez",
)  # fmt: skip
CARRIERS = {
    "EMEA": ("DHL Freight", "DB Schenker", "Kuehne+Nagel"),
    "Americas": ("UPS Supply Chain", "FedEx Freight", "XPO Logistics"),
    "East China": ("SF Express", "Deppon Logistics", "COSCO Logistics"),
    "North China": ("SF Express", "JD Logistics"),
    "South Asia": ("Blue Dart", "Gati"),
}
#: A customer's own delivery sites: CUS-001 has three, key accounts two, everyone else one.
CUSTOMER_SITES = (("MAIN", "Main plant"), ("NORTH", "North works"), ("SERVICE", "Service depot"))
MM = tuple(f"{n} mm" for n in (125, 160, 200, 250, 315, 400))
DN = tuple(f"DN{n}" for n in (32, 40, 50, 65, 80, 100, 125, 150, 200, 250, 300))
SHAFT = tuple(f"D{n} mm" for n in (24, 32, 42, 55, 65))
KW = tuple(f"{n} kW" for n in (1.5, 2.2, 4, 5.5, 7.5, 11, 15, 22, 37, 55, 75))


@dataclass(frozen=True)
class Part:
    """A kind of purchased (or made) component or raw material, and how it is named and used."""

    label: str
    sizes: tuple[str, ...]
    specs: tuple[str, ...]
    trade: str
    uom: str
    cost: tuple[float, float]
    #: Which finished goods use it: "pump", "valve" or "any".
    use: str
    #: Also sold to customers as a spare part.
    spare: bool = False
    #: Chance that an item of this part is made in-house from raw material (so not purchased).
    in_house: float = 0.0
    qty_per: tuple[float, ...] = (1,)


COMPONENTS = (
    Part("Ductile iron impeller", MM, ("closed, 5 vanes", "closed, 6 vanes", "semi-open"), "castings", "EA",
         (45, 420), "pump", spare=True),
    Part("Bronze impeller", MM[:4], ("closed, 5 vanes", "closed, 7 vanes"), "castings", "EA", (80, 600),
         "pump", spare=True),
    Part("Volute casing", DN[:8], ("EN-GJL-250", "EN-GJS-400-15"), "castings", "EA", (120, 1400), "pump"),
    Part("Valve body", DN[2:], ("EN-GJS-400-15", "1.4408 stainless", "WCB cast steel"), "castings", "EA",
         (90, 1800), "valve"),
    Part("Bearing housing", MM[:4], ("EN-GJL-250",), "castings", "EA", (60, 380), "pump", in_house=0.1),
    Part("Pump shaft", SHAFT, ("1.4021", "1.4462 duplex"), "machining", "EA", (35, 260), "pump",
         spare=True, in_house=0.5),
    Part("Valve stem", SHAFT[:4], ("1.4021", "17-4PH"), "machining", "EA", (18, 140), "valve",
         spare=True, in_house=0.5),
    Part("Wear ring", MM, ("bronze CuSn12", "1.4408"), "machining", "EA", (12, 95), "pump", spare=True,
         in_house=0.4, qty_per=(1, 2)),
    Part("Shaft sleeve", SHAFT, ("1.4462 duplex", "hard chromed"), "machining", "EA", (15, 110), "pump",
         spare=True, in_house=0.4),
    Part("Flexible coupling", SHAFT, ("jaw type", "disc type"), "machining", "EA", (40, 320), "pump"),
    Part("Mechanical seal", SHAFT[:4], ("SiC/SiC, EPDM", "carbon/SiC, FKM", "cartridge, double"), "seals",
         "EA", (60, 900), "pump", spare=True),
    Part("Gasket set", DN, ("graphite", "PTFE", "aramid fibre"), "seals", "EA", (4, 60), "any", spare=True),
    Part("O-ring kit", DN, ("EPDM", "FKM", "NBR"), "seals", "EA", (3, 35), "any", spare=True),
    Part("Gland packing", ("8 mm", "10 mm", "12 mm"), ("PTFE/graphite",), "seals", "EA", (6, 45), "valve",
         spare=True),
    Part("IE3 motor 4-pole", KW, ("B3 foot mount", "B5 flange"), "motors", "EA", (180, 4800), "pump"),
    Part("Electric actuator", ("60 Nm", "120 Nm", "250 Nm", "500 Nm"), ("24 V DC", "230 V AC", "400 V AC"),
         "motors", "EA", (320, 2400), "valve"),
    Part("Deep groove ball bearing", ("6306-2Z", "6308-2Z", "6310-2Z", "6312-C3", "6314-C3"), ("",),
         "bearings", "EA", (8, 95), "pump", spare=True, qty_per=(2,)),
    Part("Angular contact bearing", ("7308 BE", "7310 BE", "7312 BE"), ("paired",), "bearings", "EA",
         (40, 260), "pump", spare=True),
    Part("Frequency converter", KW, ("IP55", "IP66"), "electronics", "EA", (350, 5200), "pump"),
    Part("Pump controller board", ("rev C", "rev D", "rev E"), ("",), "electronics", "EA", (45, 320), "pump",
         spare=True),
    Part("Pressure transmitter", ("0-10 bar", "0-16 bar", "0-25 bar"), ("4-20 mA", "HART"), "electronics",
         "EA", (90, 420), "any", spare=True),
    Part("Hex bolt", ("M12x40", "M16x60", "M20x80", "M24x100"), ("A4-70", "8.8 zinc flake"), "fasteners",
         "EA", (0.3, 4.5), "any", qty_per=(4, 8, 12, 16)),
    Part("Stud bolt set", ("M16", "M20", "M24"), ("B7/2H",), "fasteners", "EA", (6, 40), "valve"),
)  # fmt: skip
RAW = (
    Part("Stainless steel bar 1.4404", ("D20 mm", "D40 mm", "D60 mm", "D80 mm"), ("cold drawn", "peeled"),
         "steel", "KG", (5.5, 9.0), "any", qty_per=(0.8, 2.5, 4)),
    Part("Duplex steel bar 1.4462", ("D30 mm", "D50 mm", "D70 mm"), ("solution annealed",), "steel", "KG",
         (8, 14), "any", qty_per=(1.2, 3)),
    Part("Carbon steel plate S355", ("8 mm", "12 mm", "20 mm"), ("hot rolled", "shot blasted, primed"),
         "steel", "KG", (1.1, 2.2), "any", qty_per=(5, 12)),
    Part("Bronze bar CuSn12", ("D40 mm", "D80 mm", "D120 mm"), ("continuous cast",), "steel", "KG",
         (9, 16), "pump", qty_per=(0.6, 1.5)),
    Part("Welding wire ER316L", ("1.0 mm", "1.2 mm"), ("15 kg spool", "5 kg spool"), "steel", "KG",
         (11, 18), "any", qty_per=(0.05, 0.1)),
    Part("EPDM rubber sheet", ("2 mm", "3 mm", "5 mm"), ("1.2 m roll", "1.5 m roll"), "polymers", "M",
         (6, 22), "any", qty_per=(0.2, 0.5)),
    Part("PTFE sheet", ("1.5 mm", "3 mm"), ("virgin", "25% glass filled"), "polymers", "M", (18, 45), "any",
         qty_per=(0.1, 0.3)),
    Part("Epoxy primer", ("RAL 5015", "RAL 5002", "RAL 7035", "RAL 3000"), ("20 L pail", "5 L can"),
         "coatings", "L", (9, 21), "any", qty_per=(0.5, 1, 2)),
    Part("Polyurethane topcoat", ("RAL 5015", "RAL 7035"), ("20 L pail", "5 L can"), "coatings", "L",
         (14, 30), "any", qty_per=(0.5, 1)),
    Part("Hydraulic oil ISO VG 46", ("",), ("208 L drum", "1000 L IBC"), "coatings", "L", (2.5, 5), "pump",
         qty_per=(0.5, 2)),
    Part("Export crate", ("800x600", "1200x800", "1600x1000"), ("heat treated ISPM 15", "plywood"),
         "packaging", "EA", (18, 95), "any"),
    Part("Stretch film", ("23 micron",), ("500 mm roll", "hand roll"), "packaging", "M", (0.05, 0.12), "any",
         qty_per=(5, 10)),
)  # fmt: skip
#: Finished families: label, series code, "pump" or "valve".
FAMILIES = (
    ("Centrifugal pump", "CPN", "pump"),
    ("End-suction pump", "ESN", "pump"),
    ("Vertical multistage pump", "VMS", "pump"),
    ("Submersible drainage pump", "SDP", "pump"),
    ("Booster set", "BST", "pump"),
    ("Dosing pump", "DPX", "pump"),
    ("Gate valve", "GV", "valve"),
    ("Butterfly valve", "BFV", "valve"),
    ("Ball valve", "BV", "valve"),
    ("Swing check valve", "SCV", "valve"),
    ("Globe valve", "GLV", "valve"),
)
LEAD_TIMES = {
    "castings": (35, 70),
    "machining": (21, 42),
    "seals": (14, 28),
    "motors": (28, 56),
    "bearings": (14, 35),
    "electronics": (42, 84),
    "fasteners": (7, 14),
    "steel": (14, 35),
    "polymers": (14, 28),
    "coatings": (7, 21),
    "packaging": (5, 10),
}
ORDER_FLOW = ("received", "confirmed", "in_production", "shipped", "delivered", "invoiced")
#: Days from the previous step to this one, low and high.
ORDER_STEP_DAYS = ((0, 0), (1, 2), (2, 8), (5, 20), (2, 9), (0, 3))
CHANNELS = ("distribution", "retail", "spares")
#: Service topics: subject, priority, and the conversation as (who, text); "note" is staff-only.
SERVICE_TOPICS = (
    ("Mechanical seal leaking after commissioning", "high", (
        ("customer", "The pump on line 3 has leaked at the mechanical seal since commissioning last week. "
                     "Can you send a technician?"),
        ("staff", "Thank you for reporting this. Please send the serial number and a photo of the seal "
                  "area; we will check whether a replacement seal can ship from stock."),
        ("note", "Probably dry-run damage at start-up; ask site whether the pump was primed."),
        ("customer", "Serial number and photos attached. The leak is about one drop per second."),
        ("staff", "A replacement seal has shipped today and our technician will fit it on Thursday."),
    )),
    ("Request for pump performance curve", "low", (
        ("customer", "Please send the performance curve and NPSH data for the pumps on our order."),
        ("staff", "The curves are attached, tested at 50 Hz with water at 20 degrees C."),
    )),
    ("Delivery arrived with damaged crate", "normal", (
        ("customer", "One crate arrived with a broken corner; the flange cover is missing."),
        ("staff", "Sorry about that. Please keep the packaging for the carrier's inspection."),
        ("note", "Claim opened with the carrier; pump likely fine, flange to be checked on site."),
        ("staff", "The carrier accepted the claim; a new flange cover is on its way."),
    )),
    ("Quotation for spare parts kit", "normal", (
        ("customer", "We need a two-year spare parts kit for the booster sets in building B."),
        ("staff", "Our quotation for the recommended kit (seals, bearings, wear rings) is attached."),
        ("customer", "Thanks, we will raise a purchase order next week."),
    )),
    ("Vibration above limit on booster set", "high", (
        ("customer", "Vibration on pump 2 of the booster set reads 7.1 mm/s, above the 4.5 mm/s limit."),
        ("staff", "Please check the coupling alignment first; our engineer can visit on Monday if needed."),
        ("note", "Same site had a soft-foot issue last year."),
        ("customer", "Alignment was off by 0.4 mm; after correction vibration is 2.8 mm/s."),
    )),
    ("Invoice amount does not match the order", "normal", (
        ("customer", "The invoice total is higher than our purchase order; freight was agreed as included."),
        ("staff", "You are right, freight was charged by mistake. A credit note follows this week."),
    )),
    ("Missing material test certificate 3.1", "normal", (
        ("customer", "The EN 10204 3.1 certificates for the valve bodies were not in the delivery."),
        ("staff", "The certificates are attached; we will add them to the shipping papers in future."),
    )),
    ("Change of delivery address", "low", (
        ("customer", "Please deliver the open order to our new warehouse; the address is in the attachment."),
        ("staff", "Done, the delivery address on the open order has been changed."),
    )),
)  # fmt: skip
COMMIT_COMMENTS = {
    "ok": "",
    "shortfall": "Furnace relining that week; the balance follows the week after.",
    "surplus": "Can deliver ahead of plan from stock.",
}
CENT = Decimal("0.01")
MILLI = Decimal("0.001")


def monday(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week."""
    return day - dt.timedelta(days=day.weekday())


def load_demo(
    session: Session, scale: str = "small", *, seed: int = 20261125, today: dt.date | None = None
) -> DemoSummary:
    """Fill an empty database with the demo enterprise at ``scale`` ("small" or "large").

    The same ``seed`` and ``today`` (default: the current date, used only to anchor dates) give the
    same data. Raises :class:`DemoAlreadyLoaded` when any partner or demo account exists. Flushes,
    never commits: the caller commits.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown demo scale {scale!r}: use one of {', '.join(SCALES)}")
    if session.scalar(select(func.count()).select_from(Partner)):
        raise DemoAlreadyLoaded("the database already has partners")
    emails = [login.email for login in DEMO_LOGINS]
    if session.scalar(select(func.count()).select_from(Account).where(Account.email.in_(emails))):
        raise DemoAlreadyLoaded("the demo accounts already exist")
    started = time.perf_counter()
    demo = _Demo(session, SCALES[scale], random.Random(seed), today or dt.date.today())  # noqa: DTZ011
    demo.build()
    session.flush()
    rows = demo.rows
    return DemoSummary(
        scale=scale,
        seed=seed,
        partners=rows.get("partner", 0),
        accounts=rows.get("account", 0),
        sites=rows.get("site", 0),
        items=rows.get("item", 0),
        bom_lines=rows.get("bom_line", 0),
        source_list_entries=rows.get("source_list_entry", 0),
        inventory_positions=rows.get("inventory_position", 0),
        sales_orders=rows.get("sales_order", 0),
        sales_order_lines=rows.get("sales_order_line", 0),
        shipments=rows.get("shipment", 0),
        invoices=rows.get("invoice", 0),
        service_requests=rows.get("service_request", 0),
        forecast_plans=rows.get("forecast_plan", 0),
        forecast_buckets=rows.get("forecast_bucket", 0),
        purchase_orders=rows.get("purchase_order", 0),
        purchase_order_lines=rows.get("purchase_order_line", 0),
        forecast_commits=rows.get("forecast_commit", 0),
        ship_notices=rows.get("ship_notice", 0),
        rows=dict(rows),
        elapsed_seconds=round(time.perf_counter() - started, 3),
    )


def _at(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)


def _money(value: float) -> Decimal:
    return Decimal(round(value * 100)).scaleb(-2)


def _pick(rng: random.Random, population: list[Any], cum_weights: list[float]) -> Any:
    """One element by cumulative weights, as ``random.choices`` does, without its per-call checks."""
    return population[bisect(cum_weights, rng.random() * cum_weights[-1], 0, len(population) - 1)]


def _default(table: Table, name: str) -> Any:
    """The Python-side default of ``table.name``: a constant, or a function of no context (e.g. now)."""
    default = table.c[name].default
    if default is None:
        return None
    if default.is_scalar:
        return default.arg  # type: ignore[attr-defined]
    if default.is_callable:
        return default.arg(None)  # type: ignore[attr-defined]
    raise ValueError(f"{table.name}.{name} has a default the demo cannot compute; give it a value")


def _chunks(rows: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    it = iter(rows)
    while batch := list(itertools.islice(it, CHUNK)):
        yield batch


@dataclass
class _Item:
    id: int
    kind: str
    uom: str
    cost: Decimal
    part: Part | None
    #: "pump" or "valve" for finished goods, the part's use otherwise.
    use: str
    purchased: bool
    sold: bool
    plant: int


@dataclass
class _Source:
    item: _Item
    supplier: int
    lead_time: int
    price: Decimal
    share: Decimal


@dataclass
class _Partner:
    id: int
    code: str
    kind: str
    country: str
    trade: str
    key_account: bool
    contact: int = 0


class _Demo:
    """Builds the enterprise table by table; ids are assigned here, offset past any existing rows."""

    def __init__(self, session: Session, scale: Scale, rng: random.Random, today: dt.date) -> None:
        self.session = session
        self.scale = scale
        self.rng = rng
        self.today = today
        self.rows: dict[str, int] = {}
        self.base = self._id_bases()
        self.suppliers: list[_Partner] = []
        self.customers: list[_Partner] = []
        self.sites: list[dict[str, Any]] = []
        self.items: list[_Item] = []
        self.sources: list[_Source] = []
        self.staff: dict[str, int] = {}
        self.plants: list[dict[str, Any]] = []
        self.warehouses: list[dict[str, Any]] = []
        self.site_region: dict[int, str] = {}
        self.by_code: dict[str, _Partner] = {}
        #: Customer id to its latest order ids, for service requests about an order.
        self.recent_orders: dict[int, list[int]] = {}
        #: Item id to the supplier that commits to it, and the published plan's quantity per week.
        self.commit_items: dict[int, int] = {}
        self.published_qty: dict[tuple[int, dt.date], Decimal] = {}

    # -- plumbing ----------------------------------------------------------------------------------

    def _id_bases(self) -> dict[str, int]:
        """Highest id per table, so assigned ids never collide with accounts or sites made earlier."""
        bases = {}
        for table in Base.metadata.sorted_tables:
            if "id" in table.c and table.c.id.primary_key:
                bases[table.name] = self.session.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0
        return bases

    def put(self, target: Table | type[Base], rows: Iterable[dict[str, Any]]) -> int:
        """Insert ``rows`` (dicts with the same keys) in bulk.

        On SQLite, millions of rows spent more time in SQLAlchemy's per-row parameter handling than in
        the inserts, so the statement is compiled once and each value goes through its column type's own
        bind processor (dates, UTC timestamps, enums, Decimals) in one loop, straight to the driver.
        PostgreSQL keeps SQLAlchemy's executemany, which sends many rows per INSERT.
        """
        table: Table = target if isinstance(target, Table) else target.__table__  # type: ignore[assignment]
        connection = self.session.connection()
        dialect = connection.dialect
        count = 0
        sql, names, processors, defaults = "", [], [], {}
        for batch in _chunks(rows):
            if dialect.name != "sqlite":
                self.session.execute(insert(table), batch)
            else:
                if not sql:
                    compiled = (
                        insert(table).values({n: bindparam(n) for n in batch[0]}).compile(dialect=dialect)
                    )
                    sql, names = str(compiled), list(compiled.positiontup or ())
                    processors = [
                        table.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names
                    ]
                    # Columns the rows leave out take their Python-side default, as SQLAlchemy gives them.
                    defaults = {n: _default(table, n) for n in names if n not in batch[0]}
                if defaults:
                    batch = [{**defaults, **row} for row in batch]
                converted = [
                    tuple(row[n] if p is None else p(row[n]) for n, p in zip(names, processors, strict=True))
                    for row in batch
                ]
                connection.exec_driver_sql(sql, converted)
            count += len(batch)
        self.rows[table.name] = self.rows.get(table.name, 0) + count
        return count

    def next_id(self, table: str) -> int:
        """The id after the rows already put in ``table`` (for a step adding to another step's table)."""
        return self.base.get(table, 0) + self.rows.get(table, 0) + 1

    def counter(self, table: str) -> Callable[[], int]:
        """The next free id in ``table``, one call per row."""
        return itertools.count(self.base.get(table, 0) + 1).__next__

    def build(self) -> None:
        self.build_sites()
        self.build_partners()
        self.build_accounts()
        self.build_items()
        self.build_sources()
        self.build_inventory()
        self.build_sales()
        self.build_service_requests()
        self.build_customer_service()
        plan = self.build_forecast()
        self.build_purchasing(plan)
        self.build_consumption()
        self.build_api_clients()
        self.reset_sequences()

    # -- parties -----------------------------------------------------------------------------------

    def build_sites(self) -> None:
        next_id = self.counter("site")
        self.sites = [
            {"id": next_id(), "code": c, "name": n, "kind": k, "region": r, "country": co}
            for c, n, k, r, co in SITES[: self.scale.sites]
        ]
        self.put(Site, self.sites)
        self.plants = [s for s in self.sites if s["kind"] == "plant"]
        self.warehouses = [s for s in self.sites if s["kind"] == "warehouse"]
        self.site_region = {s["id"]: s["region"] for s in self.sites}

    def home_site(self, country: str, sites: list[dict[str, Any]]) -> dict[str, Any]:
        for region in COUNTRY_REGIONS.get(country, ()):
            near = [s for s in sites if s["region"] == region]
            if near:
                return near[0]
        return sites[0]

    def company(self, country: str, business: str, used: set[str]) -> str:
        """A company name not used yet, in the style of ``country``."""
        roots, suffixes = FIRM_WORDS[country]
        rng = self.rng
        for _ in range(30):
            middle = rng.choice(FIRM_MIDDLE)
            words = [rng.choice(roots), business, middle, rng.choice(suffixes)]
            name = " ".join(w for w in words if w)
            if name not in used:
                break
        else:
            name = f"{name} ({len(used) + 1})"
        used.add(name)
        return name

    def build_partners(self) -> None:
        rng, scale = self.rng, self.scale
        group_id = self.counter("partner_group")
        groups = {
            "suppliers": "Every supplier",
            "customers": "Every customer",
            "strategic-suppliers": "Suppliers in collaborative planning, who see finer data",
            "key-accounts": "Customers whose demand is a trade secret even in aggregate",
        }
        gid = {name: group_id() for name in groups}
        self.put(PartnerGroup, ({"id": gid[n], "name": n, "description": d} for n, d in groups.items()))
        partner_id = self.counter("partner")
        trades = list(TRADES)
        used: set[str] = set()
        partners, members = [], []
        created = _at(self.today - dt.timedelta(days=900), 8)
        for n in range(1, scale.suppliers + 1):
            country = "CN" if n == 1 else rng.choice(SUPPLIER_COUNTRIES)
            trade = trades[(n - 1) % len(trades)]
            # A few suppliers also buy pumps from us for their own packaged systems.
            both = n % 50 in (5, 10)
            p = _Partner(partner_id(), f"SUP-{n:03d}", "both" if both else "supplier", country, trade, False)
            business = rng.choice(TRADES[trade])
            partners.append((p, self.company(country, business, used)))
            self.suppliers.append(p)
            members.append((p.id, gid["suppliers"]))
            if n % 40 == 1:  # SUP-001, and in the large demo one in forty
                members.append((p.id, gid["strategic-suppliers"]))
            if both:
                members.append((p.id, gid["customers"]))
                self.customers.append(p)
        for n in range(1, scale.customers + 1):
            country = rng.choice(CUSTOMER_COUNTRIES)
            key = n % 4 == 2
            p = _Partner(partner_id(), f"CUS-{n:03d}", "customer", country, "", key)
            partners.append((p, self.company(country, rng.choice(INDUSTRIES), used)))
            self.customers.append(p)
            members.append((p.id, gid["customers"]))
            if key:
                members.append((p.id, gid["key-accounts"]))
        self.customers.sort(key=lambda p: (p.kind != "customer", p.id))  # CUS-001 first
        self.put(
            Partner,
            (
                {
                    "id": p.id,
                    "code": p.code,
                    "name": name,
                    "kind": p.kind,
                    "status": "active",
                    "country": p.country,
                    "is_key_account": p.key_account,
                    "created_at": created + dt.timedelta(days=i % 700),
                }
                for i, (p, name) in enumerate(partners)
            ),
        )
        self.put(partner_group_member, ({"partner_id": p, "group_id": g} for p, g in members))
        self.by_code = {p.code: p for p, _ in partners}

    def build_accounts(self) -> None:
        """The demo sign-ins, and one named contact per partner who cannot sign in (no password)."""
        rng = self.rng
        password_hash = hash_password(DEMO_PASSWORD)  # once: argon2 is slow on purpose
        account_id = self.counter("account")
        membership_id = self.counter("membership")
        sup1, sup2, cus1 = self.by_code["SUP-001"], self.by_code["SUP-002"], self.by_code["CUS-001"]
        created = _at(self.today - dt.timedelta(days=400), 8)
        people: list[tuple[str, str, str, str | None, list[tuple[_Partner, str]]]] = [
            ("supplier.user@example.com", "Mei Lin", password_hash, None, [(sup1, "user")]),
            (
                "supplier.admin@example.com",
                "Jonas Weber",
                password_hash,
                None,
                [(sup1, "partner_admin"), (sup2, "user")],
            ),
            ("customer.user@example.com", "Carlos Mendes", password_hash, None, [(cus1, "user")]),
            ("policy.admin@example.com", "Priya Raman", password_hash, "policy_admin", []),
            ("staff.viewer@example.com", "Tom Becker", password_hash, "viewer", []),
            ("buyer@example.com", "Anna Kowalski", password_hash, "buyer", []),
            ("planner@example.com", "Sofia Marino", password_hash, "planner", []),
        ]
        for p in self.suppliers + [c for c in self.customers if c.kind == "customer"]:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            local = f"{first}.{last}".lower().replace(" ", "")
            role = "user" if p in (sup1, cus1) else "partner_admin"
            people.append((f"{local}@{p.code.lower()}.example.com", f"{first} {last}", "", None, [(p, role)]))
        accounts, memberships = [], []
        for email, name, pw, staff_role, links in people:
            aid = account_id()
            accounts.append(
                {
                    "id": aid,
                    "email": email,
                    "name": name,
                    "password_hash": pw,
                    "is_staff": staff_role is not None,
                    "staff_role": staff_role,
                    "active": True,
                    "created_at": created,
                    "password_changed_at": created if pw else None,
                }
            )
            if staff_role:
                self.staff[email] = aid
            for partner, role in links:
                memberships.append(
                    {
                        "id": membership_id(),
                        "account_id": aid,
                        "partner_id": partner.id,
                        "role": role,
                        "active": True,
                        "created_at": created,
                    }
                )
                if not partner.contact:
                    partner.contact = aid
        self.put(Account, accounts)
        self.put(Membership, memberships)

    # -- ERP ---------------------------------------------------------------------------------------

    def build_items(self) -> None:
        rng, scale = self.rng, self.scale
        n_finished = max(scale.items * 15 // 100, len(FAMILIES))
        n_components = scale.items * 45 // 100
        item_id = self.counter("item")
        seen: dict[str, int] = {}
        rows = []

        def unique(name: str, kind: str) -> str:
            # Real catalogues repeat descriptions; a drawing, configuration or spec number tells them apart.
            k = seen[name] = seen.get(name, 0) + 1
            if k == 1:
                return name
            if kind == "finished":
                return f"{name}, configuration {rng.randint(100, 999)}"
            if kind == "component":
                return f"{name}, drawing {rng.randint(10, 99)}-{rng.randint(1000, 9999)}"
            return f"{name}, spec PS-{rng.randint(1000, 9999)}"

        for i in range(scale.items):
            iid = item_id()
            part: Part | None = None
            if i < n_finished:
                label, series, use = FAMILIES[i % len(FAMILIES)]
                name, cost = self.finished_name(label, series, use)
                kind, uom, sku = "finished", "EA", f"FG-{series}-{iid:06d}"
            else:
                kind = "component" if i < n_finished + n_components else "raw"
                part = rng.choice(COMPONENTS if kind == "component" else RAW)
                size, spec = rng.choice(part.sizes), rng.choice(part.specs)
                name = ", ".join(w for w in (f"{part.label} {size}".strip(), spec) if w)
                cost = rng.uniform(*part.cost)
                uom, use = part.uom, part.use
                sku = f"{'CP' if kind == 'component' else 'RM'}-{iid:06d}"
            item = _Item(
                id=iid,
                kind=kind,
                uom=uom,
                cost=_money(cost),
                part=part,
                use=use,
                purchased=kind == "raw" or (part is not None and rng.random() >= part.in_house),
                sold=kind == "finished" or (part is not None and part.spare and rng.random() < 0.5),
                plant=rng.choice(self.plants)["id"],
            )
            self.items.append(item)
            rows.append(
                {
                    "id": iid,
                    "sku": sku,
                    "name": unique(name, kind),
                    "kind": kind,
                    "uom": uom,
                    "standard_cost": item.cost,
                    "cost_currency": "EUR",
                    "active": True,
                }
            )
        self.put(Item, rows)
        self.build_bom()

    def finished_name(self, label: str, series: str, use: str) -> tuple[str, float]:
        rng = self.rng
        if use == "valve":
            dn = rng.choice((50, 65, 80, 100, 125, 150, 200, 250, 300))
            pn = rng.choice((10, 16, 25, 40))
            material = rng.choice(("ductile iron", "stainless steel", "cast steel"))
            factor = {"ductile iron": 1.0, "stainless steel": 2.6, "cast steel": 1.7}[material]
            return f"{label} DN{dn} PN{pn}, {material}", (150 + dn * 9) * factor * rng.uniform(0.85, 1.15)
        kw = rng.choice((0.75, 1.5, 2.2, 4, 5.5, 7.5, 11, 15, 22, 37, 55, 75))
        if series in ("CPN", "ESN"):
            model = f"{rng.choice((32, 40, 50, 65, 80, 100, 125, 150))}-{rng.choice((160, 200, 250, 315))}"
        elif series == "VMS":
            model = f"{rng.choice((5, 10, 15, 20, 32, 45))}-{rng.randint(2, 12)}"
        elif series == "BST":
            model = f"{rng.randint(2, 4)}x VMS {rng.choice((5, 10, 15, 20))}"
        elif series == "DPX":
            return (
                f"{label} {series} {rng.choice((6, 12, 25, 50, 100))} l/h, {rng.choice((4, 10, 16))} bar",
                rng.uniform(450, 2200),
            )
        else:
            model = f"{rng.choice((50, 65, 80, 100))}"
        return f"{label} {series} {model}, {kw} kW", (600 + kw * 160) * rng.uniform(0.85, 1.2)

    def build_bom(self) -> None:
        rng = self.rng
        pools: dict[str, list[_Item]] = {"pump": [], "valve": []}
        for it in self.items:
            if it.kind != "finished" and it.part:
                for use in ("pump", "valve"):
                    if it.use in (use, "any"):
                        pools[use].append(it)
        raw = [it for it in self.items if it.kind == "raw"]
        bom_id = self.counter("bom_line")

        def lines() -> Iterator[dict[str, Any]]:
            for it in self.items:
                if it.kind == "finished":
                    parts = rng.sample(pools[it.use], k=min(len(pools[it.use]), rng.randint(5, 9)))
                elif it.kind == "component" and not it.purchased:
                    # Made in-house: machined or finished from bought material.
                    parts = rng.sample(raw, k=min(len(raw), rng.randint(1, 2)))
                else:
                    continue
                for c in parts:
                    assert c.part is not None
                    yield {
                        "id": bom_id(),
                        "parent_item_id": it.id,
                        "component_item_id": c.id,
                        "qty_per": Decimal(str(rng.choice(c.part.qty_per))),
                    }

        self.put(BomLine, lines())

    def build_sources(self) -> None:
        """Every purchased item gets one or two approved suppliers of the right trade."""
        rng = self.rng
        by_trade: dict[str, list[_Partner]] = {}
        for p in self.suppliers:
            by_trade.setdefault(p.trade, []).append(p)
        sup1, sup2 = self.suppliers[0], self.suppliers[1]
        # The strategic suppliers win most of their trade's items, and SUP-001 machines as well.
        pools: dict[str, tuple[list[_Partner], list[float]]] = {}
        for trade, members in by_trade.items():
            if trade == "machining":
                members = [sup1, *members]
            weights = [8.0 if p in (sup1, sup2) else 1.0 for p in members]
            pools[trade] = (members, list(itertools.accumulate(weights)))
        entry_id = self.counter("source_list_entry")
        rows = []
        for it in self.items:
            if not it.purchased:
                continue
            assert it.part is not None
            members, cum = pools[it.part.trade]
            first = _pick(rng, members, cum)
            chosen = [first]
            if len(members) > 1 and rng.random() < 0.35:
                second = members[rng.randrange(len(members) - 1)]
                chosen.append(second if second is not first else members[-1])
            shares = (
                [Decimal(100)]
                if len(chosen) == 1
                else [Decimal(s) for s in rng.choice(((60, 40), (70, 30), (80, 20)))]
            )
            low, high = LEAD_TIMES[it.part.trade]
            for n, (p, share) in enumerate(zip(chosen, shares, strict=True)):
                source = _Source(
                    it,
                    p.id,
                    rng.randint(low, high),
                    (it.cost * Decimal(str(round(rng.uniform(0.85, 1.05), 3)))).quantize(CENT),
                    share,
                )
                self.sources.append(source)
                rows.append(
                    {
                        "id": entry_id(),
                        "item_id": it.id,
                        "supplier_id": p.id,
                        # A second source is often approved for one plant only.
                        "site_id": it.plant if n == 1 and rng.random() < 0.5 else None,
                        "lead_time_days": source.lead_time,
                        "share_pct": share,
                        "unit_price": source.price,
                        "price_currency": "EUR",
                    }
                )
        self.put(SourceListEntry, rows)

    def build_inventory(self) -> None:
        rng = self.rng
        as_of = _at(self.today - dt.timedelta(days=1), 23, 30)  # the ERP's nightly snapshot
        warehouses = [s["id"] for s in self.warehouses]
        position_id = self.counter("inventory_position")

        def rows() -> Iterator[dict[str, Any]]:
            for it in self.items:
                sites = [it.plant]
                if it.kind == "finished" or it.sold:
                    sites += rng.sample(warehouses, k=rng.randint(1, min(2, len(warehouses))))
                for site in sites:
                    weekly = rng.randint(0, 40) if it.kind == "finished" else rng.randint(0, 400)
                    safety = weekly * rng.choice((1, 2, 3))
                    # Mostly comfortable, some below safety stock, a few out of stock.
                    on_hand = int(safety * rng.choice((0, 0.4, 1.2, 2, 3, 5)) + rng.randint(0, 50))
                    yield {
                        "id": position_id(),
                        "item_id": it.id,
                        "site_id": site,
                        "on_hand": Decimal(on_hand),
                        "allocated": Decimal(min(on_hand, weekly * rng.randint(0, 2))),
                        "on_order": Decimal(rng.choice((0, 0, weekly * 2, weekly * 4))),
                        "safety_stock": Decimal(safety),
                        "daily_usage": (Decimal(weekly) / 7).quantize(MILLI),
                        "as_of": as_of,
                    }

        self.put(InventoryPosition, rows())

    def build_consumption(self) -> None:
        """Goods issues of purchased items over the last eight weeks, most drawn by a customer's order.

        Key accounts draw more often, so a key account's demand is visible in the history unless a
        policy removes it.
        """
        rng, customers = self.rng, self.customers
        cust_cum = list(itertools.accumulate(3.0 if c.key_account else 1.0 for c in customers))
        issue_id = self.counter("consumption")
        sourced = {s.item.id for s in self.sources}

        def rows() -> Iterator[dict[str, Any]]:
            for it in self.items:
                if it.id not in sourced:
                    continue
                weekly = rng.randint(5, 400)
                for days_ago in range(1, 8 * 7, rng.choice((3, 5, 7, 7, 14))):
                    customer = _pick(rng, customers, cust_cum).id if rng.random() < 0.7 else None
                    yield {
                        "id": issue_id(),
                        "item_id": it.id,
                        "site_id": it.plant,
                        "issued_on": self.today - dt.timedelta(days=days_ago),
                        "qty": Decimal(max(1, round(weekly * rng.uniform(0.2, 0.8)))),
                        "customer_id": customer,
                    }

        self.put(Consumption, rows())

    # -- CRM ---------------------------------------------------------------------------------------

    def build_sales(self) -> None:
        rng, today = self.rng, self.today
        sold = [it for it in self.items if it.kind == "finished"]
        spares = [it for it in self.items if it.sold and it.kind != "finished"] or sold
        # A few best sellers, a long tail: weight 1/(rank + 5).
        sold_cum = list(itertools.accumulate(1 / (r + 5) for r in range(len(sold))))
        customers = self.customers
        cust_cum = list(
            itertools.accumulate(
                6.0 if c.code == "CUS-001" else 4.0 if c.key_account else 1.0 for c in customers
            )
        )
        home = {c.id: self.home_site(c.country, self.warehouses) for c in customers}
        order_id, line_id = self.counter("sales_order"), self.counter("sales_order_line")
        event_id, shipment_id = self.counter("sales_order_event"), self.counter("shipment")
        ship_line_id, invoice_id = self.counter("shipment_line"), self.counter("invoice")
        batches: dict[Any, list[dict[str, Any]]] = {
            t: [] for t in (SalesOrder, SalesOrderLine, SalesOrderEvent, Shipment, ShipmentLine, Invoice)
        }
        orders, lines, events, shipments, ship_lines, invoices = batches.values()
        self.recent_orders = {c.id: [] for c in customers}
        remaining = self.scale.order_lines
        while remaining > 0:
            oid = order_id()
            customer = _pick(rng, customers, cust_cum)
            site = home[customer.id] if rng.random() < 0.85 else rng.choice(self.sites)
            ordered = today - dt.timedelta(days=rng.randint(1, 365))
            # The dates each step would happen; the order has reached the steps already past.
            step_days, day = [], ordered
            for low, high in ORDER_STEP_DAYS:
                day += dt.timedelta(days=rng.randint(low, high))
                step_days.append(day)
            reached = [s for s, d in zip(ORDER_FLOW, step_days, strict=True) if d < today] or ["received"]
            cancelled = rng.random() < 0.02 and len(reached) <= 3
            status = "cancelled" if cancelled else reached[-1]
            confirmed = len(reached) > 1
            requested = ordered + dt.timedelta(days=rng.randint(21, 60))
            n_lines = min(rng.randint(1, 8), remaining)
            remaining -= n_lines
            total = Decimal(0)
            order_lines = []
            for n in range(1, n_lines + 1):
                if rng.random() < 0.8:
                    it = _pick(rng, sold, sold_cum)
                    qty = rng.randint(1, 12)
                else:
                    it = rng.choice(spares)
                    qty = rng.choice((1, 2, 4, 6, 10, 20))
                price = (it.cost * Decimal("1.38")).quantize(CENT)
                total += price * qty
                shipped = qty if len(reached) >= 4 and not cancelled else 0
                order_lines.append(
                    {
                        "id": line_id(),
                        "order_id": oid,
                        "line_no": n,
                        "item_id": it.id,
                        "qty": Decimal(qty),
                        "unit_price": price,
                        "promised_date": requested + dt.timedelta(days=rng.randint(-3, 10))
                        if confirmed
                        else None,
                        "shipped_qty": Decimal(shipped),
                    }
                )
            lines.extend(order_lines)
            created = _at(ordered, rng.randint(7, 17), rng.randint(0, 59))
            last_change = _at(step_days[len(reached) - 1], 10)
            orders.append(
                {
                    "id": oid,
                    "number": f"SO-{oid:07d}",
                    "customer_id": customer.id,
                    "customer_reference": f"{customer.code[-3:]}-PO-{rng.randint(10000, 99999)}",
                    "site_id": site["id"],
                    "order_date": ordered,
                    "requested_date": requested,
                    "status": status,
                    "total_amount": total,
                    "currency": "EUR",
                    "created_at": created,
                    "updated_at": max(created, last_change),
                }
            )
            carrier = rng.choice(CARRIERS[site["region"]])
            for k, step in enumerate(reached):
                events.append(
                    {
                        "id": event_id(),
                        "order_id": oid,
                        "status": step,
                        "at": created if k == 0 else _at(step_days[k], 10 + k),
                        "note": "" if step != "shipped" else f"Shipped with {carrier}",
                    }
                )
            if cancelled:
                events.append(
                    {
                        "id": event_id(),
                        "order_id": oid,
                        "status": "cancelled",
                        "at": _at(step_days[len(reached) - 1], 16),
                        "note": "Cancelled at the customer's request",
                    }
                )
            elif len(reached) >= 3:
                self.shipment(
                    shipment_id(),
                    oid,
                    customer,
                    site,
                    carrier,
                    reached,
                    step_days,
                    order_lines,
                    ship_line_id,
                    shipments,
                    ship_lines,
                )
            if status == "invoiced":
                issued = step_days[5]
                due = issued + dt.timedelta(days=60 if customer.key_account else 30)
                paid = due < today and rng.random() < 0.9
                iid = invoice_id()
                invoices.append(
                    {
                        "id": iid,
                        "number": f"INV-{issued.year}-{iid:07d}",
                        "customer_id": customer.id,
                        "order_id": oid,
                        "issued_on": issued,
                        "due_on": due,
                        "amount": total,
                        "currency": "EUR",
                        "status": "paid" if paid else ("overdue" if due < today else "open"),
                        "paid_on": min(
                            due - dt.timedelta(days=rng.randint(0, 12)), today - dt.timedelta(days=1)
                        )
                        if paid
                        else None,
                    }
                )
            recent = self.recent_orders[customer.id]
            recent.append(oid)
            if len(recent) > 40:
                del recent[0]
            if len(lines) >= CHUNK:
                for table, batch in batches.items():
                    self.put(table, batch)
                    batch.clear()
        for table, batch in batches.items():
            self.put(table, batch)

    def shipment(
        self,
        sid: int,
        oid: int,
        customer: _Partner,
        site: dict[str, Any],
        carrier: str,
        reached: list[str],
        step_days: list[dt.date],
        order_lines: list[dict[str, Any]],
        ship_line_id: Callable[[], int],
        shipments: list[dict[str, Any]],
        ship_lines: list[dict[str, Any]],
    ) -> None:
        """The order's delivery: planned while in production, in transit once shipped, then delivered."""
        rng = self.rng
        shipped_on, delivered_on = step_days[3], step_days[4]
        if len(reached) == 3:
            if rng.random() < 0.5:
                return
            status = "planned"
        elif len(reached) == 4:
            status = "exception" if rng.random() < 0.04 else "in_transit"
        else:
            status = "delivered"
        if carrier.startswith("UPS"):
            tracking = f"1Z{rng.randint(10**15, 10**16 - 1)}"
        elif carrier.startswith("SF"):
            tracking = f"SF{rng.randint(10**11, 10**12 - 1)}"
        else:
            tracking = f"{rng.randint(10**11, 10**12 - 1)}"
        shipments.append(
            {
                "id": sid,
                "number": f"DN-{sid:08d}",
                "order_id": oid,
                "customer_id": customer.id,
                "from_site_id": site["id"],
                "carrier": carrier,
                "tracking_number": tracking if status != "planned" else "",
                "status": status,
                "shipped_at": _at(shipped_on, 15) if status != "planned" else None,
                "eta": delivered_on,
                "delivered_at": _at(delivered_on, 11) if status == "delivered" else None,
            }
        )
        ship_lines.extend(
            {"id": ship_line_id(), "shipment_id": sid, "order_line_id": ln["id"], "qty": ln["qty"]}
            for ln in order_lines
        )

    def build_service_requests(self) -> None:
        rng, today = self.rng, self.today
        count = max(40, self.scale.order_lines // 50)
        # No staff role serves customers yet, so the service team's replies carry no author.
        desk = None
        customers = [c for c in self.customers if self.recent_orders[c.id]]
        spares = [it.id for it in self.items if it.sold and it.kind != "finished"]
        request_id, message_id = self.counter("service_request"), self.counter("service_request_message")
        requests, messages = [], []
        for n in range(count):
            rid = request_id()
            customer = customers[0] if n % 5 == 0 else rng.choice(customers)
            subject, priority, thread = rng.choice(SERVICE_TOPICS)
            age = rng.randint(1, 200)
            opened = _at(today - dt.timedelta(days=age), rng.randint(7, 16), rng.randint(0, 59))
            if age < 5:
                status = rng.choice(("open", "open", "in_progress"))
            elif age < 30:
                status = rng.choice(("in_progress", "waiting_on_customer", "resolved"))
            else:
                status = rng.choice(("resolved", "closed", "closed"))
            shown = {"open": 1, "in_progress": 2, "waiting_on_customer": 2}.get(status, len(thread))
            at = opened
            for who, body in thread[:shown]:
                messages.append(
                    {
                        "id": message_id(),
                        "request_id": rid,
                        "author_id": customer.contact if who == "customer" else desk,
                        "body": body,
                        "internal_only": who == "note",
                        "created_at": at,
                    }
                )
                at += dt.timedelta(hours=rng.randint(2, 30))
            requests.append(
                {
                    "id": rid,
                    "number": f"SR-{rid:06d}",
                    "customer_id": customer.id,
                    "order_id": rng.choice(self.recent_orders[customer.id]) if rng.random() < 0.7 else None,
                    "item_id": rng.choice(spares) if spares and rng.random() < 0.4 else None,
                    "subject": subject,
                    "status": status,
                    "priority": priority,
                    "opened_by_id": customer.contact,
                    "created_at": opened,
                    "updated_at": at - dt.timedelta(hours=1) if at > opened else opened,
                }
            )
        self.put(ServiceRequest, requests)
        self.put(ServiceRequestMessage, messages)

    def build_customer_service(self) -> None:
        """Ship-to sites (several for CUS-001 and the key accounts), quoted lead times of finished goods,
        and a request of CUS-001's awaiting the service team's reply. Draws nothing from the random
        stream, so everything built after it stays as it was."""
        site_id = self.counter("ship_to_site")
        sites = []
        for customer in self.customers:
            names = CUSTOMER_SITES[: 3 if customer.code == "CUS-001" else 2 if customer.key_account else 1]
            for code, name in names:
                sites.append(
                    {
                        "id": site_id(),
                        "customer_id": customer.id,
                        "code": code,
                        "name": f"{name}, {customer.code}",
                        "city": "",
                        "country": customer.country,
                    }
                )
        self.put(ShipToSite, sites)
        # A customer's sites have consecutive ids: each order goes to one of them in turn.
        first = select(func.min(ShipToSite.id)).where(ShipToSite.customer_id == SalesOrder.customer_id)
        many = select(func.count()).where(ShipToSite.customer_id == SalesOrder.customer_id)
        self.session.execute(
            update(SalesOrder).values(
                ship_to_id=first.scalar_subquery() + SalesOrder.id % many.scalar_subquery()
            )
        )
        # Sales quotes 10 to 25 days for most finished goods; every tenth is "ask us".
        self.session.execute(
            update(Item)
            .where(Item.kind == ItemKind.finished)
            .values(lead_time_days=case((Item.id % 10 == 0, None), else_=10 + 5 * (Item.id % 4)))
        )
        cus1 = self.by_code["CUS-001"]
        rid = self.next_id("service_request")
        opened = _at(self.today - dt.timedelta(days=1), 9, 30)
        self.put(
            ServiceRequest,
            [
                {
                    "id": rid,
                    "number": f"SR-{rid:06d}",
                    "customer_id": cus1.id,
                    "order_id": self.recent_orders[cus1.id][-1] if self.recent_orders[cus1.id] else None,
                    "item_id": None,
                    "subject": "Delivery address for the next shipment",
                    "status": "open",
                    "priority": "normal",
                    "opened_by_id": cus1.contact,
                    "created_at": opened,
                    "updated_at": opened,
                }
            ],
        )
        self.put(
            ServiceRequestMessage,
            [
                {
                    "id": self.next_id("service_request_message"),
                    "request_id": rid,
                    "author_id": cus1.contact,
                    "body": "Please deliver this order to our north works instead of the main plant. "
                    "Can you confirm the change?",
                    "internal_only": False,
                    "created_at": opened,
                }
            ],
        )

    # -- SCM ---------------------------------------------------------------------------------------

    def build_forecast(self) -> int:
        """Two versions of the weekly demand plan; returns the id of the published one.

        Sold items carry their customers' or a channel's demand; purchased items carry the dependent
        demand, pegged to the customer project that drives it where known. Slow movers get a bucket
        only every second or fourth week, which keeps the large plan to a few million rows.
        """
        rng, weeks = self.rng, self.scale.weeks
        start = monday(self.today)
        plan_id = self.counter("forecast_plan")
        previous, current = plan_id(), plan_id()
        published = _at(start - dt.timedelta(days=3), 7)
        plans = [
            {
                "id": previous,
                "name": "Demand plan",
                "version": 1,
                "status": "superseded",
                "horizon_start": start - dt.timedelta(weeks=1),
                "weeks": weeks,
                "frozen_until": start - dt.timedelta(days=1),
                "published_at": published - dt.timedelta(weeks=1),
                "created_at": published - dt.timedelta(weeks=1, days=1),
            },
            {
                "id": current,
                "name": "Demand plan",
                "version": 2,
                "status": "published",
                "horizon_start": start,
                "weeks": weeks,
                "frozen_until": start + dt.timedelta(days=13),
                "published_at": published,
                "created_at": published - dt.timedelta(days=1),
            },
        ]
        self.put(ForecastPlan, plans)
        customers = self.customers
        cust_cum = list(
            itertools.accumulate(
                4.0 if c.key_account else 3.0 if c.code == "CUS-001" else 1.0 for c in customers
            )
        )
        season = [1 + 0.15 * math.sin(2 * math.pi * w / 52) for w in range(-1, weeks + 1)]
        # Commits need the published quantities of the items their suppliers will commit to.
        self.commit_items = self.commit_candidates()
        self.published_qty = {}
        bucket_id = self.counter("forecast_bucket")

        def rows() -> Iterator[dict[str, Any]]:
            for it in self.items:
                if not (it.purchased or it.sold):
                    continue
                drivers: list[tuple[int | None, str]] = []
                if rng.random() < (0.55 if it.sold else 0.4):
                    drivers.append((_pick(rng, customers, cust_cum).id, ""))
                if not drivers or rng.random() < 0.15:
                    channel = (
                        "internal"
                        if not it.sold
                        else "spares"
                        if it.kind != "finished"
                        else rng.choice(CHANNELS[:2])
                    )
                    drivers.append((None, channel))
                every = 1 if it.id in self.commit_items else rng.choice((1, 1, 1, 2, 2, 4))
                offset = rng.randrange(every)
                base = rng.randint(2, 60) if it.kind == "finished" else rng.randint(20, 1500)
                for customer_id, channel in drivers:
                    for plan, first in ((previous, -1), (current, 0)):
                        for w in range(first, first + weeks):
                            if (w - offset) % every:
                                continue
                            qty = Decimal(round(base * every * season[w + 1] * rng.uniform(0.75, 1.25)))
                            week = start + dt.timedelta(weeks=w)
                            if plan == current and it.id in self.commit_items:
                                key = (it.id, week)
                                self.published_qty[key] = self.published_qty.get(key, Decimal(0)) + qty
                            yield {
                                "id": bucket_id(),
                                "plan_id": plan,
                                "item_id": it.id,
                                "site_id": it.plant,
                                "week_start": week,
                                "qty": qty,
                                "customer_id": customer_id,
                                "channel": channel,
                            }

        self.put(ForecastBucket, rows())
        return current

    def commit_candidates(self) -> dict[int, int]:
        """Item id to supplier for the items SUP-001 (and a few for SUP-002) will have committed to."""
        picks: dict[int, int] = {}
        for supplier, k in ((self.suppliers[0].id, 8), (self.suppliers[1].id, 3)):
            own = [s.item.id for s in self.sources if s.supplier == supplier and s.item.id not in picks]
            for item_id in own[:k]:
                picks[item_id] = supplier
        return picks

    def build_purchasing(self, plan: int) -> None:
        rng, today = self.rng, self.today
        catalogue: dict[int, list[_Source]] = {}
        for s in self.sources:
            catalogue.setdefault(s.supplier, []).append(s)
        buyer = self.staff["buyer@example.com"]
        contacts = {p.id: p.contact for p in self.suppliers}
        po_id, line_id = self.counter("purchase_order"), self.counter("purchase_order_line")
        response_id = self.counter("purchase_order_line_response")
        notice_id, notice_line_id = self.counter("ship_notice"), self.counter("ship_notice_line")
        orders: list[dict[str, Any]] = []
        lines: list[dict[str, Any]] = []
        responses: list[dict[str, Any]] = []
        notices: list[dict[str, Any]] = []
        notice_lines: list[dict[str, Any]] = []
        plants = [s["id"] for s in self.plants]
        yesterday = today - dt.timedelta(days=1)
        for supplier in self.suppliers:
            own = catalogue.get(supplier.id, [])
            if not own:
                continue
            contact = contacts[supplier.id]
            n_orders = max(4, len(own) // 3)
            for k in range(n_orders):
                oid = po_id()
                # The strategic supplier always has fresh orders waiting for acknowledgement.
                age = rng.randint(1, 5) if supplier is self.suppliers[0] and k < 3 else rng.randint(1, 120)
                status = self.po_status(age)
                ordered = today - dt.timedelta(days=age)
                revision = 2 if status == "open" and rng.random() < 0.2 else 1
                created = _at(ordered, rng.randint(8, 16))
                orders.append(
                    {
                        "id": oid,
                        "number": f"PO-{4500000000 + oid}",
                        "supplier_id": supplier.id,
                        "site_id": rng.choice(plants),
                        "buyer_id": buyer,
                        "order_date": ordered,
                        "status": status,
                        "currency": "EUR",
                        "revision": revision,
                        "notified_revision": revision,  # the demo's orders were announced already
                        "created_at": created,
                        "updated_at": created + dt.timedelta(hours=20 if revision == 2 else 0),
                    }
                )
                picks = rng.sample(own, k=min(len(own), rng.randint(1, 6)))
                shipped_lines = []
                for n, src in enumerate(picks, start=1):
                    qty = Decimal(self.order_qty(src.item.uom))
                    line_status, shipped, received = self.po_line_state(status, qty)
                    lid = line_id()
                    lines.append(
                        {
                            "id": lid,
                            "order_id": oid,
                            "line_no": n,
                            "item_id": src.item.id,
                            "qty": qty,
                            "unit_price": src.price,
                            "need_by": ordered + dt.timedelta(days=src.lead_time + rng.randint(0, 7)),
                            "status": line_status,
                            "shipped_qty": shipped,
                            "received_qty": received,
                            "version": 1,
                        }
                    )
                    if line_status != "open" and status != "cancelled":
                        responses.append(
                            self.po_response(response_id(), lid, contact, line_status, qty, ordered, src)
                        )
                    if shipped:
                        shipped_lines.append((lid, shipped))
                if shipped_lines and (status == "partially_shipped" or age <= 60):
                    nid = notice_id()
                    if status == "closed":
                        ship_date = min(
                            ordered + dt.timedelta(days=rng.randint(7, 20)), today - dt.timedelta(days=8)
                        )
                    else:  # on its way now
                        ship_date = max(ordered, today - dt.timedelta(days=rng.randint(1, 6)))
                    arrival = ship_date + dt.timedelta(days=rng.randint(3, 12))
                    notices.append(
                        {
                            "id": nid,
                            "number": f"ASN-{nid:07d}",
                            "supplier_id": supplier.id,
                            "ship_date": ship_date,
                            "expected_arrival": arrival,
                            "carrier": rng.choice(CARRIERS[self.site_region[orders[-1]["site_id"]]]),
                            "tracking_number": f"{rng.randint(10**11, 10**12 - 1)}",
                            "status": "received"
                            if status == "closed"
                            else ("sent" if ship_date >= yesterday else "in_transit"),
                            "created_by_id": contact,
                            "created_at": _at(ship_date, 16),
                        }
                    )
                    notice_lines.extend(
                        {"id": notice_line_id(), "notice_id": nid, "po_line_id": lid, "qty": q}
                        for lid, q in shipped_lines
                    )
        self.put(PurchaseOrder, orders)
        self.put(PurchaseOrderLine, lines)
        self.put(PurchaseOrderLineResponse, responses)
        self.put(ShipNotice, notices)
        self.put(ShipNoticeLine, notice_lines)
        self.build_commits(plan)

    def po_status(self, age: int) -> str:
        rng = self.rng
        if age <= 7:
            return "open" if rng.random() < 0.8 else "acknowledged"
        if age <= 30:
            return rng.choice(("open", "acknowledged", "acknowledged", "acknowledged", "partially_shipped"))
        if age <= 60:
            return rng.choice(("acknowledged", "partially_shipped", "partially_shipped", "closed", "closed"))
        return "cancelled" if rng.random() < 0.05 else "closed"

    def po_line_state(self, status: str, qty: Decimal) -> tuple[str, Decimal, Decimal]:
        """Line status, shipped and received quantity for a line of an order in ``status``."""
        zero = Decimal(0)
        if status == "open":
            return "open", zero, zero
        if status == "cancelled":
            return "closed", zero, zero
        if status == "closed":
            return "closed", qty, qty
        roll = self.rng.random()
        if status == "acknowledged":
            if roll < 0.08:
                return "change_proposed", zero, zero
            return ("rejected" if roll < 0.1 else "accepted"), zero, zero
        return "accepted", (qty if roll < 0.4 else (qty / 2).quantize(Decimal(1))), zero

    def order_qty(self, uom: str) -> int:
        choices = {
            "EA": (10, 20, 25, 50, 100, 200, 500),
            "KG": (250, 500, 1000, 2000, 5000),
            "M": (50, 100, 250, 500),
            "L": (20, 50, 100, 200),
        }
        return self.rng.choice(choices[uom])

    def po_response(
        self, rid: int, line: int, account: int, status: str, qty: Decimal, ordered: dt.date, src: _Source
    ) -> dict[str, Any]:
        rng = self.rng
        action = {"change_proposed": "propose", "rejected": "reject"}.get(status, "accept")
        reason = {
            "propose": "Capacity is booked until then; we can deliver 70% by the need-by date.",
            "reject": "This item is being discontinued; please order the successor part.",
        }.get(action, "")
        return {
            "id": rid,
            "line_id": line,
            "account_id": account,
            "action": action,
            "reason": reason,
            "proposed_qty": (qty * Decimal("0.7")).quantize(Decimal(1)) if action == "propose" else None,
            "proposed_date": ordered + dt.timedelta(days=src.lead_time + 14) if action == "propose" else None,
            "created_at": _at(ordered + dt.timedelta(days=rng.randint(1, 3)), rng.randint(8, 17)),
        }

    def build_commits(self, plan: int) -> None:
        """The strategic suppliers' commitments to the open weeks of the published plan."""
        rng = self.rng
        start = monday(self.today)
        contacts = {p.id: p.contact for p in self.suppliers}
        commit_id = self.counter("forecast_commit")
        at = _at(start - dt.timedelta(days=1), 14)
        plant = {it.id: it.plant for it in self.items}
        share = {(s.item.id, s.supplier): Decimal(s.share) for s in self.sources}
        strategic = {self.suppliers[0].id}  # SUP-001 (n % 40 == 1 in build_partners)
        rows = []
        for item_id, supplier in self.commit_items.items():
            # As the shipped default policy shows them: exact to strategic suppliers, to the nearest 10
            # to the rest, the demand and the share alike (``planning.supplier_share``).
            shown = None if supplier in strategic else _to_nearest_10
            for w in range(2, 8):  # weeks 0 and 1 are frozen
                week = start + dt.timedelta(weeks=w)
                demand = self.published_qty.get((item_id, week))
                if not demand:
                    continue
                # The supplier's share of the week's demand as its forecast page shows it: what the
                # planning service measures a commit against and stores with it.
                shown_demand = shown(demand) if shown else demand
                forecast = supplier_share([(shown_demand, share[(item_id, supplier)])], shown) or Decimal(0)
                aim = rng.choice(("ok", "ok", "ok", "shortfall", "surplus"))
                factor = {"ok": Decimal(1), "shortfall": Decimal("0.7"), "surplus": Decimal("1.15")}[aim]
                committed = (forecast * factor).quantize(Decimal(1))
                status = classify(committed, forecast).value
                rows.append(
                    {
                        "id": commit_id(),
                        "plan_id": plan,
                        "supplier_id": supplier,
                        "item_id": item_id,
                        "site_id": plant[item_id],
                        "week_start": week,
                        "committed_qty": committed,
                        "forecast_qty": forecast,
                        "status": status,
                        "comment": COMMIT_COMMENTS[status],
                        "account_id": contacts[supplier],
                        "revision": 1,
                        "created_at": at,
                        "updated_at": at,
                    }
                )
        self.put(ForecastCommit, rows)

    def build_api_clients(self) -> None:
        """One API client per demo partner, with every scope its side allows and a published secret."""
        owners = dict(
            self.session.execute(
                select(Account.email, Account.id).where(
                    Account.email.in_([c.owner_email for c in DEMO_API_CLIENTS])
                )
            ).all()
        )
        client_id = self.counter("api_client")
        created = _at(self.today - dt.timedelta(days=30), 9)
        self.put(
            ApiClient,
            (
                {
                    "id": client_id(),
                    "partner_id": self.by_code[c.partner_code].id,
                    "name": "Demo ERP connection",
                    "client_id": c.client_id,
                    "secret_hash": digest(c.secret),
                    "scopes": list(scopes_for(self.by_code[c.partner_code].kind)),
                    "account_id": owners[c.owner_email],
                    "created_at": created,
                }
                for c in DEMO_API_CLIENTS
            ),
        )

    def reset_sequences(self) -> None:
        """Ids were assigned here: move PostgreSQL's sequences past them so later inserts don't collide."""
        if self.session.get_bind().dialect.name != "postgresql":
            return
        for table in Base.metadata.sorted_tables:
            if table.name in self.rows and table.name in self.base:
                self.session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608 - names from metadata
                        f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)"
                    )
                )


@dataclass(frozen=True)
class PartnerSignIn:
    email: str
    partner_code: str
    #: "supplier" or "customer": the side of the portal the user works on.
    side: str


def add_partner_sign_ins(session: Session, count: int) -> tuple[PartnerSignIn, ...]:
    """A user (password ``DEMO_PASSWORD``) at each of ``count`` active partners, suppliers and
    customers taken in turn: many partners signed in at once, for load and concurrency tests.

    Idempotent: an existing sign-in is kept. Flushes, never commits.
    """
    partners = session.execute(
        select(Partner.id, Partner.code, Partner.kind)
        .where(Partner.status == PartnerStatus.active)
        .order_by(Partner.code)
    ).all()
    suppliers = [p for p in partners if p.kind in (PartnerKind.supplier, PartnerKind.both)]
    customers = [p for p in partners if p.kind is PartnerKind.customer]
    chosen = [p for pair in itertools.zip_longest(suppliers, customers) for p in pair if p is not None]
    if len(chosen) < count:
        raise ValueError(f"the demo has {len(chosen)} active partners, fewer than {count}")
    password_hash = hash_password(DEMO_PASSWORD)  # one hash for all: argon2 is slow on purpose
    made = []
    for partner in chosen[:count]:
        email = f"load.{partner.code.lower()}@example.com"
        if session.scalar(select(Account.id).where(Account.email == email)) is None:
            account = Account(
                email=email, name=f"Load test user, {partner.code}", password_hash=password_hash
            )
            session.add(account)
            session.flush()
            session.add(Membership(account_id=account.id, partner_id=partner.id))
        side = "customer" if partner.kind is PartnerKind.customer else "supplier"
        made.append(PartnerSignIn(email, partner.code, side))
    session.flush()
    return tuple(made)


def _to_nearest_10(value: Decimal) -> Decimal:
    """A quantity rounded to the nearest 10, as the default policy's ``round: {to: 10}`` shows it."""
    return (value / 10).quantize(Decimal(1), ROUND_HALF_UP) * 10
