"""ERP: items, sites, inventory positions, bills of material and the supplier source list."""

from __future__ import annotations

import datetime as dt
import decimal
import enum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from internal.models.parties import Partner
from internal.models.types import (
    Base,
    code,
    currency,
    enum_column,
    intpk,
    item_fk,
    money,
    name,
    partner_fk,
    quantity,
    short,
    site_fk,
)


class ItemKind(enum.StrEnum):
    finished = "finished"
    component = "component"
    raw = "raw"


class SiteKind(enum.StrEnum):
    plant = "plant"
    warehouse = "warehouse"


class Site(Base):
    __tablename__ = "site"

    id: Mapped[intpk]
    code: Mapped[code]
    name: Mapped[name]
    kind: Mapped[SiteKind] = mapped_column(enum_column(SiteKind))
    #: Coarse location disclosed instead of the site when a policy generalizes it ("EMEA", "East China").
    region: Mapped[str] = mapped_column(String(60))
    country: Mapped[str] = mapped_column(String(2), default="")


class Item(Base):
    __tablename__ = "item"

    id: Mapped[intpk]
    sku: Mapped[code]
    name: Mapped[name]
    kind: Mapped[ItemKind] = mapped_column(enum_column(ItemKind))
    #: Unit of measure for every quantity of this item (EA, KG, M, L).
    uom: Mapped[short] = mapped_column(default="EA")
    standard_cost: Mapped[money]
    cost_currency: Mapped[currency]
    active: Mapped[bool] = mapped_column(default=True)
    #: Days from a customer's order to shipment that sales quotes for a finished good (None: ask).
    lead_time_days: Mapped[int | None]


class InventoryPosition(Base):
    """Stock of one item at one site, as the ERP last reported it."""

    __tablename__ = "inventory_position"
    __table_args__ = (UniqueConstraint("item_id", "site_id"),)

    id: Mapped[intpk]
    item_id: Mapped[int] = item_fk()
    site_id: Mapped[int] = site_fk()
    on_hand: Mapped[quantity]
    #: Reserved for open sales orders and production.
    allocated: Mapped[quantity]
    #: Open purchase and production orders not yet received.
    on_order: Mapped[quantity]
    safety_stock: Mapped[quantity]
    #: Average consumption per day over the last 13 weeks, for days-of-supply.
    daily_usage: Mapped[quantity]
    as_of: Mapped[dt.datetime]

    item: Mapped[Item] = relationship()
    site: Mapped[Site] = relationship()


class Consumption(Base):
    """A goods issue: stock of an item taken at a site, and the customer order it went into, if any."""

    __tablename__ = "consumption"
    __table_args__ = (Index("ix_consumption_item_issued", "item_id", "issued_on"),)

    id: Mapped[intpk]
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="RESTRICT"))
    site_id: Mapped[int] = site_fk()
    issued_on: Mapped[dt.date]
    qty: Mapped[quantity]
    #: The customer whose order (or project) drew the stock; None for internal use and stocking.
    customer_id: Mapped[int | None] = partner_fk(nullable=True)

    item: Mapped[Item] = relationship()
    site: Mapped[Site] = relationship()


class BomLine(Base):
    __tablename__ = "bom_line"
    __table_args__ = (
        UniqueConstraint("parent_item_id", "component_item_id"),
        CheckConstraint("parent_item_id <> component_item_id", name="not_self"),
    )

    id: Mapped[intpk]
    parent_item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"), index=True)
    component_item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="RESTRICT"), index=True)
    #: Component quantity per one unit of the parent, in the component's unit.
    qty_per: Mapped[quantity]


class SourceListEntry(Base):
    """An approved supplier for an item (optionally for one site), with its lead time and share."""

    __tablename__ = "source_list_entry"
    __table_args__ = (
        UniqueConstraint("item_id", "supplier_id", "site_id"),
        Index("ix_source_list_entry_supplier_item", "supplier_id", "item_id"),
        CheckConstraint("share_pct >= 0 AND share_pct <= 100", name="share_range"),
    )

    id: Mapped[intpk]
    item_id: Mapped[int] = item_fk()
    supplier_id: Mapped[int] = partner_fk()
    #: None: the supplier serves every site for this item.
    site_id: Mapped[int | None] = site_fk(nullable=True)
    lead_time_days: Mapped[int]
    #: Share of the item's demand allocated to this supplier, 0 to 100.
    share_pct: Mapped[decimal.Decimal] = mapped_column(Numeric(5, 2), default=decimal.Decimal(100))
    unit_price: Mapped[money]
    price_currency: Mapped[currency]

    item: Mapped[Item] = relationship()
    supplier: Mapped[Partner] = relationship()
    site: Mapped[Site | None] = relationship()
