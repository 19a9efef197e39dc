"""A cookie session's check is remembered per worker, and still refuses what Flask would refuse."""

from __future__ import annotations

import datetime as dt
import time

from flask import Flask, flash, session

from internal.web.cookie_sessions import RememberedCookieSessions


def make_app(hours: float = 8) -> Flask:
    app = Flask("cookies")
    app.secret_key = "a-test-secret"
    app.permanent_session_lifetime = dt.timedelta(hours=hours)
    app.session_interface = RememberedCookieSessions()

    @app.get("/set")
    def put() -> str:
        session["token"] = "abc"
        session["csrf_token"] = "def"
        return "set"

    @app.get("/read")
    def read() -> str:
        return ",".join(f"{k}={v}" for k, v in sorted(session.items()))

    @app.get("/flash")
    def flashed() -> str:
        flash("saved")
        return "flashed"

    return app


def test_a_cookie_checked_once_reads_the_same_and_is_remembered():
    app = make_app()
    client = app.test_client()
    client.get("/set")
    remembered = app.session_interface._checked  # type: ignore[attr-defined]
    assert client.get("/read").get_data(as_text=True) == "csrf_token=def,token=abc"
    assert len(remembered) == 1
    assert client.get("/read").get_data(as_text=True) == "csrf_token=def,token=abc"
    assert len(remembered) == 1


def test_a_changed_or_foreign_cookie_is_no_session():
    app = make_app()
    client = app.test_client()
    client.get("/set")
    cookie = client.get_cookie("session").value
    client.get("/read")
    client.set_cookie("session", cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB"))
    assert client.get("/read").get_data(as_text=True) == ""
    other = make_app()
    other.secret_key = "another-secret"
    stranger = other.test_client()
    stranger.set_cookie("session", cookie)
    assert stranger.get("/read").get_data(as_text=True) == ""


def test_a_remembered_cookie_still_expires(monkeypatch):
    app = make_app(hours=1)
    client = app.test_client()
    client.get("/set")
    assert client.get("/read").get_data(as_text=True) != ""
    later = time.time() + 2 * 3600
    monkeypatch.setattr(time, "time", lambda: later)
    assert client.get("/read").get_data(as_text=True) == ""


def test_sessions_holding_lists_are_not_remembered():
    app = make_app()
    client = app.test_client()
    client.get("/flash")
    client.get("/read")
    assert app.session_interface._checked == {}  # type: ignore[attr-defined]
