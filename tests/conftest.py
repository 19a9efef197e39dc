"""Test fixtures: one migrated database per session, each test in a transaction rolled back after.

DATABASE_URL chooses the database: SQLite in a temporary file by default, PostgreSQL when it points
there (a scratch database is created beside the one named and dropped at the end).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from internal.db import make_engine, make_session_factory
from internal.migrate import upgrade

REQUIRE_ALL = os.environ.get("PORTAL_TEST_REQUIRE_ALL") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    # In CI every part (PostgreSQL, Redis, Chromium) is installed: a skip there hides a broken set-up.
    if REQUIRE_ALL and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where nothing may skip: {report.longrepr}"


@contextmanager
def scratch_database(tmp_path_factory: pytest.TempPathFactory, label: str) -> Iterator[str]:
    """A new, empty database on the backend DATABASE_URL names (SQLite file by default), dropped after."""
    base = os.environ.get("DATABASE_URL")
    if not base or make_url(base).get_backend_name() != "postgresql":
        path: Path = tmp_path_factory.mktemp(label) / f"{label}.db"
        yield f"sqlite:///{path}"
        return
    url = make_url(base)
    name = f"portal_{label}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A freshly migrated, empty database for this test session."""
    with scratch_database(tmp_path_factory, "test") as url:
        upgrade(url)
        install_default_policy(url)
        yield url


def install_default_policy(url: str) -> None:
    """Make the shipped default set the active policy (tests of approval build their own versions)."""
    import hashlib

    from internal.models import PolicyStatus, PolicyVersion
    from policies import DEFAULT_SET

    text = DEFAULT_SET.read_text(encoding="utf-8")
    eng = make_engine(url)
    with make_session_factory(eng)() as sess:
        sess.add(
            PolicyVersion(
                number=1,
                content_hash=hashlib.sha256(text.encode()).hexdigest(),
                document=text,
                status=PolicyStatus.active,
            )
        )
        sess.commit()
    eng.dispose()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside an outer transaction that is rolled back after the test."""
    with engine.connect() as conn:
        trans = conn.begin()
        yield conn
        if trans.is_active:
            trans.rollback()


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    """A session whose commits are savepoints inside the test's transaction."""
    factory = make_session_factory(connection)
    with factory() as sess:
        yield sess


def app_config(connection: Connection, **extra: Any) -> dict[str, Any]:
    """Settings for an app bound to the test's connection, so its commits roll back with the test."""
    return {
        "DATABASE_BIND": connection,
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "RATELIMIT_ENABLED": False,
        "CELERY_BROKER_URL": "",
        "CELERY_ALWAYS_EAGER": True,
        **extra,
    }


@pytest.fixture
def extranet(connection: Connection) -> Any:
    import portal

    return portal.create_app(app_config(connection))


@pytest.fixture
def console(connection: Connection) -> Any:
    import internal

    return internal.create_app(app_config(connection))


@pytest.fixture
def client(extranet: Any) -> Any:
    return extranet.test_client()


@pytest.fixture
def console_client(console: Any) -> Any:
    return console.test_client()
