"""What a quantity typed by a partner must be before a service stores it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

#: A quantity column: Numeric(16, 3) (internal.models.types.quantity).
DIGITS, DECIMALS = 16, 3
LARGEST = Decimal(10) ** (DIGITS - DECIMALS) - Decimal(1).scaleb(-DECIMALS)


def quantity_problem(value: Decimal, field: str, *, allow_zero: bool = True) -> Any | None:
    """Why ``value`` cannot be stored as the quantity named ``field``, or None when it can.

    Infinity, NaN, negative numbers, more than three decimals and numbers too large for the column
    are refused here, so nothing impossible reaches the database and the pages that read it.
    """
    if not value.is_finite():
        return _l(
            "%(field)s: %(value)s is not a number; enter a quantity like 120.5.", field=field, value=value
        )
    if value < 0 or (value == 0 and not allow_zero):
        if allow_zero:
            return _l("%(field)s: the quantity cannot be negative.", field=field)
        return _l("%(field)s: the quantity must be above zero.", field=field)
    if value > LARGEST:
        return _l("%(field)s: %(value)s is too large for a quantity.", field=field, value=f"{value:.0E}")
    if value.as_tuple().exponent < -DECIMALS and value != round(value, DECIMALS):  # type: ignore[operator]
        return _l("%(field)s: use at most %(n)d decimal places.", field=field, n=DECIMALS)
    return None
