"""Server time of partner pages on the large demo (1,000,000 order lines, 50,000 items): median of runs.

The large demo is built once into bench-results/large-<schema revision>.db (about 80 s on SQLite)
and reused after.
Issue target: every page under 100 ms.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from pathlib import Path

RESULTS = Path("bench-results")


def schema_head() -> str:
    from alembic.script import ScriptDirectory

    from internal.migrate import alembic_config

    return str(ScriptDirectory.from_config(alembic_config()).get_current_head())


#: Named by the schema revision it was built at: a new migration builds a new one.
DATABASE = RESULTS / f"large-{schema_head()}.db"
RUNS = 7
PAGES = {
    "supplier.user@example.com": [
        "/supplier/",
        "/supplier/forecast",
        "/supplier/inventory",
        "/supplier/purchase-orders",
        "/supplier/ship-notices/new",
    ],
    "customer.user@example.com": [
        "/customer/",
        "/customer/orders",
        "/customer/orders?q={reference}",
        "/customer/orders/{order}",
        "/customer/shipments",
        "/customer/invoices",
        "/customer/invoices?status=overdue",
        "/customer/statement.pdf",
        "/customer/statement.xlsx",
        "/customer/service-requests",
        "/customer/availability",
    ],
}


def customer_documents(url: str) -> dict[str, str]:
    """The demo customer's (CUS-001, the largest) newest order with the most lines, and its reference."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        order, reference = conn.execute(
            text(
                "SELECT o.number, o.customer_reference FROM sales_order o "
                "JOIN partner p ON p.id = o.customer_id WHERE p.code = 'CUS-001' "
                "ORDER BY (SELECT count(*) FROM sales_order_line l WHERE l.order_id = o.id) DESC, "
                "o.order_date DESC LIMIT 1"
            )
        ).one()
    engine.dispose()
    return {"order": order, "reference": reference}


def build() -> str:
    from internal.db import make_engine, make_session_factory
    from internal.demo import load_demo
    from internal.migrate import upgrade
    from policies import load_demo_policy

    url = f"sqlite:///{DATABASE.resolve()}"
    if DATABASE.exists():
        return url
    RESULTS.mkdir(exist_ok=True)
    partial = DATABASE.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    partial_url = f"sqlite:///{partial.resolve()}"
    upgrade(partial_url)
    engine = make_engine(partial_url)
    with make_session_factory(engine)() as session:
        summary = load_demo(session, "large")
        # As `portal demo load` does: the demo's sharing policy, proposed and approved.
        load_demo_policy(session, "policy.admin@example.com", "buyer@example.com")
        session.commit()
    engine.dispose()
    partial.rename(DATABASE)
    print(f"built the large demo in {summary.elapsed_seconds:.0f} s")  # noqa: T201
    return url


def main() -> None:
    import portal
    from internal.demo import DEMO_PASSWORD

    url = build()
    app = portal.create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})
    figures: dict[str, float] = {}
    documents = customer_documents(url)
    for email, paths in PAGES.items():
        paths = [path.format(**documents) for path in paths]
        client = app.test_client()
        token = re.search(
            r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True)
        )
        assert token is not None
        client.post("/login", data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token.group(1)})
        for path in paths:
            client.get(path)
            times = []
            for _ in range(RUNS):
                started = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            figures[path] = statistics.median(times)
    print(f"{'page (large demo, SQLite)':<44}{'median ms':>10}{'  under 100 ms':>15}")  # noqa: T201
    for path, ms in figures.items():
        print(f"{path:<44}{ms:>10.1f}{'yes' if ms < 100 else 'NO':>15}")  # noqa: T201
    (RESULTS / "large_pages.json").write_text(
        json.dumps({k: round(v, 1) for k, v in figures.items()}, indent=2)
    )
