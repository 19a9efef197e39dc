"""SCM: forecast plans and buckets, purchase orders with line responses, forecast commits, ship notices."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from internal.models.erp import Item, Site
from internal.models.parties import Account, Partner
from internal.models.types import (
    Base,
    account_fk,
    code,
    created_now,
    currency,
    enum_column,
    intpk,
    item_fk,
    money,
    partner_fk,
    quantity,
    site_fk,
    updated_now,
)


class PlanStatus(enum.StrEnum):
    draft = "draft"
    published = "published"
    superseded = "superseded"


class ForecastPlan(Base):
    """One version of the demand plan; partners only ever see published versions."""

    __tablename__ = "forecast_plan"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(60))
    version: Mapped[int]
    status: Mapped[PlanStatus] = mapped_column(enum_column(PlanStatus), default=PlanStatus.draft)
    #: Monday of the first week bucket.
    horizon_start: Mapped[dt.date]
    weeks: Mapped[int]
    #: Buckets up to and including this date can no longer take commits.
    frozen_until: Mapped[dt.date | None]
    published_at: Mapped[dt.datetime | None]
    created_at: Mapped[created_now]


class ForecastBucket(Base):
    """Demand for one item at one site in one week, with what drives it."""

    __tablename__ = "forecast_bucket"
    __table_args__ = (Index("ix_forecast_bucket_plan_item_week", "plan_id", "item_id", "week_start"),)

    id: Mapped[intpk]
    plan_id: Mapped[int] = mapped_column(ForeignKey("forecast_plan.id", ondelete="CASCADE"))
    item_id: Mapped[int] = item_fk()
    site_id: Mapped[int] = site_fk()
    #: Monday of the week.
    week_start: Mapped[dt.date]
    qty: Mapped[quantity]
    #: The customer whose demand this is, when known (a trade secret).
    customer_id: Mapped[int | None] = partner_fk(nullable=True)
    #: Where customer is unknown: the channel ("retail", "distribution", "spares", "internal").
    channel: Mapped[str] = mapped_column(String(30), default="")
    #: A derived plan splits a component's demand across its suppliers: this share is for this supplier
    #: alone, in the week it must be ordered (None: the item's whole demand, split by the source list).
    #: Not indexed: SQLite's planner took such an index for the forecast's own joins and slowed them
    #: from milliseconds to seconds on the large demo.
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id", ondelete="RESTRICT"))


class PurchaseOrderStatus(enum.StrEnum):
    open = "open"
    acknowledged = "acknowledged"
    partially_shipped = "partially_shipped"
    closed = "closed"
    cancelled = "cancelled"


class PurchaseOrder(Base):
    __tablename__ = "purchase_order"
    __table_args__ = (Index("ix_purchase_order_supplier_date", "supplier_id", "order_date", "id"),)

    id: Mapped[intpk]
    number: Mapped[code]
    supplier_id: Mapped[int] = partner_fk()
    #: Deliver-to site.
    site_id: Mapped[int] = site_fk()
    buyer_id: Mapped[int | None] = account_fk()
    order_date: Mapped[dt.date]
    status: Mapped[PurchaseOrderStatus] = mapped_column(
        enum_column(PurchaseOrderStatus), default=PurchaseOrderStatus.open
    )
    currency: Mapped[currency]
    #: Bumped each time the buyer changes the order, so suppliers see it changed.
    revision: Mapped[int] = mapped_column(default=1)
    #: The revision its supplier's users were last e-mailed about; 0 until the order is announced.
    notified_revision: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[created_now]
    updated_at: Mapped[updated_now]

    supplier: Mapped[Partner] = relationship()
    site: Mapped[Site] = relationship()
    lines: Mapped[list[PurchaseOrderLine]] = relationship(
        back_populates="order", order_by="PurchaseOrderLine.line_no", cascade="all, delete-orphan"
    )


class LineStatus(enum.StrEnum):
    open = "open"
    accepted = "accepted"
    rejected = "rejected"
    change_proposed = "change_proposed"
    closed = "closed"


class PurchaseOrderLine(Base):
    __tablename__ = "purchase_order_line"
    __table_args__ = (UniqueConstraint("order_id", "line_no"),)

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int]
    item_id: Mapped[int] = item_fk()
    qty: Mapped[quantity]
    unit_price: Mapped[money]
    need_by: Mapped[dt.date]
    status: Mapped[LineStatus] = mapped_column(enum_column(LineStatus), default=LineStatus.open)
    shipped_qty: Mapped[quantity]
    received_qty: Mapped[quantity]
    #: Optimistic lock: two people answering the same line at once cannot both win.
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy mapper configuration

    order: Mapped[PurchaseOrder] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship()
    responses: Mapped[list[PurchaseOrderLineResponse]] = relationship(
        order_by="PurchaseOrderLineResponse.created_at", cascade="all, delete-orphan"
    )


class ResponseAction(enum.StrEnum):
    accept = "accept"
    reject = "reject"
    propose = "propose"


class ProposalDecision(enum.StrEnum):
    accepted = "accepted"
    declined = "declined"


class PurchaseOrderLineResponse(Base):
    """The supplier's answer to one purchase-order line (and, to a proposal, the buyer's decision)."""

    __tablename__ = "purchase_order_line_response"

    id: Mapped[intpk]
    line_id: Mapped[int] = mapped_column(ForeignKey("purchase_order_line.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int | None] = account_fk()
    action: Mapped[ResponseAction] = mapped_column(enum_column(ResponseAction))
    reason: Mapped[str] = mapped_column(String(400), default="")
    proposed_qty: Mapped[quantity | None] = mapped_column(nullable=True)
    proposed_date: Mapped[dt.date | None]
    created_at: Mapped[created_now]
    #: The buyer's answer to a proposal: None while it awaits a decision (and for accepts and rejects).
    decision: Mapped[ProposalDecision | None] = mapped_column(enum_column(ProposalDecision), nullable=True)
    #: Why the buyer declined; the supplier reads it on its purchase-order page.
    decision_reason: Mapped[str] = mapped_column(String(400), default="", server_default="")
    decided_by_id: Mapped[int | None] = account_fk()
    decided_at: Mapped[dt.datetime | None]

    account: Mapped[Account | None] = relationship(foreign_keys=[account_id])


class CommitStatus(enum.StrEnum):
    ok = "ok"
    shortfall = "shortfall"
    surplus = "surplus"


class ForecastCommit(Base):
    """A supplier's committed supply for one item, site and week of a published plan."""

    __tablename__ = "forecast_commit"
    __table_args__ = (UniqueConstraint("plan_id", "supplier_id", "item_id", "site_id", "week_start"),)

    id: Mapped[intpk]
    plan_id: Mapped[int] = mapped_column(ForeignKey("forecast_plan.id", ondelete="CASCADE"), index=True)
    supplier_id: Mapped[int] = partner_fk()
    item_id: Mapped[int] = item_fk()
    site_id: Mapped[int] = site_fk()
    week_start: Mapped[dt.date]
    committed_qty: Mapped[quantity]
    #: The forecast the supplier committed against, kept so the flag stays explainable.
    forecast_qty: Mapped[quantity]
    status: Mapped[CommitStatus] = mapped_column(enum_column(CommitStatus))
    comment: Mapped[str] = mapped_column(String(400), default="")
    account_id: Mapped[int | None] = account_fk()
    revision: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[created_now]
    updated_at: Mapped[updated_now]


class ShipNoticeStatus(enum.StrEnum):
    sent = "sent"
    in_transit = "in_transit"
    received = "received"
    cancelled = "cancelled"


class ShipNotice(Base):
    """An advance ship notice from a supplier, covering lines of one or more purchase orders."""

    __tablename__ = "ship_notice"

    id: Mapped[intpk]
    number: Mapped[code]
    supplier_id: Mapped[int] = partner_fk()
    ship_date: Mapped[dt.date]
    expected_arrival: Mapped[dt.date]
    carrier: Mapped[str] = mapped_column(String(60))
    tracking_number: Mapped[str] = mapped_column(String(60), default="")
    status: Mapped[ShipNoticeStatus] = mapped_column(
        enum_column(ShipNoticeStatus), default=ShipNoticeStatus.sent
    )
    created_by_id: Mapped[int | None] = account_fk()
    created_at: Mapped[created_now]

    lines: Mapped[list[ShipNoticeLine]] = relationship(cascade="all, delete-orphan")


class ShipNoticeLine(Base):
    __tablename__ = "ship_notice_line"

    id: Mapped[intpk]
    notice_id: Mapped[int] = mapped_column(ForeignKey("ship_notice.id", ondelete="CASCADE"), index=True)
    po_line_id: Mapped[int] = mapped_column(ForeignKey("purchase_order_line.id"), index=True)
    qty: Mapped[quantity]
