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
        if policies.versions.active(session) is None:
            policies.load_demo_policy(session, "policy.admin@example.com", "buyer@example.com")
            session.commit()

        def who(code: str) -> policies.Viewer:
            partner = session.scalar(select(Partner).where(Partner.code == code))
            assert partner is not None
            groups = frozenset(g.name for g in partner.groups)
            return policies.Viewer(None, partner.id, code, partner.kind.value, groups)

        cases = {
            "SUP-001 inventory (all its items)": (who("SUP-001"), "inventory", 500),
            "SUP-001 forecast, 52 weeks, one page": (who("SUP-001"), "forecast", 500),
            "SUP-002 forecast (12-week horizon)": (who("SUP-002"), "forecast", 500),
            "CUS-001 orders, one page": (who("CUS-001"), "orders", 50),
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
    (RESULTS / "policies.json").write_text(
        json.dumps({"transforms": rates, "disclose_ms": timings}, indent=2)
    )
