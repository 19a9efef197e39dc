"""What a supplier can be shown: its purchase orders and ship notices, the forecast and inventory of
the items it supplies, consumption, its source list and its forecast commits. Each dataset follows
its fields and the SQL that reads them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Numeric,
    Select,
    and_,
    case,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import aliased

from internal.models import (
    Consumption,
    ForecastBucket,
    ForecastCommit,
    ForecastPlan,
    InventoryPosition,
    Item,
    LineStatus,
    Partner,
    PlanStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderLineResponse,
    PurchaseOrderStatus,
    ShipNotice,
    ShipNoticeLine,
    Site,
    SourceListEntry,
)
from policies.datasets.base import (
    CONSUMED,
    CUSTOMER,
    DEMAND,
    DOCUMENT,
    ITEM,
    PREVIOUS_DEMAND,
    SITE,
    STOCK_ON_HAND,
    SUPPLY_SHARE,
    Dataset,
    Expr,
    PartnerId,
    Scope,
    Window,
    owned_by,
    select_columns,
)

# -- which rows are the viewer's: the items it supplies and the sites it serves ------------------------


def _sourced(item_id: Expr, site_id: Expr) -> ColumnElement[bool]:
    """Joins a source-list entry for the item, for every site or for this one."""
    return and_(
        SourceListEntry.item_id == item_id,
        or_(SourceListEntry.site_id.is_(None), SourceListEntry.site_id == site_id),
    )


def _supplied_by_viewer(viewer: PartnerId) -> ColumnElement[bool]:
    return SourceListEntry.supplier_id == viewer


def _supplier_sites(site: Expr) -> Scope:
    """The sites a supplier delivers to: named on its source list or on its purchase orders."""
    return lambda viewer: and_(
        SourceListEntry.supplier_id == viewer,
        or_(
            site.in_(
                select(SourceListEntry.site_id)
                .where(SourceListEntry.supplier_id == viewer, SourceListEntry.site_id.is_not(None))
                .scalar_subquery()
            ),
            site.in_(
                select(PurchaseOrder.site_id).where(PurchaseOrder.supplier_id == viewer).scalar_subquery()
            ),
        ),
    )


def _key_account_demand(customer: Expr) -> Scope:
    key_account = aliased(Partner)
    return lambda _viewer: exists(
        select(key_account.id).where(key_account.id == customer, key_account.is_key_account)
    )


# -- purchase orders and their lines -------------------------------------------------------------------


_purchase_order_line_count = (
    select(func.count())
    .where(PurchaseOrderLine.order_id == PurchaseOrder.id)
    .correlate(PurchaseOrder)
    .scalar_subquery()
)
_purchase_order_fields: dict[str, Expr] = {
    "number": PurchaseOrder.number,
    "order_date": PurchaseOrder.order_date,
    "status": PurchaseOrder.status,
    "deliver_to": Site.code,
    "revision": PurchaseOrder.revision,
    "lines": _purchase_order_line_count,
    "currency": PurchaseOrder.currency,
}
_purchase_order_sort = ((PurchaseOrder.order_date, dt.date), (PurchaseOrder.id, int))


PURCHASE_ORDERS = Dataset(
    name="purchase_orders",
    audience="supplier",
    fields=_purchase_order_fields,
    key=("number",),
    base=lambda: (
        select_columns(_purchase_order_fields, _purchase_order_sort, {"deliver_to": Site.code})
        .select_from(PurchaseOrder)
        .join(Site, Site.id == PurchaseOrder.site_id)
    ),
    order=_purchase_order_sort,
    filters={"number": PurchaseOrder.number, "status": PurchaseOrder.status},
    scopes={"own_documents": owned_by(PurchaseOrder.supplier_id)},
    subjects={"number": (DOCUMENT, None), "deliver_to": (SITE, Site.code)},
)


def _latest_answer(column: Expr) -> Any:
    """A column of the line's latest answer: a buyer's decision shows until the supplier answers again."""
    return (
        select(column)
        .where(PurchaseOrderLineResponse.line_id == PurchaseOrderLine.id)
        .order_by(PurchaseOrderLineResponse.id.desc())
        .limit(1)
        .correlate(PurchaseOrderLine)
        .scalar_subquery()
    )


_purchase_order_line_fields: dict[str, Expr] = {
    "order_number": PurchaseOrder.number,
    "line_no": PurchaseOrderLine.line_no,
    "sku": Item.sku,
    "item": Item.name,
    "qty": PurchaseOrderLine.qty,
    "uom": Item.uom,
    "unit_price": PurchaseOrderLine.unit_price,
    "need_by": PurchaseOrderLine.need_by,
    "status": PurchaseOrderLine.status,
    "shipped_qty": PurchaseOrderLine.shipped_qty,
    #: The line's version: an answer names the version it was given to, so a stale answer is caught.
    "version": PurchaseOrderLine.version,
    #: The buyer's decision on the supplier's latest proposal (accepted, declined) and why it was declined.
    "decision": _latest_answer(PurchaseOrderLineResponse.decision),
    "decision_reason": _latest_answer(PurchaseOrderLineResponse.decision_reason),
}
_purchase_order_line_sort = ((PurchaseOrder.id, int), (PurchaseOrderLine.line_no, int))

#: Lines a ship notice can still cover: of an order still in progress, answered or not, not fully shipped.
_shippable = (
    PurchaseOrder.status.in_(
        [PurchaseOrderStatus.open, PurchaseOrderStatus.acknowledged, PurchaseOrderStatus.partially_shipped]
    )
    & PurchaseOrderLine.status.in_([LineStatus.open, LineStatus.accepted, LineStatus.change_proposed])
    & (PurchaseOrderLine.shipped_qty < PurchaseOrderLine.qty)
)


def _need_by_until(_viewer: PartnerId, day: dt.date) -> ColumnElement[bool]:
    return PurchaseOrderLine.need_by <= day


PURCHASE_ORDER_LINES = Dataset(
    name="purchase_order_lines",
    audience="supplier",
    fields=_purchase_order_line_fields,
    key=("order_number", "line_no"),
    base=lambda: (
        select_columns(_purchase_order_line_fields, _purchase_order_line_sort)
        .select_from(PurchaseOrderLine)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .join(Item, Item.id == PurchaseOrderLine.item_id)
    ),
    order=_purchase_order_line_sort,
    filters={"order_number": PurchaseOrder.number, "shippable": _shippable},
    conditions={"need_by_until": _need_by_until},
    scopes={"own_documents": owned_by(PurchaseOrder.supplier_id)},
    newest_first=False,
    subjects={"order_number": (DOCUMENT, None), "sku": (ITEM, None)},
    measures=("qty", "shipped_qty"),
    time_field="need_by",
)


# -- ship notices --------------------------------------------------------------------------------------


_ship_notice_line_count = (
    select(func.count())
    .where(ShipNoticeLine.notice_id == ShipNotice.id)
    .correlate(ShipNotice)
    .scalar_subquery()
)
_ship_notice_fields: dict[str, Expr] = {
    "number": ShipNotice.number,
    "ship_date": ShipNotice.ship_date,
    "expected_arrival": ShipNotice.expected_arrival,
    "carrier": ShipNotice.carrier,
    "tracking_number": ShipNotice.tracking_number,
    "status": ShipNotice.status,
    "lines": _ship_notice_line_count,
}
_ship_notice_sort = ((ShipNotice.ship_date, dt.date), (ShipNotice.id, int))


SHIP_NOTICES = Dataset(
    name="ship_notices",
    audience="supplier",
    fields=_ship_notice_fields,
    key=("number",),
    base=lambda: select_columns(_ship_notice_fields, _ship_notice_sort).select_from(ShipNotice),
    order=_ship_notice_sort,
    filters={"number": ShipNotice.number},
    scopes={"own_documents": owned_by(ShipNotice.supplier_id)},
    subjects={"number": (DOCUMENT, None)},
)

#: A ship notice's lines: what was shipped against which purchase-order line.
_ship_notice_line_order = aliased(PurchaseOrder)
_ship_notice_line_fields: dict[str, Expr] = {
    "notice_number": ShipNotice.number,
    "order_number": _ship_notice_line_order.number,
    "line_no": PurchaseOrderLine.line_no,
    "sku": Item.sku,
    "item": Item.name,
    "qty": ShipNoticeLine.qty,
    "uom": Item.uom,
}
_ship_notice_line_sort = ((ShipNotice.id, int), (ShipNoticeLine.id, int))


def _ship_notice_lines_base() -> Select[Any]:
    return (
        select_columns(_ship_notice_line_fields, _ship_notice_line_sort)
        .select_from(ShipNoticeLine)
        .join(ShipNotice, ShipNotice.id == ShipNoticeLine.notice_id)
        .join(PurchaseOrderLine, PurchaseOrderLine.id == ShipNoticeLine.po_line_id)
        .join(_ship_notice_line_order, _ship_notice_line_order.id == PurchaseOrderLine.order_id)
        .join(Item, Item.id == PurchaseOrderLine.item_id)
    )


SHIP_NOTICE_LINES = Dataset(
    name="ship_notice_lines",
    audience="supplier",
    fields=_ship_notice_line_fields,
    key=("notice_number", "order_number", "line_no"),
    base=_ship_notice_lines_base,
    order=_ship_notice_line_sort,
    filters={"notice_number": ShipNotice.number},
    scopes={"own_documents": owned_by(ShipNotice.supplier_id)},
    newest_first=False,
    subjects={
        "notice_number": (DOCUMENT, None),
        "order_number": (DOCUMENT, None),
        "sku": (ITEM, None),
    },
)


# -- forecast: the published plan's demand for the items the viewer supplies, by item, site and week --
_previous_plan = aliased(ForecastPlan)
_previous_bucket = aliased(ForecastBucket)
#: The previous version's figure in the terms of the current one: where the current bucket is already
#: the supplier's own part (a derived plan), an earlier item total counts at the supplier's share.
_previous_part = case(
    (
        and_(ForecastBucket.supplier_id.is_not(None), _previous_bucket.supplier_id.is_(None)),
        _previous_bucket.qty * SourceListEntry.share_pct / 100,
    ),
    else_=_previous_bucket.qty,
)
_previous_qty = (
    select(func.coalesce(func.sum(_previous_part), 0))
    .join(_previous_plan, _previous_plan.id == _previous_bucket.plan_id)
    .where(
        _previous_plan.name == ForecastPlan.name,
        _previous_plan.version == ForecastPlan.version - 1,
        _previous_bucket.item_id == ForecastBucket.item_id,
        _previous_bucket.site_id == ForecastBucket.site_id,
        _previous_bucket.week_start == ForecastBucket.week_start,
        or_(
            _previous_bucket.supplier_id.is_(None),
            _previous_bucket.supplier_id == SourceListEntry.supplier_id,
        ),
    )
    .correlate(ForecastPlan, ForecastBucket, SourceListEntry)
    .scalar_subquery()
)
_forecast_fields: dict[str, Expr] = {
    "sku": Item.sku,
    "item": Item.name,
    "uom": Item.uom,
    "site": Site.code,
    "week": ForecastBucket.week_start,
    "qty": func.sum(ForecastBucket.qty),
    "previous_qty": _previous_qty,
    # A bucket that is already the supplier's own part counts in full, not at the item's share again.
    "share_pct": case((ForecastBucket.supplier_id.is_(None), SourceListEntry.share_pct), else_=literal(100)),
    "plan_version": ForecastPlan.version,
    "published_at": ForecastPlan.published_at,
    "frozen_until": ForecastPlan.frozen_until,
}
_forecast_sort = ((Item.sku, str), (Site.code, str), (ForecastBucket.week_start, dt.date))


def _published_buckets(query: Select[Any]) -> Select[Any]:
    """The published plan's buckets for items on a source list, with their item and site."""
    return (
        query.select_from(ForecastBucket)
        .join(
            ForecastPlan,
            and_(ForecastPlan.id == ForecastBucket.plan_id, ForecastPlan.status == PlanStatus.published),
        )
        .join(
            SourceListEntry,
            and_(
                _sourced(ForecastBucket.item_id, ForecastBucket.site_id),
                # A derived plan's bucket is one supplier's part: only that supplier's entry joins it.
                or_(
                    ForecastBucket.supplier_id.is_(None),
                    ForecastBucket.supplier_id == SourceListEntry.supplier_id,
                ),
            ),
        )
        .join(Item, Item.id == ForecastBucket.item_id)
        .join(Site, Site.id == ForecastBucket.site_id)
    )


def _skus_supplied(viewer: PartnerId) -> Select[Any]:
    """The SKUs on the viewer's source list: every forecast row it may see is of one of them."""
    return (
        select(Item.sku)
        .join(SourceListEntry, SourceListEntry.item_id == Item.id)
        .where(SourceListEntry.supplier_id == viewer)
        .distinct()
    )


def _forecast_base() -> Select[Any]:
    return _published_buckets(select_columns(_forecast_fields, _forecast_sort, {"site": Site.code})).group_by(
        Item.sku,
        Item.name,
        Item.uom,
        Site.code,
        ForecastBucket.week_start,
        ForecastBucket.item_id,
        ForecastBucket.site_id,
        SourceListEntry.share_pct,
        SourceListEntry.supplier_id,
        ForecastBucket.supplier_id,
        ForecastPlan.id,
        ForecastPlan.name,
        ForecastPlan.version,
        ForecastPlan.published_at,
        ForecastPlan.frozen_until,
    )


FORECAST = Dataset(
    name="forecast",
    audience="supplier",
    fields=_forecast_fields,
    key=("sku", "site", "week"),
    base=_forecast_base,
    order=_forecast_sort,
    filters={"sku": Item.sku, "site": Site.code},
    window=Window("sku", "supplied_by_viewer", _skus_supplied),
    scopes={"supplied_by_viewer": _supplied_by_viewer},
    newest_first=False,
    subjects={"sku": (ITEM, None), "site": (SITE, Site.code)},
    measures=("qty", "previous_qty"),
    time_field="week",
    derived_from={"qty": DEMAND, "previous_qty": PREVIOUS_DEMAND, "share_pct": SUPPLY_SHARE},
)


#: Just which weeks the plan has for the viewer's items: what the home page counts, without the sums.
_forecast_week_fields: dict[str, Expr] = {
    "sku": Item.sku,
    "site": Site.code,
    "week": ForecastBucket.week_start,
    "frozen_until": ForecastPlan.frozen_until,
}


def _not_committed_by(viewer: PartnerId, wanted: bool) -> ColumnElement[bool]:
    """Weeks the viewer has not committed to yet (``wanted`` True), or those it has (False)."""
    committed = exists().where(
        ForecastCommit.plan_id == ForecastBucket.plan_id,
        ForecastCommit.supplier_id == viewer,
        ForecastCommit.item_id == ForecastBucket.item_id,
        ForecastCommit.site_id == ForecastBucket.site_id,
        ForecastCommit.week_start == ForecastBucket.week_start,
    )
    return not_(committed) if wanted else committed


def _forecast_weeks_base() -> Select[Any]:
    return (
        _published_buckets(select_columns(_forecast_week_fields, _forecast_sort, {"site": Site.code}))
        .where(
            or_(ForecastPlan.frozen_until.is_(None), ForecastBucket.week_start > ForecastPlan.frozen_until)
        )
        .distinct()
    )


FORECAST_WEEKS = Dataset(
    name="forecast_weeks",
    audience="supplier",
    fields=_forecast_week_fields,
    key=("sku", "site", "week"),
    base=_forecast_weeks_base,
    order=_forecast_sort,
    filters={"sku": Item.sku},
    conditions={"uncommitted": _not_committed_by},
    scopes={"supplied_by_viewer": _supplied_by_viewer},
    newest_first=False,
    subjects={"sku": (ITEM, None), "site": (SITE, Site.code)},
)


# -- inventory: stock of the items the viewer supplies, at each site --
_inventory_fields: dict[str, Expr] = {
    "sku": Item.sku,
    "item": Item.name,
    "uom": Item.uom,
    "site": Site.code,
    "on_hand": InventoryPosition.on_hand,
    "on_order": InventoryPosition.on_order,
    "safety_stock": InventoryPosition.safety_stock,
    "days_of_supply": type_coerce(
        case(
            (
                InventoryPosition.daily_usage > 0,
                func.round(InventoryPosition.on_hand / InventoryPosition.daily_usage),
            ),
            else_=None,
        ),
        Numeric(12, 0),
    ),
    "as_of": InventoryPosition.as_of,
}
_inventory_sort = ((Item.sku, str), (Site.code, str))


def _inventory_base() -> Select[Any]:
    return (
        select_columns(_inventory_fields, _inventory_sort, {"site": Site.code})
        .select_from(InventoryPosition)
        .join(SourceListEntry, _sourced(InventoryPosition.item_id, InventoryPosition.site_id))
        .join(Item, Item.id == InventoryPosition.item_id)
        .join(Site, Site.id == InventoryPosition.site_id)
    )


INVENTORY = Dataset(
    name="inventory",
    audience="supplier",
    fields=_inventory_fields,
    key=("sku", "site"),
    base=_inventory_base,
    order=_inventory_sort,
    filters={"sku": Item.sku, "site": Site.code},
    scopes={"supplied_by_viewer": _supplied_by_viewer, "sites_viewer_serves": _supplier_sites(Site.id)},
    newest_first=False,
    subjects={"sku": (ITEM, None), "site": (SITE, Site.code)},
    derived_from={"on_hand": STOCK_ON_HAND},
)


# -- consumption: goods issues of the items the viewer supplies, and the customer each went to --
_consumption_customer = aliased(Partner)
_consumption_fields: dict[str, Expr] = {
    "sku": Item.sku,
    "item": Item.name,
    "uom": Item.uom,
    "site": Site.code,
    "issued_on": Consumption.issued_on,
    "qty": Consumption.qty,
    "customer": _consumption_customer.name,
}
_consumption_sort = ((Item.sku, str), (Consumption.issued_on, dt.date), (Consumption.id, int))


def _consumption_base() -> Select[Any]:
    return (
        select_columns(
            _consumption_fields,
            _consumption_sort,
            {"site": Site.code, "customer": _consumption_customer.code},
        )
        .select_from(Consumption)
        .join(SourceListEntry, _sourced(Consumption.item_id, Consumption.site_id))
        .join(Item, Item.id == Consumption.item_id)
        .join(Site, Site.id == Consumption.site_id)
        .outerjoin(_consumption_customer, _consumption_customer.id == Consumption.customer_id)
    )


CONSUMPTION = Dataset(
    name="consumption",
    audience="supplier",
    fields=_consumption_fields,
    key=("sku", "site", "issued_on"),
    base=_consumption_base,
    order=_consumption_sort,
    filters={"sku": Item.sku, "site": Site.code},
    scopes={
        "supplied_by_viewer": _supplied_by_viewer,
        "sites_viewer_serves": _supplier_sites(Site.id),
        "key_account_demand": _key_account_demand(Consumption.customer_id),
    },
    forbid_only=frozenset({"key_account_demand"}),
    newest_first=False,
    window=Window("sku", "supplied_by_viewer", _skus_supplied),
    subjects={
        "sku": (ITEM, None),
        "site": (SITE, Site.code),
        "customer": (CUSTOMER, _consumption_customer.code),
    },
    measures=("qty",),
    time_field="issued_on",
    derived_from={"qty": CONSUMED},
)


# -- the source list: the items the viewer supplies ----------------------------------------------------


_supplied_item_fields: dict[str, Expr] = {
    "sku": Item.sku,
    "item": Item.name,
    "uom": Item.uom,
    "lead_time_days": SourceListEntry.lead_time_days,
    "share_pct": SourceListEntry.share_pct,
}
_supplied_item_sort = ((Item.sku, str), (SourceListEntry.id, int))


SUPPLIED_ITEMS = Dataset(
    name="supplied_items",
    audience="supplier",
    fields=_supplied_item_fields,
    key=("sku",),
    base=lambda: (
        select_columns(_supplied_item_fields, _supplied_item_sort)
        .select_from(SourceListEntry)
        .join(Item, Item.id == SourceListEntry.item_id)
    ),
    order=_supplied_item_sort,
    filters={"sku": Item.sku},
    scopes={"supplied_by_viewer": _supplied_by_viewer},
    newest_first=False,
    subjects={"sku": (ITEM, None)},
    derived_from={"share_pct": SUPPLY_SHARE},
)


# -- forecast commits: the viewer's answers to the published plan --------------------------------------


_forecast_commit_fields: dict[str, Expr] = {
    "sku": Item.sku,
    "site": Site.code,
    "week": ForecastCommit.week_start,
    "committed_qty": ForecastCommit.committed_qty,
    "forecast_qty": ForecastCommit.forecast_qty,
    "status": ForecastCommit.status,
    "comment": ForecastCommit.comment,
    "revision": ForecastCommit.revision,
}
_forecast_commit_sort = ((Item.sku, str), (Site.code, str), (ForecastCommit.week_start, dt.date))


FORECAST_COMMITS = Dataset(
    name="forecast_commits",
    audience="supplier",
    fields=_forecast_commit_fields,
    key=("sku", "site", "week"),
    base=lambda: (
        select_columns(_forecast_commit_fields, _forecast_commit_sort, {"site": Site.code})
        .select_from(ForecastCommit)
        .join(
            ForecastPlan,
            and_(ForecastPlan.id == ForecastCommit.plan_id, ForecastPlan.status == PlanStatus.published),
        )
        .join(Item, Item.id == ForecastCommit.item_id)
        .join(Site, Site.id == ForecastCommit.site_id)
    ),
    order=_forecast_commit_sort,
    filters={"sku": Item.sku, "site": Site.code, "status": ForecastCommit.status},
    scopes={"own_documents": owned_by(ForecastCommit.supplier_id)},
    newest_first=False,
    subjects={"sku": (ITEM, None), "site": (SITE, Site.code)},
    derived_from={"forecast_qty": DEMAND},
)


#: In the order the console and the API list them.
SUPPLIER_DATASETS = (
    PURCHASE_ORDERS,
    PURCHASE_ORDER_LINES,
    SHIP_NOTICES,
    SHIP_NOTICE_LINES,
    FORECAST,
    FORECAST_WEEKS,
    INVENTORY,
    CONSUMPTION,
    SUPPLIED_ITEMS,
    FORECAST_COMMITS,
)
