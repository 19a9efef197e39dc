"""The enterprise core: the integrated model, services that change it, jobs, and the staff console."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(config_override: dict[str, Any] | None = None) -> Flask:
    """The staff console app (kept lazy so importing the models never imports Flask)."""
    from internal.console import create_app as create_console

    return create_console(config_override)
