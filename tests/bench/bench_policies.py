"""The gate's speed: transforms in values per second, and disclosures on the large demo.

Issue targets: transforms at 1,000,000 field values per second or more; one supplier's inventory and
52-week forecast, and a page of a customer's orders, each under 50 ms.
"""

from __future__ import annotations

import json
import statistics
import time
from decimal import Decimal
from pathlib import Path

from tests.bench.bench_large_pages import schema_head

RESULTS = Path("bench-results")
N = 1_000_000


def transforms() -> dict[str, float]:
    from policies.transforms import Context, Transform, column

    values = [Decimal(i % 5000) for i in range(N)]
    cases = {
        "round to 100 (floor)": Transform("round", (Decimal(100), "floor")),
        "band out/low/ok/high": Transform(
            "band", ((Decimal(0), "out"), (Decimal(100), "low"), (Decimal(1000), "ok"), (None, "high"))
        ),
        "cap at 1000": Transform("cap", (Decimal(1000),)),
    }
    rates = {}
    for name, transform in cases.items():
        apply = column(transform, Context())
        started = time.perf_counter()
        apply(values)
        rates[name] = N / (time.perf_counter() - started)
    return rates


def disclosures() -> dict[str, float]:
    from sqlalchemy import select

    import policies
    from internal.db import make_engine, make_session_factory
    from internal.models import Partner, PartnerGroup
    from tests.bench.bench_large_pages import build

    engine = make_engine(build())
    timings: dict[str, float] = {}
    with make_session_factory(engine)() as session:

        def who(code: str) -> policies.Viewer:
            partner = session.scalar(select(Partner).where(Partner.code == code))
            assert partner is not None
            groups = frozenset(g.name for g in partner.groups)
            return policies.Viewer(None, partner.id, code, partner.kind.value, groups)

        cases = {
            "SUP-001 inventory (all its items)": (who("SUP-001"), "inventory", 500),
            "SUP-001 forecast, 52 weeks, one page": (who("SUP-001"), "forecast", 500),
            "SUP-002 forecast (12-week horizon)": (who("SUP-002"), "forecast", 500),
            "SUP-001 consumption, weekly per customer": (who("SUP-001"), "consumption", 500),
            "SUP-002 consumption, monthly sums": (who("SUP-002"), "consumption", 500),
            "CUS-001 orders, one page": (who("CUS-001"), "orders", 50),
            "CUS-001 shipments, one page": (who("CUS-001"), "shipments", 50),
            "CUS-001 invoices, one page": (who("CUS-001"), "invoices", 50),
            "CUS-001 service requests, one page": (who("CUS-001"), "service_requests", 50),
            "CUS-001 availability, one page": (who("CUS-001"), "availability", 50),
        }
        del PartnerGroup
        for name, (viewer, dataset, size) in cases.items():
            runs = []
            for _ in range(7):
                started = time.perf_counter()
                policies.disclose(session, viewer, dataset, page=policies.Page(size=size))
                runs.append((time.perf_counter() - started) * 1000)
            timings[name] = statistics.median(runs)
        session.rollback()
    engine.dispose()
    return timings


def main() -> None:
    rates = transforms()
    print(f"{'transform (1,000,000 values)':<40}{'values/s':>14}")  # noqa: T201
    for name, rate in rates.items():
        print(f"{name:<40}{rate:>14,.0f}")  # noqa: T201
    timings = disclosures()
    print(f"{'disclosure (large demo, SQLite)':<40}{'median ms':>14}")  # noqa: T201
    for name, ms in timings.items():
        print(f"{name:<40}{ms:>14.1f}")  # noqa: T201
    RESULTS.mkdir(exist_ok=True)
    asked = ledger()
    print(f"{'ledger question':<40}{'median ms':>14}")  # noqa: T201
    for name, ms in asked.items():
        print(f"{name:<40}{ms:>14,.1f}")  # noqa: T201
    (RESULTS / "policies.json").write_text(
        json.dumps({"transforms": rates, "disclose_ms": timings, "ledger_ms": asked}, indent=2)
    )


#: Named by the schema revision it was built at, like the large demo.
LEDGER = RESULTS / f"ledger-1m-{schema_head()}.db"
RECORDS = 1_000_000


def ledger() -> dict[str, float]:
    """The ledger's question at a million records: what partner X saw about subject Y between two dates."""
    import datetime as dt
    import random

    from sqlalchemy import func, insert, select

    from internal.db import make_engine, make_session_factory
    from internal.migrate import upgrade
    from internal.models import DisclosureRecord, DisclosureSubject, Partner, PartnerKind, PolicyVersion
    from policies import ledger as ledger_

    url = f"sqlite:///{LEDGER.resolve()}"
    fresh = not LEDGER.exists()
    if fresh:
        upgrade(url)
    engine = make_engine(url)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with make_session_factory(engine)() as session:
        if fresh:
            rng = random.Random(7)
            session.execute(
                insert(Partner),
                [
                    {"id": n, "code": f"P-{n:04d}", "name": f"Partner {n}", "kind": PartnerKind.supplier}
                    for n in range(1, 1001)
                ],
            )
            session.add(PolicyVersion(id=1, number=1, content_hash="0" * 64, document="rules: []"))
            session.flush()
            for chunk in range(0, RECORDS, 50_000):
                records = []
                for n in range(chunk + 1, chunk + 50_001):
                    at = start + dt.timedelta(seconds=rng.randrange(300 * 86_400))
                    skus = sorted({f"SKU-{rng.randrange(50_000):05d}" for _ in range(rng.randint(1, 8))})
                    subjects = [["item", sku] for sku in skus]
                    if rng.random() < 0.2:
                        subjects.append(["customer", f"CUS-{rng.randrange(500):03d}"])
                    records.append(
                        {
                            "id": n,
                            "at": at,
                            "partner_id": rng.randint(1, 1000),
                            "channel": "web",
                            "dataset": "inventory",
                            "policy_version_id": 1,
                            "policy_hash": "0" * 64,
                            "row_keys": [[sku] for sku in skus],
                            "fields": {"on_hand": "band"},
                            "row_count": len(skus),
                            "subjects": subjects,
                        }
                    )
                # As the gate writes them: the records only; the trigger indexes their subjects.
                session.execute(insert(DisclosureRecord), records)
            session.commit()
        count = session.scalar(select(func.count()).select_from(DisclosureRecord))
        timings: dict[str, float] = {"records": float(count or 0)}
        for kind in ("item", "customer"):
            # A subject some partner was really shown, so the question has answers to return.
            partner_id, subject, at = session.execute(
                select(DisclosureSubject.partner_id, DisclosureSubject.subject, DisclosureSubject.at)
                .where(DisclosureSubject.kind == kind, DisclosureSubject.record_id >= RECORDS // 2)
                .limit(1)
            ).one()
            code = f"P-{partner_id:04d}"
            runs, found = [], []
            for _ in range(7):
                started = time.perf_counter()
                found = ledger_.query(
                    session,
                    partner_code=code,
                    subject=subject,
                    since=at - dt.timedelta(days=45),
                    until=at + dt.timedelta(days=45),
                )
                runs.append((time.perf_counter() - started) * 1000)
            assert found, (code, subject)
            label = "an item" if kind == "item" else "a customer"
            timings[f"about {label}, one partner, 3 months"] = statistics.median(runs)
    engine.dispose()
    return timings
