"""Sixteen partners clicking at the same moment against `portal serve`: no error page, no lost record.

Runs on whichever database DATABASE_URL names (SQLite by default, PostgreSQL in CI).
"""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from internal.db import make_engine, make_session_factory
from internal.demo import DEMO_PASSWORD, add_partner_sign_ins, load_demo
from internal.migrate import upgrade
from internal.models import (
    DisclosureRecord,
    ForecastCommit,
    Item,
    Partner,
    ServiceRequest,
    ShipNotice,
    Site,
)
from policies import load_demo_policy
from tests.concurrency import PartnerClient, commit_form, serving, ship_notice_form
from tests.conftest import scratch_database

USERS = 16
REQUESTS = 400
SUPPLIER_READS = (
    "/supplier/",
    "/supplier/inventory",
    "/supplier/purchase-orders",
    "/supplier/ship-notices",
    "/supplier/forecast.csv",
    "/supplier/purchase-orders.xlsx",
)
CUSTOMER_READS = (
    "/customer/",
    "/customer/orders",
    "/customer/shipments",
    "/customer/invoices",
    "/customer/service-requests",
    "/customer/availability",
    "/customer/orders.csv",
    "/customer/statement.pdf",
)


def _prepare(url: str) -> list[Any]:
    upgrade(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        load_demo(session, "small")
        load_demo_policy(session, "policy.admin@example.com", "buyer@example.com")
        sign_ins = add_partner_sign_ins(session, USERS)
        session.commit()
    engine.dispose()
    return list(sign_ins)


def _ledger_size(url: str) -> int:
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        count = session.scalar(select(func.count()).select_from(DisclosureRecord))
    engine.dispose()
    return int(count or 0)


def _all_at_once(clients: list[PartnerClient], work: Any) -> None:
    """Run ``work(client)`` in a thread per client, released together; re-raise the first failure."""
    barrier = threading.Barrier(len(clients))
    failures: list[BaseException] = []

    def run(client: PartnerClient) -> None:
        try:
            barrier.wait(timeout=60)
            work(client)
        except BaseException as error:  # reported below, on the test's own thread
            failures.append(error)

    threads = [threading.Thread(target=run, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    if failures:
        raise failures[0]


@pytest.mark.parametrize(
    "server",
    [(), ("--workers", "2")],
    ids=["one process, threaded", "gunicorn, two workers"],
)
def test_sixteen_partners_at_once_never_get_a_server_error_and_every_disclosure_is_recorded(
    tmp_path_factory: pytest.TempPathFactory, server: tuple[str, ...]
) -> None:
    with scratch_database(tmp_path_factory, "concurrent") as url:
        sign_ins = _prepare(url)
        assert {s.side for s in sign_ins} == {"supplier", "customer"}
        with serving(url, *server) as base:
            clients = [PartnerClient(base, s.email, DEMO_PASSWORD, s.side) for s in sign_ins]
            _all_at_once(clients, PartnerClient.sign_in)  # sixteen sign-ins at the same moment

            # Each client's reads, once in turn: how many disclosures (ledger records) each page makes.
            per_page: dict[tuple[str, str], int] = {}
            plans: dict[str, list[tuple[str, str, dict[str, str]]]] = {}
            for client in clients:
                reads = SUPPLIER_READS if client.side == "supplier" else CUSTOMER_READS
                for path in reads:
                    before = _ledger_size(url)
                    assert client.get(path).status_code == 200, (client.email, path)
                    per_page[(client.email, path)] = _ledger_size(url) - before
                plans[client.email] = [("GET", path, {}) for path in reads]
                if client.side == "supplier":
                    form = commit_form(client)
                    notice = ship_notice_form(client)
                    if form is not None:
                        for qty in (11, 12, 13):
                            data = {"csrf_token": form.token, "sku": form.sku, form.field_name: str(qty)}
                            plans[client.email].append(("POST", "/supplier/forecast", data))
                    if notice is not None:
                        plans[client.email].append(("POST", "/supplier/ship-notices/new", notice))
                else:
                    token = client.token("/customer/service-requests/new")
                    for n in range(2):
                        request = {"csrf_token": token, "subject": f"Load test {n}", "body": "Where is it?"}
                        plans[client.email].append(("POST", "/customer/service-requests/new", request))
            writes = sum(1 for plan in plans.values() for method, _, _ in plan if method == "POST")
            assert writes >= 8, "the demo should give most suppliers a week to commit and a line to ship"

            per_client = REQUESTS // USERS
            expected = 0
            for client in clients:
                plan = plans[client.email]
                # Reads and writes interleaved; the writes kept in order, so the last commit is 13.
                reads = [step for step in plan if step[0] == "GET"]
                posts = [step for step in plan if step[0] == "POST"]
                steps = [reads[i % len(reads)] for i in range(per_client - len(posts))]
                for n, post in enumerate(posts):
                    steps.insert(min(len(steps), 3 + n * 4), post)
                plans[client.email] = steps
                expected += sum(
                    per_page[(client.email, path)] for method, path, _ in steps if method == "GET"
                )

            for client in clients:
                client.answers.clear()
            before = _ledger_size(url)

            def storm(client: PartnerClient) -> None:
                for method, path, data in plans[client.email]:
                    if method == "GET":
                        client.get(path)
                    else:
                        client.post(path, data)

            _all_at_once(clients, storm)
            answers = [answer for client in clients for answer in client.answers]
            assert len(answers) == REQUESTS
            errors = [answer for answer in answers if answer[1] >= 500]
            assert errors == [], f"{len(errors)} server errors, e.g. {errors[:5]}"
            assert {status for _, status in answers} <= {200, 302}, sorted({s for _, s in answers})
            # Every page wrote exactly its disclosures' records: none lost under contention, none twice.
            assert _ledger_size(url) - before == expected

        # The writes happened: each supplier's last commit stands, and each ship notice was stored.
        engine = make_engine(url)
        with make_session_factory(engine)() as session:
            for client in clients:
                posts = [(path, data) for method, path, data in plans[client.email] if method == "POST"]
                commits = [data for path, data in posts if path == "/supplier/forecast"]
                if commits:
                    field_name = next(k for k in commits[-1] if k.startswith("commit-"))
                    site, week = field_name.removeprefix("commit-")[:-11], field_name[-10:]
                    qty = session.scalar(
                        select(ForecastCommit.committed_qty)
                        .join(Partner, Partner.id == ForecastCommit.supplier_id)
                        .join(Item, Item.id == ForecastCommit.item_id)
                        .join(Site, Site.id == ForecastCommit.site_id)
                        .where(
                            Partner.code == _code(client),
                            Item.sku == commits[-1]["sku"],
                            Site.code == site,
                            ForecastCommit.week_start == dt.date.fromisoformat(week),
                        )
                    )
                    assert qty == Decimal(13), (client.email, qty)
            notices = session.scalar(
                select(func.count()).select_from(ShipNotice).where(ShipNotice.tracking_number == "LOAD-TEST")
            )
            shipped = sum(
                1
                for plans_ in plans.values()
                for _, path, _ in plans_
                if path == "/supplier/ship-notices/new"
            )
            assert notices == shipped
            opened = session.scalar(
                select(func.count())
                .select_from(ServiceRequest)
                .where(ServiceRequest.subject.like("Load test %"))
            )
            asked = sum(
                1 for steps in plans.values() for _, p, _ in steps if p.endswith("/service-requests/new")
            )
            assert opened == asked > 0
        engine.dispose()


def _code(client: PartnerClient) -> str:
    return client.email.removeprefix("load.").removesuffix("@example.com").upper()


def test_the_load_test_runs_clean_against_gunicorn_and_reports_every_page(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Any
) -> None:
    import json
    import os
    import subprocess

    from tests.concurrency import PORTAL_CLI

    with scratch_database(tmp_path_factory, "load") as url:
        _prepare(url)
        with serving(url, "--workers", "2") as base:
            figures = tmp_path / "load.json"
            done = subprocess.run(
                [
                    PORTAL_CLI,
                    "loadtest",
                    "--host",
                    base,
                    "--users",
                    "8",
                    "--seconds",
                    "6",
                    "--json",
                    str(figures),
                ],
                env={**os.environ, "DATABASE_URL": url},
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(figures.read_text())
    assert result["server_errors"] == 0
    assert result["failures"] == 0, result["errors"]
    assert result["requests"] > 8  # more than the sign-ins alone, however busy the machine is
    pages = result["pages"]
    assert {"/supplier/", "/supplier/forecast", "/customer/orders", "/login (sign in)"} <= set(pages)
    assert any(name.startswith("/customer/") and name != "/customer/orders" for name in pages)
    assert all(page["p99_ms"] >= page["p50_ms"] > 0 for page in pages.values())
    assert "p95 ms" in done.stdout
    assert "server errors (5xx or lost connections): 0" in done.stdout
