"""In the small demo a planner reaches Publish: copy the published plan, change a week, publish it."""

from __future__ import annotations

import re

from sqlalchemy import select

from internal.demo import DEMO_PASSWORD, load_demo
from internal.models import ForecastPlan, PlanStatus
from tests.conftest import app_config
from tests.factories import csrf_token, sign_in
from tests.smtp_sink import smtp_sink  # noqa: F401 - pytest fixture

INPUT = re.compile(r'<input[^>]*?name="([^"]+)"[^>]*?value="([^"]*)"')


def test_the_demo_planner_copies_changes_and_publishes_the_demand_plan(session, connection, smtp_sink):  # noqa: F811
    import internal

    load_demo(session, "small")
    session.flush()
    mails, port = smtp_sink
    console = internal.create_app(app_config(connection, SMTP_HOST="127.0.0.1", SMTP_PORT=port))
    planner = console.test_client()
    sign_in(planner, "planner@example.com", DEMO_PASSWORD)
    inbox = planner.get("/inbox").get_data(as_text=True)
    assert 'data-testid="shortfall"' in inbox  # the demo's suppliers fell short somewhere
    published = session.scalar(select(ForecastPlan).where(ForecastPlan.status == PlanStatus.published))

    copied = planner.post(
        f"/forecast-plans/{published.id}/copy", data={"csrf_token": csrf_token(planner, "/forecast-plans")}
    )
    draft_page = copied.headers["Location"]
    form = dict(INPUT.findall(planner.get(draft_page).get_data(as_text=True)))
    changed = planner.post(draft_page, data={**form, "qty-0-0": str(int(float(form["qty-0-0"])) + 100)})
    published_now = planner.post(
        f"{draft_page}/publish", data={"csrf_token": csrf_token(planner, "/forecast-plans")}
    )

    assert (copied.status_code, changed.status_code, published_now.status_code) == (302, 302, 302)
    session.expire_all()
    plans = session.scalars(select(ForecastPlan).where(ForecastPlan.name == published.name)).all()
    latest = max(plans, key=lambda p: p.version)
    assert (latest.version, latest.status) == (published.version + 1, PlanStatus.published)
    assert published.status is PlanStatus.superseded
    listing = planner.get("/forecast-plans").get_data(as_text=True)
    assert "suppliers are being e-mailed" in listing
    assert mails.wait_for(1)  # suppliers are told the new version is out
