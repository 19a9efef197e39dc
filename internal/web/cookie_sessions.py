"""Flask's signed-cookie sessions, with each cookie's check remembered by the worker that made it."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature

#: Cookies a worker process remembers having checked; the least recently seen go first.
REMEMBERED = 4096


class RememberedCookieSessions(SecureCookieSessionInterface):
    """The cookie session of Flask, whose check of a given cookie is done once per worker.

    A browser sends the same cookie with every request until its session changes. Checking it (two
    HMACs, then base64, zlib and tagged JSON) cost about 40 microseconds a request, and for the same
    cookie string and key the answer is always the same but for its age, which is checked again against
    the session's lifetime every time. Only sessions of plain values (strings, numbers, booleans; ours
    hold the sign-in token, the CSRF secret and a language) are remembered, so nothing a request does to
    its session can change a remembered one; a changed session is saved as a new cookie string. That
    the session behind the cookie still exists is a question for the database on every request
    (internal/accounts.py), so signing out ends it at once, remembered or not.
    """

    def __init__(self) -> None:
        self._checked: OrderedDict[str, tuple[int, dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return self.session_class()
        lifetime = app.permanent_session_lifetime.total_seconds()
        checked = self._checked.get(cookie)
        if checked is not None:
            signed_at, values = checked
            if 0 <= int(time.time()) - signed_at <= lifetime:  # itsdangerous's own test of age
                return self.session_class(values)
        try:
            values, signed = serializer.loads(cookie, max_age=int(lifetime), return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if all(isinstance(value, str | int | float | bool) for value in values.values()):
            with self._lock:
                self._checked[cookie] = (int(signed.timestamp()), dict(values))
                while len(self._checked) > REMEMBERED:
                    self._checked.popitem(last=False)
        return self.session_class(values)
