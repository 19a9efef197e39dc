"""Who may use a console page: every view names the staff roles it needs with one decorator.

The console's sign-in already admits staff only (internal.web.auth); ``requires`` adds the role check,
and ``can`` answers the same question for a page that shows or hides a button.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required

from internal.accounts import StaffRole

__all__ = ["ANY_STAFF", "MANAGERS", "POLICY_ADMINS", "StaffRole", "can", "requires"]

View = TypeVar("View", bound=Callable[..., Any])

#: Staff who change data: buyers and policy admins (there is no separate service or sales role yet).
MANAGERS = (StaffRole.policy_admin, StaffRole.buyer)
#: Staff who decide what partners see: their groups, status and the sharing policy.
POLICY_ADMINS = (StaffRole.policy_admin,)
#: Every signed-in staff member, viewers included.
ANY_STAFF: tuple[StaffRole, ...] = ()


def can(*roles: str) -> bool:
    """Whether the signed-in staff member holds one of ``roles`` (any staff member when none are named).

    Roles are StaffRole members or their values ("buyer"), so templates can ask too.
    """
    if not current_user.is_authenticated:
        return False
    return not roles or current_user.staff_role in roles


def requires(*roles: str) -> Callable[[View], View]:
    """Signed-in staff only (others go to sign in); with ``roles``, only those (others get 403)."""

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not can(*roles):
                abort(403)
            return view(*args, **kwargs)

        protected: View = login_required(guarded)
        return protected

    return decorate
