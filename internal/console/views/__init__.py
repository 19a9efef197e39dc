"""The staff console's pages, one module per topic; each view names the roles it needs (roles.py) and
reads and writes through the core's services and the policy gate, never the tables themselves.
"""

from __future__ import annotations

from internal.console.blueprints import PAGE_SIZE, console
from internal.console.views import partners, purchasing
from internal.console.views.api_clients import console_api_clients
from internal.console.views.audit import audit_log
from internal.console.views.imports import import_status_label, imports
from internal.console.views.inbox import inbox
from internal.console.views.ledger import console_ledger
from internal.console.views.overview import overview
from internal.console.views.planning import plans
from internal.console.views.policies import policy_workbench
from internal.console.views.sales_desk import sales
from internal.console.views.service_desk import desk

__all__ = [
    "PAGE_SIZE",
    "audit_log",
    "console",
    "console_api_clients",
    "console_ledger",
    "desk",
    "import_status_label",
    "imports",
    "inbox",
    "overview",
    "partners",
    "plans",
    "policy_workbench",
    "purchasing",
    "sales",
]
