"""Test fixtures: one migrated database per session, each test in a transaction rolled back after.

DATABASE_URL chooses the database: SQLite in a temporary file by default, PostgreSQL when it points
there (a scratch database is created beside the one named and dropped at the end).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from internal.db import make_engine, make_session_factory
from internal.migrate import upgrade

REQUIRE_ALL = os.environ.get("PORTAL_TEST_REQUIRE_ALL") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    del config, items


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    # In CI every part (PostgreSQL, Redis, Chromium) is installed: a skip there hides a broken set-up.
    if REQUIRE_ALL and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where nothing may skip: {report.longrepr}"


def _scratch_database(base_url: str) -> tuple[str, Engine | None]:
    url = make_url(base_url)
    if url.get_backend_name() != "postgresql":
        return base_url, None
    name = f"portal_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return url.set(database=name).render_as_string(hide_password=False), admin


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A freshly migrated, empty database for this test session."""
    base = os.environ.get("DATABASE_URL")
    if not base:
        path: Path = tmp_path_factory.mktemp("db") / "test.db"
        base = f"sqlite:///{path}"
    url, admin = _scratch_database(base)
    upgrade(url)
    yield url
    if admin is not None:
        name = make_url(url).database
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


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
