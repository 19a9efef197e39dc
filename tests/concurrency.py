"""Many partners signed in at once against a real server: what the concurrency test and its helpers share.

A ``PartnerClient`` signs in over HTTP like a browser (cookie, CSRF token from the form) and knows
the pages and writes of its side of the portal.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.smtp_sink import free_port

PORTAL_CLI = str(Path(sys.executable).with_name("portal"))
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@contextmanager
def serving(database_url: str, *extra: str) -> Iterator[str]:
    """``portal serve`` (plus ``extra`` options) in a subprocess on free ports; yields the extranet's URL."""
    extranet, console = free_port(), free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "concurrency-test-key"}
    env.pop("CELERY_BROKER_URL", None)
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed below; a pipe would fill and stall the server
    process = subprocess.Popen(
        [PORTAL_CLI, "serve", "--extranet-port", str(extranet), "--console-port", str(console), *extra],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{extranet}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass  # not listening yet, or a worker still starting
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"portal serve did not start: {log.read()[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@dataclass
class PartnerClient:
    base: str
    email: str
    password: str
    side: str
    http: requests.Session = field(default_factory=requests.Session)
    #: Every answer: (what was asked, status).
    answers: list[tuple[str, int]] = field(default_factory=list)

    def get(self, path: str) -> requests.Response:
        response = self.http.get(self.base + path, allow_redirects=False, timeout=60)
        self.answers.append((f"GET {path}", response.status_code))
        return response

    def post(self, path: str, data: dict[str, str]) -> requests.Response:
        response = self.http.post(self.base + path, data=data, allow_redirects=False, timeout=60)
        self.answers.append((f"POST {path}", response.status_code))
        return response

    def token(self, path: str) -> str:
        match = CSRF.search(self.get(path).text)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def sign_in(self) -> None:
        token = self.token("/login")
        response = self.post("/login", {"email": self.email, "password": self.password, "csrf_token": token})
        assert response.status_code == 302, (self.email, response.status_code)


@dataclass(frozen=True)
class CommitForm:
    """One forecast week the supplier may commit to, read from its forecast page."""

    sku: str
    field_name: str
    token: str


def commit_form(client: PartnerClient) -> CommitForm | None:
    page = client.get("/supplier/forecast").text
    sku = re.search(r'<input type="hidden" name="sku" value="([^"]*)"', page)
    week = re.search(r'name="(commit-[^"]+)"', page)
    token = CSRF.search(page)
    if not (sku and week and token and sku.group(1)):
        return None
    return CommitForm(sku.group(1), week.group(1), token.group(1))


def ship_notice_form(client: PartnerClient) -> dict[str, str] | None:
    """A ship notice of one unit of the first open line, or None when nothing is open."""
    page = client.get("/supplier/ship-notices/new").text
    line = re.search(r'name="(qty-[^"]+)"', page)
    token = CSRF.search(page)
    if not (line and token):
        return None
    today = time.strftime("%Y-%m-%d")
    return {
        "csrf_token": token.group(1),
        "ship_date": today,
        "expected_arrival": today,
        "carrier": "DHL",
        "tracking_number": "LOAD-TEST",
        line.group(1): "1",
    }
