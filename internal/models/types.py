"""Reusable column types: UTC timestamps, money, quantities, and the declarative base."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from typing import Annotated, Any

from sqlalchemy import JSON, DateTime, Enum, ForeignKey, MetaData, Numeric, String, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, mapped_column


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp that is always timezone-aware UTC in Python, whatever the database keeps."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        value = value.astimezone(dt.UTC)
        # SQLite keeps no zone: store naive UTC there and put the zone back on the way out.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=naming_convention)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


intpk = Annotated[int, mapped_column(primary_key=True)]
created_now = Annotated[dt.datetime, mapped_column(UTCDateTime(), default=utcnow)]
updated_now = Annotated[dt.datetime, mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)]
#: Money amounts: always next to a currency column.
money = Annotated[decimal.Decimal, mapped_column(Numeric(16, 2))]
#: Quantities in the item's unit of measure.
quantity = Annotated[decimal.Decimal, mapped_column(Numeric(16, 3))]
currency = Annotated[str, mapped_column(String(3), default="EUR")]
code = Annotated[str, mapped_column(String(40), unique=True)]
name = Annotated[str, mapped_column(String(200))]
short = Annotated[str, mapped_column(String(40))]


def partner_fk(nullable: bool = False, *, index: bool = True, **kw: Any) -> Any:
    return mapped_column(ForeignKey("partner.id", ondelete="RESTRICT"), nullable=nullable, index=index, **kw)


def item_fk(nullable: bool = False) -> Any:
    return mapped_column(ForeignKey("item.id", ondelete="RESTRICT"), nullable=nullable, index=True)


def site_fk(nullable: bool = False) -> Any:
    return mapped_column(ForeignKey("site.id", ondelete="RESTRICT"), nullable=nullable, index=True)


def account_fk(nullable: bool = True, *, index: bool = True) -> Any:
    return mapped_column(ForeignKey("account.id", ondelete="SET NULL"), nullable=nullable, index=index)


def enum_column(enum_cls: type[enum.Enum], **kw: object) -> Enum:
    """Store an enum by its value, as a portable VARCHAR with a CHECK (no PostgreSQL ENUM types)."""
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=30,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
        **kw,
    )
