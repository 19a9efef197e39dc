"""Pages per second, in-process, against a bare Flask "hello" measured the same way in the same run.

On the small demo (SQLite): the sign-in page, and signed in as the demo supplier, the workspace and
the purchase-order list (each a gate query plus a ledger record). Ratios are to the bare figure;
the house target is a fifth of it.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from flask import Flask

SECONDS = 3.0
RESULTS = Path("bench-results")


def rate(client: Any, path: str) -> float:
    client.get(path)  # warm caches and the session's last-seen stamp
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < SECONDS:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        count += 1
    return count / elapsed


def main() -> None:
    import portal
    from internal.db import make_engine, make_session_factory
    from internal.demo import DEMO_PASSWORD, load_demo
    from internal.migrate import upgrade

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        upgrade(url)
        engine = make_engine(url)
        with make_session_factory(engine)() as session:
            load_demo(session, "small")
            session.commit()
        engine.dispose()

        hello = Flask("hello")
        hello.add_url_rule("/", "hello", lambda: "hello")
        bare = rate(hello.test_client(), "/")

        app = portal.create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})
        anonymous = app.test_client()
        figures = {"bare Flask hello": bare, "/login (signed out)": rate(anonymous, "/login")}
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        client.post(
            "/login",
            data={"email": "supplier.user@example.com", "password": DEMO_PASSWORD, "csrf_token": token},
        )
        for path in ("/supplier/", "/supplier/purchase-orders"):
            figures[f"{path} (supplier)"] = rate(client, path)

    print(f"{'page':<34}{'requests/s':>12}{'ratio to bare':>15}")  # noqa: T201
    for name, value in figures.items():
        print(f"{name:<34}{value:>12.0f}{value / bare:>15.2f}")  # noqa: T201
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "pages.json").write_text(json.dumps({k: round(v, 1) for k, v in figures.items()}, indent=2))


if __name__ == "__main__":
    main()
