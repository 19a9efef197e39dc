"""The disclosure gate: everything a partner sees passes through ``disclose``. No Flask here."""

from policies.gate import (
    Column,
    Disclosure,
    Page,
    PolicyUnavailable,
    UnknownDataset,
    UnknownFilter,
    Viewer,
    disclose,
)

__all__ = [
    "Column",
    "Disclosure",
    "Page",
    "PolicyUnavailable",
    "UnknownDataset",
    "UnknownFilter",
    "Viewer",
    "disclose",
]
