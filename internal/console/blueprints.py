"""The ``console`` blueprint: its pages come from several topic modules of internal.console.views
(partners, purchasing, ...), which keeps their endpoint names (``console.partners``) stable."""

from __future__ import annotations

from flask import Blueprint

console = Blueprint("console", __name__, template_folder="templates")

#: Rows on one page of a console list.
PAGE_SIZE = 50
