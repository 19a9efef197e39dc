"""Browser tests: both apps served on free ports over a demo database, driven in Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from oidc_provider_mock import User, run_server_in_thread
from werkzeug.serving import make_server

from internal import jobs
from internal.db import make_engine, make_session_factory
from internal.web import dispose_database
from tests.conftest import scratch_database
from tests.smtp_sink import Inbox, free_port

CHROMIUM = "/usr/bin/chromium"
PORTAL_CLI = str(Path(sys.executable).with_name("portal"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not shutil.which(CHROMIUM):
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        # The machine has no network beyond loopback: keep Chromium from calling home.
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
        ],
    }


@pytest.fixture(scope="session")
def base_url() -> None:
    """Replaces pytest-playwright's own, which fails under filterwarnings=error."""
    return None


@dataclass(frozen=True)
class Servers:
    extranet: str
    console: str
    database_url: str
    #: What the apps' e-mails (sent by their in-process tasks) delivered to a real SMTP server.
    mailbox: Inbox | None = None


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """Both apps on free ports, on a database prepared by the real CLI: migrate, then the small demo."""
    import internal
    import portal

    with scratch_database(tmp_path_factory, "browser") as url:
        env = {**os.environ, "DATABASE_URL": url}
        for args in (["db", "upgrade"], ["demo", "load", "--scale", "small"]):
            subprocess.run([PORTAL_CLI, *args], env=env, check=True, capture_output=True, timeout=300)
        mailbox, smtp_port = Inbox(), free_port()
        smtp = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
        smtp.start()
        config = {
            "DATABASE_URL": url,
            "SECRET_KEY": "browser-test-secret",
            "RATELIMIT_ENABLED": False,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": smtp_port,
        }
        apps = (portal.create_app(config), internal.create_app(config))
        # In-process tasks get an engine this fixture closes, not one left open for the next tests.
        task_engine = make_engine(url)
        previous = jobs.use_session_factory(make_session_factory(task_engine))
        running = [make_server("127.0.0.1", 0, app, threaded=True) for app in apps]
        for server in running:
            threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield Servers(
                extranet=f"http://127.0.0.1:{running[0].server_port}",
                console=f"http://127.0.0.1:{running[1].server_port}",
                database_url=url,
                mailbox=mailbox,
            )
        finally:
            for server in running:
                server.shutdown()
                server.server_close()
            for app in apps:
                dispose_database(app)
            jobs.use_session_factory(previous)
            task_engine.dispose()
            smtp.stop()


@pytest.fixture(autouse=True)
def _saved_languages_as_loaded(request: pytest.FixtureRequest) -> None:
    """Each browser test starts with the demo accounts' saved languages as the demo left them: a first
    sign-in from a Chinese browser saves Chinese on the account, and the next test would see Chinese."""
    if "servers" not in request.fixturenames:
        return
    servers = request.getfixturevalue("servers")
    from sqlalchemy import create_engine, text

    engine = create_engine(servers.database_url)
    try:
        with engine.begin() as connection:
            if not _loaded_languages:
                _loaded_languages.update(
                    {row.id: row.locale for row in connection.execute(text("SELECT id, locale FROM account"))}
                )
            connection.execute(
                text("UPDATE account SET locale = :locale WHERE id = :id"),
                [{"id": id_, "locale": locale} for id_, locale in _loaded_languages.items()],
            )
    finally:
        engine.dispose()


#: Account id to saved language, as the demo loaded them (read before the first browser test).
_loaded_languages: dict[int, str | None] = {}


#: The policy admin's subject at the loopback OpenID Connect provider (the `company_console` fixture).
SUBJECT = "c0ffee-policy-admin"


@pytest.fixture(scope="session")
def company_console(servers) -> Iterator[str]:
    """The console configured for the company's provider, over the browser tests' demo database.

    One provider for the session: its address is its issuer, and a staff account stays linked to the
    identity it first signed in with (a second provider would be another company's)."""
    import internal

    users = [User(sub=SUBJECT, claims={"email": "policy.admin@example.com", "email_verified": True})]
    # Making an app configures the process's background jobs (SMTP and all): the other browser tests'
    # e-mails must keep reaching their sink after this app exists.
    jobs_config = jobs.current_config()
    with run_server_in_thread(user_claims=users) as provider:
        app = internal.create_app(
            {
                "DATABASE_URL": servers.database_url,
                "SECRET_KEY": "browser-test-secret",
                "RATELIMIT_ENABLED": False,
                "OIDC_DISCOVERY_URL": f"http://localhost:{provider.server_port}/.well-known/openid-configuration",
                "OIDC_CLIENT_ID": "portal-console",
                "OIDC_CLIENT_SECRET": "browser-console-secret",
            }
        )
        jobs.configure(jobs_config)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            server.server_close()
            dispose_database(app)
