"""Datasets a partner can be shown: fields, key, owner column and ordering, as SQL the database runs.

One module per side (``supplier``, ``customer``), each dataset declared beside its fields; ``base``
holds what both sides are made of. Every name other code uses is importable from here.
"""

from __future__ import annotations

from policies.datasets.base import (
    CENT,
    CONSUMED,
    CUSTOMER,
    DEMAND,
    DOCUMENT,
    ITEM,
    PREVIOUS_DEMAND,
    SITE,
    STOCK_ON_HAND,
    SUPPLY_SHARE,
    Cents,
    Condition,
    Dataset,
    Expr,
    PartnerId,
    Scope,
    ValueCondition,
    Window,
    in_cents,
    on_value,
    time_bucket,
)
from policies.datasets.customer import CUSTOMER_DATASETS
from policies.datasets.supplier import SUPPLIER_DATASETS

#: Every dataset by name: the supplier side's, then the customer side's.
DATASETS: dict[str, Dataset] = {d.name: d for d in (*SUPPLIER_DATASETS, *CUSTOMER_DATASETS)}

__all__ = [
    "CENT",
    "CONSUMED",
    "CUSTOMER",
    "DATASETS",
    "DEMAND",
    "DOCUMENT",
    "ITEM",
    "PREVIOUS_DEMAND",
    "SITE",
    "STOCK_ON_HAND",
    "SUPPLY_SHARE",
    "Cents",
    "Condition",
    "Dataset",
    "Expr",
    "PartnerId",
    "Scope",
    "ValueCondition",
    "Window",
    "in_cents",
    "on_value",
    "time_bucket",
]
