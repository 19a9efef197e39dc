"""Signed-in pages per second under gunicorn, side by side with a bare Flask "hello" under the same
gunicorn, the same worker count, on the same machine, in one run (issue: pages at a fifth of bare).

The small demo on SQLite; `wrk` (Debian package `wrk`) sends the requests over loopback with the
session cookie of a signed-in demo user. Every page answers 200 or the run fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urljoin

import requests

from tests.smtp_sink import free_port

WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
CONNECTIONS = 8
RESULTS = Path("bench-results")
AGENT = "portal-bench"
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
PAGES = {
    "supplier.user@example.com": (
        "/supplier/",
        "/supplier/forecast",
        "/supplier/inventory",
        "/supplier/purchase-orders",
    ),
    "customer.user@example.com": ("/customer/orders",),
}


@contextmanager
def gunicorn(app: str, env: dict[str, str], folder: str) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [GUNICORN, "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}", "--chdir", folder, app],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(base + "/", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def wrk(url: str, cookie: str | None = None) -> float:
    """Requests per second over SECONDS; refuses a run with any answer other than 200."""
    args = [
        "wrk",
        "-t2",
        f"-c{CONNECTIONS}",
        f"-d{SECONDS}s",
        "--timeout",
        "30s",
        "-H",
        f"User-Agent: {AGENT}",
    ]
    if cookie:
        args += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx or 3xx" in out or "Socket errors" in out:
        raise RuntimeError(f"{url}: not every answer was 200:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    return float(match.group(1))


def sign_in(base: str, email: str) -> str:
    from internal.demo import DEMO_PASSWORD

    http = requests.Session()
    # One browser throughout: sign-in keeps the session bound to its user agent (Flask-Login's session
    # protection), and a request from another agent would mark the session not fresh, and re-sign it.
    http.headers["User-Agent"] = AGENT
    page = http.get(f"{base}/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    answer = http.post(
        f"{base}/login",
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token},
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.status_code
    # The first page after signing in adds the session's CSRF secret to its cookie; a browser keeps the
    # new cookie, and so does the bench (wrk sends one cookie throughout).
    assert http.get(urljoin(f"{base}/login", answer.headers["Location"])).status_code == 200
    return "; ".join(f"{k}={v}" for k, v in http.cookies.items())


def main() -> None:
    if shutil.which("wrk") is None:
        print("skipped: wrk is not installed (apt-get install wrk)")  # noqa: T201
        return
    from internal.db import make_engine, make_session_factory
    from internal.demo import load_demo
    from internal.migrate import upgrade
    from policies import load_demo_policy

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        upgrade(url)
        engine = make_engine(url)
        with make_session_factory(engine)() as session:
            load_demo(session, "small")
            load_demo_policy(session, "policy.admin@example.com", "buyer@example.com")
            session.commit()
        engine.dispose()
        Path(folder, "hello.py").write_text(
            'from flask import Flask\napp = Flask("hello")\napp.add_url_rule("/", "hello", lambda: "hello")\n'
        )
        figures: dict[str, float] = {}
        with gunicorn("hello:app", {}, folder) as base:
            figures["bare Flask hello"] = wrk(base + "/")
        env = {"DATABASE_URL": url, "SECRET_KEY": "bench-secret", "RATELIMIT_STORAGE_URI": "memory://"}
        with gunicorn("portal:create_app()", env, str(Path.cwd())) as base:
            figures["/login (signed out)"] = wrk(base + "/login")
            for email, paths in PAGES.items():
                cookie = sign_in(base, email)
                for path in paths:
                    figures[path] = wrk(base + path, cookie)

    bare = figures["bare Flask hello"]
    print(f"gunicorn, {WORKERS} workers, {CONNECTIONS} connections, {SECONDS} s each, small demo on SQLite")  # noqa: T201
    print(f"{'page':<34}{'requests/s':>12}{'ratio to bare':>15}")  # noqa: T201
    for name, value in figures.items():
        print(f"{name:<34}{value:>12.0f}{value / bare:>15.2f}")  # noqa: T201
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "served.json").write_text(json.dumps({k: round(v, 1) for k, v in figures.items()}, indent=2))


if __name__ == "__main__":
    main()
