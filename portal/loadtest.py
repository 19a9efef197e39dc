"""A bounded load test of a running extranet, with Locust: many signed-in partners at once.

Run as ``python -m portal.loadtest`` (``portal loadtest`` prepares the sign-ins, then starts this in
a fresh process so gevent patches the standard library before anything else imports it). Suppliers
and customers sign in with their own accounts, browse their pages, download exports and make writes
(forecast commits, ship notices) for a fixed time. Prints requests per second and p50/p95/p99 per
page and exits 1 on any server error (5xx) or lost connection.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402 - gevent must patch the standard library first
import json  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections import deque  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402
from locust import HttpUser, between, events, task  # noqa: E402
from locust.env import Environment  # noqa: E402

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ORDER_LINK = re.compile(r'href="/(?:supplier/purchase-orders|customer/orders)/([^"/?.]+)"')
#: (email, password) per side, handed out one per simulated user.
SIGN_INS: dict[str, deque[tuple[str, str]]] = {"supplier": deque(), "customer": deque()}
_hand_out = threading.Lock()


class PartnerUser(HttpUser):
    abstract = True
    side = ""
    wait_time = between(0.1, 0.5)

    def on_start(self) -> None:
        with _hand_out:
            queue = SIGN_INS[self.side]
            email, password = queue[0]
            queue.rotate(-1)
        page = self.client.get("/login", name="/login").text
        token = _token(page)
        with self.client.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": token},
            allow_redirects=False,
            catch_response=True,
            name="/login (sign in)",
        ) as response:
            if response.status_code != 302:
                response.failure(f"sign-in as {email} answered {response.status_code}")

    def read(self, path: str, name: str | None = None) -> str:
        with self.client.get(path, name=name or path, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
            return str(response.text)


class SupplierUser(PartnerUser):
    side = "supplier"

    @task(3)
    def home(self) -> None:
        self.read("/supplier/")

    @task(3)
    def forecast(self) -> None:
        self.read("/supplier/forecast")

    @task(2)
    def inventory(self) -> None:
        self.read("/supplier/inventory")

    @task(2)
    def purchase_orders(self) -> None:
        page = self.read("/supplier/purchase-orders")
        numbers = ORDER_LINK.findall(page)
        if numbers:
            self.read(
                f"/supplier/purchase-orders/{random.choice(numbers)}", "/supplier/purchase-orders/[number]"
            )

    @task(1)
    def exports(self) -> None:
        self.read("/supplier/forecast.csv")
        self.read("/supplier/purchase-orders.xlsx")

    @task(1)
    def commit_forecast(self) -> None:
        page = self.read("/supplier/forecast")
        sku = re.search(r'<input type="hidden" name="sku" value="([^"]+)"', page)
        weeks = re.findall(r'name="(commit-[^"]+)"', page)
        if not (sku and weeks):
            return
        data = {
            "csrf_token": _token(page),
            "sku": sku.group(1),
            random.choice(weeks): str(random.randint(0, 500)),
        }
        self._post("/supplier/forecast", data, "/supplier/forecast (commit)")

    @task(1)
    def ship_notice(self) -> None:
        page = self.read("/supplier/ship-notices/new")
        line = re.search(r'name="(qty-[^"]+)"', page)
        if not line:
            return
        today = time.strftime("%Y-%m-%d")
        data = {
            "csrf_token": _token(page),
            "ship_date": today,
            "expected_arrival": today,
            "carrier": "DHL",
            "tracking_number": "LOAD-TEST",
            line.group(1): "1",
        }
        self._post("/supplier/ship-notices/new", data, "/supplier/ship-notices/new (send)")

    def _post(self, path: str, data: dict[str, str], name: str) -> None:
        with self.client.post(
            path, data=data, name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code not in (302, 303):
                response.failure(f"{response.status_code}")


class CustomerUser(PartnerUser):
    side = "customer"

    @task(2)
    def home(self) -> None:
        self.read("/customer/")

    @task(2)
    def documents(self) -> None:
        self.read("/customer/shipments")
        self.read("/customer/invoices")
        self.read("/customer/availability")

    @task(1)
    def exports(self) -> None:
        self.read("/customer/orders.csv")
        self.read("/customer/statement.pdf")

    @task(1)
    def service_request(self) -> None:
        page = self.read("/customer/service-requests/new")
        data = {"csrf_token": _token(page), "subject": "Load test", "body": "Where is my order?"}
        with self.client.post(
            "/customer/service-requests/new",
            data=data,
            name="/customer/service-requests/new (send)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code not in (302, 303):
                response.failure(f"{response.status_code}")

    @task(3)
    def orders(self) -> None:
        page = self.read("/customer/orders")
        numbers = ORDER_LINK.findall(page)
        if numbers:
            self.read(f"/customer/orders/{random.choice(numbers)}", "/customer/orders/[number]")


def _token(page: str) -> str:
    match = CSRF.search(page)
    return match.group(1) if match else ""


def run(host: str, sign_ins: list[dict[str, str]], seconds: float) -> dict[str, Any]:
    """Run the load for ``seconds``; the figures per page and in total."""
    for sign_in in sign_ins:
        SIGN_INS[sign_in["side"]].append((sign_in["email"], sign_in["password"]))
    SupplierUser.fixed_count = len(SIGN_INS["supplier"])
    CustomerUser.fixed_count = len(SIGN_INS["customer"])
    classes = [c for c in (SupplierUser, CustomerUser) if c.fixed_count]
    counted = {"server_errors": 0}

    def on_request(response: Any = None, exception: Any = None, **_kw: Any) -> None:
        status = getattr(response, "status_code", 0) or 0
        if status >= 500 or (exception is not None and status == 0):
            counted["server_errors"] += 1

    events.request.add_listener(on_request)
    env = Environment(user_classes=classes, events=events, host=host)
    runner = env.create_local_runner()
    users = len(sign_ins)
    runner.start(users, spawn_rate=users)
    gevent.spawn_later(seconds, runner.quit)
    runner.greenlet.join()
    total = env.stats.total
    pages = {
        name: {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "per_second": entry.total_rps,
            "p50_ms": entry.get_response_time_percentile(0.50),
            "p95_ms": entry.get_response_time_percentile(0.95),
            "p99_ms": entry.get_response_time_percentile(0.99),
        }
        for (name, _method), entry in sorted(env.stats.entries.items())
    }
    return {
        "users": users,
        "seconds": seconds,
        "requests": total.num_requests,
        "failures": total.num_failures,
        "server_errors": counted["server_errors"],
        "per_second": total.total_rps,
        "p50_ms": total.get_response_time_percentile(0.50),
        "p95_ms": total.get_response_time_percentile(0.95),
        "p99_ms": total.get_response_time_percentile(0.99),
        "pages": pages,
        "errors": [f"{e.method} {e.name}: {e.error} ({e.occurrences}x)" for e in env.stats.errors.values()],
    }


def report(result: dict[str, Any]) -> str:
    lines = [
        f"{result['users']} partners signed in, {result['seconds']:.0f} s against the extranet",
        f"{'page':<46}{'requests':>9}{'fail':>6}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}",
    ]
    for name, page in result["pages"].items():
        lines.append(
            f"{name:<46}{page['requests']:>9}{page['failures']:>6}{page['per_second']:>8.1f}"
            f"{page['p50_ms']:>8.0f}{page['p95_ms']:>8.0f}{page['p99_ms']:>8.0f}"
        )
    lines.append(
        f"{'all':<46}{result['requests']:>9}{result['failures']:>6}{result['per_second']:>8.1f}"
        f"{result['p50_ms']:>8.0f}{result['p95_ms']:>8.0f}{result['p99_ms']:>8.0f}"
    )
    lines.append(f"server errors (5xx or lost connections): {result['server_errors']}")
    lines.extend(f"  {error}" for error in result["errors"][:20])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="portal loadtest")
    parser.add_argument("--host", required=True)
    parser.add_argument("--sign-ins", required=True, help="JSON list of {email, password, side}")
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--json", dest="json_path", default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    result = run(args.host.rstrip("/"), json.loads(args.sign_ins), args.seconds)
    print(report(result))  # noqa: T201 - the command's report
    if args.json_path:
        with open(args.json_path, "w", encoding="utf-8") as out:
            json.dump(result, out, indent=2)
    return 1 if result["server_errors"] or not result["requests"] else 0


if __name__ == "__main__":
    sys.exit(main())
