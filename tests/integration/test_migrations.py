"""Migrations move a database that holds data: a running portal takes each release's migrations in place."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from internal.db import make_engine, make_session_factory
from internal.demo import load_demo
from internal.migrate import downgrade, upgrade
from internal.models import Partner, SalesOrder, SalesOrderLine, ShipNotice
from tests.conftest import scratch_database

#: The schema before this round's migrations (customer self-service, accounts, API, imports).
BEFORE = "0004"


def _counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        counts = {
            model.__tablename__: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Partner, SalesOrder, SalesOrderLine, ShipNotice)
        }
    engine.dispose()
    return counts


def test_a_database_holding_the_demo_goes_down_and_back_up_keeping_its_rows(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    with scratch_database(tmp_path_factory, "migrations") as url:
        upgrade(url)
        engine = make_engine(url)
        with make_session_factory(engine)() as session:
            load_demo(session, "small")
            session.commit()
        engine.dispose()
        loaded = _counts(url)
        assert loaded["sales_order_line"] == 5000

        # Down to the schema before this round and up again, with every row in place: on SQLite each
        # step copies tables that other rows point at (sales orders, items, partners).
        downgrade(url, BEFORE)
        assert _counts(url) == loaded
        upgrade(url)
        assert _counts(url) == loaded
