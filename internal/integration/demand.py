"""Supplier demand derived from customer demand: why ERP, CRM and SCM data must meet in one model.

Customer demand (CRM open sales-order lines, and the sales forecast where orders do not yet cover
it) is exploded through the ERP bills of material level by level. At each level an item's gross
requirement is netted against its stock above safety stock and its open purchase orders; what is
left of a made item becomes its components' requirement, what is left of a bought item is split
across its suppliers by their source-list shares and moved earlier by each supplier's lead time.
The result is written as a draft forecast plan; publishing it is the ordinary path.

Weekly buckets start on Monday; anything due before the horizon falls in its first week.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from internal.models import (
    AuditEvent,
    BomLine,
    ForecastBucket,
    ForecastPlan,
    InventoryPosition,
    LineStatus,
    OrderStatus,
    PlanStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    SalesOrder,
    SalesOrderLine,
    SourceListEntry,
)

#: The plan that holds the sales forecast (the SCM feed's forecast rows land in its draft).
SALES_FORECAST = "Sales forecast"
#: The plan suppliers see; a derivation writes its next version as a draft.
DEMAND_PLAN = "Demand plan"
OPEN_ORDERS = (OrderStatus.received, OrderStatus.confirmed, OrderStatus.in_production)
OPEN_PURCHASES = (
    PurchaseOrderStatus.open,
    PurchaseOrderStatus.acknowledged,
    PurchaseOrderStatus.partially_shipped,
)
MILLI = Decimal("0.001")

Key = tuple[int, int]  # item, site


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@dataclass(frozen=True)
class SupplierDemand:
    """One supplier's part of an item for a site: ordered in ``order_week``, needed in ``need_week``."""

    item_id: int
    site_id: int
    supplier_id: int
    need_week: dt.date
    order_week: dt.date
    qty: Decimal


@dataclass
class Derivation:
    start: dt.date
    weeks: int
    #: Per purchased item and site: the net requirement in each week (index 0 is ``start``).
    net: dict[Key, list[Decimal]] = field(default_factory=dict)
    lines: list[SupplierDemand] = field(default_factory=list)
    #: Items with a net requirement but neither a bill of material nor a supplier: nobody to ask.
    unsourced: set[int] = field(default_factory=set)

    def by_supplier(self) -> dict[tuple[int, int, int, dt.date], Decimal]:
        """(item, site, supplier, order week) to quantity, summed over need weeks."""
        out: dict[tuple[int, int, int, dt.date], Decimal] = defaultdict(Decimal)
        for line in self.lines:
            out[(line.item_id, line.site_id, line.supplier_id, line.order_week)] += line.qty
        return dict(out)


def derive(
    session: Session, *, start: dt.date, weeks: int, sales_forecast: str = SALES_FORECAST
) -> Derivation:
    """Compute each purchased item's net requirement per week and its split across suppliers."""
    start = monday(start)
    result = Derivation(start, weeks)
    end = start + dt.timedelta(weeks=weeks)

    def week_of(day: dt.date) -> int | None:
        if day >= end:
            return None
        return max((monday(day) - start).days // 7, 0)

    bom: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for parent, component, qty_per in session.execute(
        select(BomLine.parent_item_id, BomLine.component_item_id, BomLine.qty_per)
    ):
        bom[parent].append((component, qty_per))
    sources: dict[int, list[tuple[int, int | None, int, Decimal]]] = defaultdict(list)
    for item, supplier, site, lead, share in session.execute(
        select(
            SourceListEntry.item_id,
            SourceListEntry.supplier_id,
            SourceListEntry.site_id,
            SourceListEntry.lead_time_days,
            SourceListEntry.share_pct,
        ).order_by(SourceListEntry.item_id, SourceListEntry.supplier_id)
    ):
        sources[item].append((supplier, site, lead, share))

    gross: dict[Key, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * weeks)
    # Customer demand: open order lines, and the forecast where it is more than the orders (the orders
    # consume the forecast of their week).
    ordered: dict[tuple[int, int, int], Decimal] = defaultdict(Decimal)
    for item, site, qty, shipped, promised, requested in session.execute(
        select(
            SalesOrderLine.item_id,
            SalesOrder.site_id,
            SalesOrderLine.qty,
            SalesOrderLine.shipped_qty,
            SalesOrderLine.promised_date,
            SalesOrder.requested_date,
        )
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
        .where(SalesOrder.status.in_(OPEN_ORDERS), SalesOrderLine.qty > SalesOrderLine.shipped_qty)
    ):
        w = week_of(promised or requested)
        if w is not None:
            ordered[(item, site, w)] += qty - shipped
    forecast: dict[tuple[int, int, int], Decimal] = defaultdict(Decimal)
    plan_id = session.scalar(
        select(ForecastPlan.id)
        .where(ForecastPlan.name == sales_forecast, ForecastPlan.status != PlanStatus.superseded)
        .order_by(ForecastPlan.version.desc())
        .limit(1)
    )
    if plan_id is not None:
        for item, site, week, qty in session.execute(
            select(
                ForecastBucket.item_id,
                ForecastBucket.site_id,
                ForecastBucket.week_start,
                func.sum(ForecastBucket.qty),
            )
            .where(
                ForecastBucket.plan_id == plan_id,
                ForecastBucket.week_start >= start,
                ForecastBucket.week_start < end,
            )
            .group_by(ForecastBucket.item_id, ForecastBucket.site_id, ForecastBucket.week_start)
        ):
            forecast[(item, site, (week - start).days // 7)] += Decimal(qty)
    for item, site, w in ordered.keys() | forecast.keys():
        gross[(item, site)][w] += max(
            ordered.get((item, site, w), Decimal(0)), forecast.get((item, site, w), Decimal(0))
        )

    available: dict[Key, Decimal] = {
        (item, site): on_hand - safety
        for item, site, on_hand, safety in session.execute(
            select(
                InventoryPosition.item_id,
                InventoryPosition.site_id,
                InventoryPosition.on_hand,
                InventoryPosition.safety_stock,
            )
        )
    }
    receipts: dict[Key, dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for item, site, qty, received, need_by in session.execute(
        select(
            PurchaseOrderLine.item_id,
            PurchaseOrder.site_id,
            PurchaseOrderLine.qty,
            PurchaseOrderLine.received_qty,
            PurchaseOrderLine.need_by,
        )
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .where(
            PurchaseOrder.status.in_(OPEN_PURCHASES),
            PurchaseOrderLine.status.not_in((LineStatus.rejected, LineStatus.closed)),
            PurchaseOrderLine.qty > PurchaseOrderLine.received_qty,
        )
    ):
        w = week_of(need_by)
        if w is not None:
            receipts[(item, site)][w] += qty - received

    for level in _levels(bom, {item for item, _site in gross}):
        for key in [k for k in gross if k[0] in level]:
            item, site = key
            net = _net(gross[key], available.get(key, Decimal(0)), receipts.get(key, {}))
            if not any(net):
                continue
            if sources.get(item):
                result.net[key] = net
                result.lines += _split(item, site, net, sources[item], start)
            elif bom.get(item):
                for component, qty_per in bom[item]:
                    target = gross[(component, site)]
                    for w, qty in enumerate(net):
                        if qty:
                            target[w] += qty * qty_per
            else:
                result.unsourced.add(item)
    return result


def _levels(bom: dict[int, list[tuple[int, Decimal]]], roots: set[int]) -> list[set[int]]:
    """Items grouped by their lowest level in any bill (0: nothing uses them), so every parent's
    requirement is known before its components are netted. A cycle in the bills stops at its depth."""
    level: dict[int, int] = {}
    limit = len(bom) + 1
    frontier = dict.fromkeys(roots, 0)
    while frontier:
        nxt: dict[int, int] = {}
        for item, depth in frontier.items():
            if level.get(item, -1) >= depth or depth > limit:
                continue
            level[item] = depth
            for component, _qty in bom.get(item, ()):
                nxt[component] = max(nxt.get(component, 0), depth + 1)
        frontier = nxt
    grouped: dict[int, set[int]] = defaultdict(set)
    for item, depth in level.items():
        grouped[depth].add(item)
    return [grouped[d] for d in sorted(grouped)]


def _net(gross: list[Decimal], available: Decimal, receipts: dict[int, Decimal]) -> list[Decimal]:
    """Week by week: what stock above safety stock and arriving purchase orders do not cover."""
    net = []
    for w, need in enumerate(gross):
        available += receipts.get(w, Decimal(0))
        short = need - available
        if short > 0:
            net.append(short)
            available = Decimal(0)
        else:
            net.append(Decimal(0))
            available -= need
    return net


def _split(
    item: int,
    site: int,
    net: list[Decimal],
    sources: list[tuple[int, int | None, int, Decimal]],
    start: dt.date,
) -> list[SupplierDemand]:
    """The net requirement across the suppliers approved for the site, by share, ordered a lead time early.

    Shares are scaled to the suppliers approved for this site; the last supplier takes the rounding
    remainder, so the parts always add up to the whole.
    """
    approved = [s for s in sources if s[1] is None or s[1] == site]
    total_share = sum((s[3] for s in approved), Decimal(0))
    if not approved or total_share <= 0:
        return []
    lines = []
    for w, qty in enumerate(net):
        if not qty:
            continue
        need_week = start + dt.timedelta(weeks=w)
        left = qty
        for n, (supplier, _site, lead, share) in enumerate(approved):
            part = left if n == len(approved) - 1 else (qty * share / total_share).quantize(MILLI)
            left -= part
            if not part:
                continue
            order_week = max(monday(need_week - dt.timedelta(days=lead)), start)
            lines.append(SupplierDemand(item, site, supplier, need_week, order_week, part))
    return lines


def write_derived_plan(
    session: Session,
    *,
    start: dt.date,
    weeks: int,
    name: str = DEMAND_PLAN,
    sales_forecast: str = SALES_FORECAST,
    account_id: int | None = None,
) -> tuple[ForecastPlan, Derivation]:
    """Derive supplier demand and store it as the next draft version of plan ``name``.

    Each bucket is one supplier's part of an item at a site in the week it should be ordered. Flushes,
    never commits; publishing the draft is ``planning.publish_plan``.
    """
    derivation = derive(session, start=start, weeks=weeks, sales_forecast=sales_forecast)
    version = session.scalar(select(func.max(ForecastPlan.version)).where(ForecastPlan.name == name)) or 0
    plan = ForecastPlan(
        name=name, version=version + 1, status=PlanStatus.draft, horizon_start=derivation.start, weeks=weeks
    )
    session.add(plan)
    session.flush()
    rows = [
        {
            "plan_id": plan.id,
            "item_id": item,
            "site_id": site,
            "supplier_id": supplier,
            "week_start": week,
            "qty": qty,
            "customer_id": None,
            "channel": "derived",
        }
        for (item, site, supplier, week), qty in sorted(derivation.by_supplier().items())
        if qty
    ]
    for at in range(0, len(rows), 20_000):
        session.execute(insert(ForecastBucket), rows[at : at + 20_000])
    session.add(
        AuditEvent(
            account_id=account_id,
            action="forecast.derived",
            object_type="forecast_plan",
            object_id=str(plan.id),
            detail={
                "name": name,
                "version": plan.version,
                "buckets": len(rows),
                "unsourced": len(derivation.unsourced),
            },
        )
    )
    session.flush()
    return plan, derivation
