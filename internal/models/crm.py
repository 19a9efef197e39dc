"""CRM: sales orders with their status history, shipments, invoices and service requests."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false
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


class OrderStatus(enum.StrEnum):
    received = "received"
    confirmed = "confirmed"
    in_production = "in_production"
    shipped = "shipped"
    delivered = "delivered"
    invoiced = "invoiced"
    cancelled = "cancelled"


class ShipToSite(Base):
    """One of a customer's own delivery addresses; its orders name the one they go to."""

    __tablename__ = "ship_to_site"
    __table_args__ = (UniqueConstraint("customer_id", "code"),)

    id: Mapped[intpk]
    customer_id: Mapped[int] = partner_fk()
    #: The customer's own short name for the site, unique within that customer.
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(2), default="")


class SalesOrder(Base):
    __tablename__ = "sales_order"
    __table_args__ = (
        Index("ix_sales_order_customer_date", "customer_id", "order_date", "id"),
        Index("ix_sales_order_ship_to_date", "ship_to_id", "order_date", "id"),
    )

    id: Mapped[intpk]
    number: Mapped[code]
    customer_id: Mapped[int] = partner_fk()
    #: The customer's own purchase-order reference.
    customer_reference: Mapped[str] = mapped_column(String(60), default="")
    #: The site that fulfils the order.
    site_id: Mapped[int] = site_fk()
    #: Where the customer wants it delivered, when it has several sites.
    ship_to_id: Mapped[int | None] = mapped_column(ForeignKey("ship_to_site.id", ondelete="RESTRICT"))
    #: Asked for by the customer (a reorder) and not yet confirmed by sales staff.
    draft: Mapped[bool] = mapped_column(default=False, server_default=false())
    order_date: Mapped[dt.date]
    requested_date: Mapped[dt.date]
    status: Mapped[OrderStatus] = mapped_column(enum_column(OrderStatus), default=OrderStatus.received)
    total_amount: Mapped[money]
    currency: Mapped[currency]
    created_at: Mapped[created_now]
    updated_at: Mapped[updated_now]

    customer: Mapped[Partner] = relationship()
    site: Mapped[Site] = relationship()
    ship_to: Mapped[ShipToSite | None] = relationship()
    lines: Mapped[list[SalesOrderLine]] = relationship(
        back_populates="order", order_by="SalesOrderLine.line_no", cascade="all, delete-orphan"
    )
    events: Mapped[list[SalesOrderEvent]] = relationship(
        order_by="SalesOrderEvent.at", cascade="all, delete-orphan"
    )


class SalesOrderLine(Base):
    __tablename__ = "sales_order_line"
    __table_args__ = (UniqueConstraint("order_id", "line_no"),)

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int]
    item_id: Mapped[int] = item_fk()
    qty: Mapped[quantity]
    unit_price: Mapped[money]
    promised_date: Mapped[dt.date | None]
    shipped_qty: Mapped[quantity]

    order: Mapped[SalesOrder] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship()


class SalesOrderEvent(Base):
    """One step in an order's status history."""

    __tablename__ = "sales_order_event"

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id", ondelete="CASCADE"), index=True)
    status: Mapped[OrderStatus] = mapped_column(enum_column(OrderStatus))
    at: Mapped[dt.datetime]
    note: Mapped[str] = mapped_column(String(400), default="")


class ShipmentStatus(enum.StrEnum):
    planned = "planned"
    in_transit = "in_transit"
    delivered = "delivered"
    exception = "exception"


class Shipment(Base):
    __tablename__ = "shipment"

    id: Mapped[intpk]
    number: Mapped[code]
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = partner_fk()
    from_site_id: Mapped[int] = site_fk()
    carrier: Mapped[str] = mapped_column(String(60))
    tracking_number: Mapped[str] = mapped_column(String(60), default="")
    status: Mapped[ShipmentStatus] = mapped_column(enum_column(ShipmentStatus))
    shipped_at: Mapped[dt.datetime | None]
    eta: Mapped[dt.date | None]
    delivered_at: Mapped[dt.datetime | None]

    order: Mapped[SalesOrder] = relationship()
    lines: Mapped[list[ShipmentLine]] = relationship(cascade="all, delete-orphan")


class ShipmentLine(Base):
    __tablename__ = "shipment_line"

    id: Mapped[intpk]
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipment.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("sales_order_line.id", ondelete="CASCADE"))
    qty: Mapped[quantity]


class InvoiceStatus(enum.StrEnum):
    open = "open"
    paid = "paid"
    overdue = "overdue"
    cancelled = "cancelled"


class Invoice(Base):
    __tablename__ = "invoice"

    id: Mapped[intpk]
    number: Mapped[code]
    customer_id: Mapped[int] = partner_fk()
    order_id: Mapped[int | None] = mapped_column(ForeignKey("sales_order.id"), index=True)
    issued_on: Mapped[dt.date]
    due_on: Mapped[dt.date]
    amount: Mapped[money]
    currency: Mapped[currency]
    status: Mapped[InvoiceStatus] = mapped_column(enum_column(InvoiceStatus))
    paid_on: Mapped[dt.date | None]


class ServiceRequestStatus(enum.StrEnum):
    open = "open"
    in_progress = "in_progress"
    waiting_on_customer = "waiting_on_customer"
    resolved = "resolved"
    closed = "closed"


class ServiceRequest(Base):
    __tablename__ = "service_request"

    id: Mapped[intpk]
    number: Mapped[code]
    customer_id: Mapped[int] = partner_fk()
    order_id: Mapped[int | None] = mapped_column(ForeignKey("sales_order.id"), index=True)
    item_id: Mapped[int | None] = item_fk(nullable=True)
    subject: Mapped[str] = mapped_column(String(200))
    status: Mapped[ServiceRequestStatus] = mapped_column(enum_column(ServiceRequestStatus))
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    opened_by_id: Mapped[int | None] = account_fk()
    created_at: Mapped[created_now]
    updated_at: Mapped[updated_now]

    messages: Mapped[list[ServiceRequestMessage]] = relationship(
        order_by="ServiceRequestMessage.created_at", cascade="all, delete-orphan"
    )


class ServiceRequestMessage(Base):
    __tablename__ = "service_request_message"

    id: Mapped[intpk]
    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = account_fk()
    body: Mapped[str] = mapped_column(Text)
    #: Staff notes the customer never sees.
    internal_only: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[created_now]

    author: Mapped[Account | None] = relationship()


class PartnerContact(Base):
    """A person at a customer (or supplier), as the CRM keeps them; not a portal account."""

    __tablename__ = "partner_contact"
    __table_args__ = (UniqueConstraint("partner_id", "email"),)

    id: Mapped[intpk]
    partner_id: Mapped[int] = partner_fk()
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(40), default="")
    #: What the person does for the partner ("purchasing", "accounts payable").
    role: Mapped[str] = mapped_column(String(60), default="")
