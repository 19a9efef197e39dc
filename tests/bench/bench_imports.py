"""Imports and the demand derivation, timed.

- 1,000,000 sales-order lines in the CRM dialect (250,000 orders of four lines), generated here into
  bench-results/ (never committed), imported into a new SQLite database; target under 60 s.
- The same file again, unchanged: target under 20 s, and 0 added, 0 changed.
- Supplier demand derived from customer demand on the large demo (built by bench_large_pages); target
  under 60 s. The draft it writes is rolled back.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from pathlib import Path

RESULTS = Path("bench-results")
ORDERS, LINES_PER_ORDER, ITEMS, CUSTOMERS = 250_000, 4, 5_000, 400


def write_crm_file(path: Path) -> None:
    rng = random.Random(20261203)
    start = dt.date(2026, 1, 5)
    with path.open("w", encoding="utf-8") as out:
        out.write('{"sales_orders": [\n')
        for n in range(ORDERS):
            day = start + dt.timedelta(days=n % 330)
            lines = [
                {
                    "line_no": k + 1,
                    "item": f"BI-{rng.randrange(ITEMS):05}",
                    "qty": rng.randint(1, 400),
                    "unit_price": f"{rng.randint(100, 90000) / 100:.2f}",
                    "promised_date": (day + dt.timedelta(days=21)).isoformat(),
                }
                for k in range(LINES_PER_ORDER)
            ]
            order = {
                "number": f"BSO-{n:07}",
                "customer": f"BC-{n % CUSTOMERS:04}",
                "site": "BS01",
                "order_date": day.isoformat(),
                "requested_date": (day + dt.timedelta(days=28)).isoformat(),
                "status": "CONF",
                "total_amount": "1000.00",
                "lines": lines,
            }
            out.write(("," if n else "") + json.dumps(order, separators=(",", ":")) + "\n")
        out.write("]}\n")


def master_data() -> list[tuple[str, bytes]]:
    sites = "code,name,kind,region,country\nBS01,Bench Plant,plant,EMEA,DE\n"
    items = "sku,name,kind,uom,standard_cost\n" + "".join(
        f"BI-{n:05},Bench item {n},finished,EA,10\n" for n in range(ITEMS)
    )
    return [("sites.csv", sites.encode()), ("items.csv", items.encode())]


def customers() -> bytes:
    return json.dumps(
        {"customers": [{"code": f"BC-{n:04}", "name": f"Bench customer {n}"} for n in range(CUSTOMERS)]}
    ).encode()


def bench_import() -> dict[str, float]:
    from internal.db import make_engine, make_session_factory
    from internal.integration.load import load_files
    from internal.migrate import upgrade
    from internal.models import SourceSystem

    RESULTS.mkdir(exist_ok=True)
    source = RESULTS / "crm-1m-lines.json"
    if not source.exists():
        write_crm_file(source)
    database = RESULTS / "imports.db"
    database.unlink(missing_ok=True)
    url = f"sqlite:///{database.resolve()}"
    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory() as session:
        load_files(session, SourceSystem.erp, master_data())
        load_files(session, SourceSystem.crm, [("customers.json", customers())])
        session.commit()
    figures = {}
    for label in ("first import", "unchanged re-import"):
        with factory() as session:
            started, cpu = time.perf_counter(), time.process_time()
            result = load_files(session, SourceSystem.crm, [(source.name, source.read_bytes())])
            session.commit()
            figures[label] = time.perf_counter() - started
        lines = result.counts["sales_order_lines"]
        # The machine may be shared: this process's CPU time says what the wall clock alone cannot.
        print(  # noqa: T201
            f"{label:<22} {figures[label]:6.1f} s ({time.process_time() - cpu:.1f} s CPU)   lines added "
            f"{lines.added:,} changed {lines.changed:,} unchanged {lines.unchanged:,}"
        )
    engine.dispose()
    return figures


def bench_derive() -> float:
    from internal.db import make_engine, make_session_factory
    from internal.integration.demand import write_derived_plan
    from tests.bench.bench_large_pages import build

    engine = make_engine(build())
    with make_session_factory(engine)() as session:
        started, cpu = time.perf_counter(), time.process_time()
        _plan, derivation = write_derived_plan(session, start=dt.date.today(), weeks=26)  # noqa: DTZ011
        elapsed = time.perf_counter() - started
        print(  # noqa: T201
            f"{'derivation, large demo':<22} {elapsed:6.1f} s ({time.process_time() - cpu:.1f} s CPU)   "
            f"{len(derivation.net):,} bought item-site pairs, "
            f"{len(derivation.by_supplier()):,} supplier buckets"
        )
        session.rollback()
    engine.dispose()
    return elapsed


def main() -> None:
    figures = bench_import()
    figures["derivation, large demo"] = bench_derive()
    targets = {"first import": 60, "unchanged re-import": 20, "derivation, large demo": 60}
    print(f"{'measure (SQLite)':<26}{'seconds':>8}{'target':>8}  met")  # noqa: T201
    for name, seconds in figures.items():
        print(f"{name:<26}{seconds:>8.1f}{targets[name]:>8}  {'yes' if seconds < targets[name] else 'NO'}")  # noqa: T201
    (RESULTS / "imports.json").write_text(json.dumps({k: round(v, 1) for k, v in figures.items()}, indent=2))


if __name__ == "__main__":
    main()
