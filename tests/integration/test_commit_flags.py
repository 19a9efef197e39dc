"""One definition of a commit's flag: the forecast page, the home page, the form, the upload, the export.

An ordinary supplier (SUP-991) supplies 70 % of an item. Its policy shows the demand and a commit's forecast
rounded to the nearest 10, so its share of a week's demand of 1,675 reads 1,680 x 70 % = 1,176, shown 1,180
(the exact share, 1,172.5, would show 1,170).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from html import unescape

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from internal import planning
from internal.models import ForecastBucket, ForecastCommit, ForecastPlan, SourceListEntry
from tests.factories import csrf_token, make_account, make_item, make_partner, make_site, sign_in

TODAY = dt.date.today()  # noqa: DTZ011 - commits are taken within the horizon counted from this week
START = TODAY - dt.timedelta(days=TODAY.weekday())
W = [START + dt.timedelta(weeks=n) for n in range(6)]
DEMAND = [Decimal(d) for d in (900, 1665, 1664, 1675, 827, 2000)]
#: The share as shown: round(round10(demand) x 70 %) rounded to 10. Week 0 is frozen.
SHARE = [Decimal(s) for s in (630, 1170, 1160, 1180, 580, 1400)]
EMAIL = "flags@sup991.example.com"


@pytest.fixture
def plan(session):
    supplier = make_partner(session, "SUP-991", "supplier")
    other = make_partner(session, "SUP-992", "supplier")
    make_account(session, EMAIL, partners=(supplier,))
    site = make_site(session, "PL99")
    item = make_item(session, "CP-991")
    for partner, share in ((supplier, 70), (other, 30)):
        session.add(
            SourceListEntry(
                item_id=item.id,
                supplier_id=partner.id,
                lead_time_days=7,
                share_pct=Decimal(share),
                unit_price=Decimal(1),
            )
        )
    published = ForecastPlan(
        name="Demand plan",
        version=1,
        status="published",
        horizon_start=START,
        weeks=len(W),
        frozen_until=W[0],
        published_at=dt.datetime.now(dt.UTC),
    )
    session.add(published)
    session.flush()
    for week, qty in zip(W, DEMAND, strict=True):
        session.add(
            ForecastBucket(plan_id=published.id, item_id=item.id, site_id=site.id, week_start=week, qty=qty)
        )
    session.flush()
    return supplier


def number(text: str) -> Decimal:
    return Decimal(text.replace(",", "").split()[0])


def rows(client) -> dict[dt.date, dict[str, str]]:
    """Each week's row on the forecast page: the share, the commit field's value and the flag shown."""
    page = client.get("/supplier/forecast?sku=CP-991").get_data(as_text=True)
    found = {}
    for week in W:
        row = page.split(f'data-testid="week-{week}"')[1].split("</tr>")[0]
        share = re.search(rf'data-testid="share-{week}">([^<]*)<', row)
        value = re.search(r'name="commit-PL99-[^"]+" value="([^"]*)"', row)
        flag = re.search(rf'data-testid="flag-{week}">([^<]*)<', row)
        found[week] = {
            "share": share.group(1) if share else "",
            "commit": value.group(1) if value else "",
            "flag": flag.group(1) if flag else "",
        }
    return found


def form_fields(client) -> dict[str, str]:
    """Every field of the commit form as a browser would post it."""
    page = client.get("/supplier/forecast?sku=CP-991").get_data(as_text=True)
    (form,) = [f.split("</form>")[0] for f in page.split("<form") if 'data-testid="forecast-table"' in f]
    return {
        unescape(name): unescape(value)
        for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form)
    }


def upload(client, name: str, content: bytes):
    token = csrf_token(client, "/supplier/forecast")
    return client.post(
        "/supplier/forecast/upload",
        data={"csrf_token": token, "file": (io.BytesIO(content), name)},
        follow_redirects=True,
    )


def stored(session) -> dict[dt.date, tuple[Decimal, Decimal, str, str, int]]:
    session.expire_all()
    return {
        c.week_start: (c.committed_qty, c.forecast_qty, c.status.value, c.comment, c.revision)
        for c in session.scalars(select(ForecastCommit))
    }


LABEL = {"ok": "OK", "shortfall": "Shortfall", "surplus": "Surplus"}


def test_saved_and_uploaded_commits_agree_on_the_page_the_home_page_and_the_flags(client, session, plan):
    sign_in(client, EMAIL)
    token = csrf_token(client, "/supplier/forecast")
    saved = client.post(
        "/supplier/forecast",
        data={"csrf_token": token, "sku": "CP-991", f"commit-PL99-{W[1]}": "1000"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "1 commits saved; 1 flagged" in saved
    sheet = f"sku,site,week,qty\nCP-991,PL99,{W[2]},1160\nCP-991,PL99,{W[3]},1300\nCP-991,PL99,{W[4]},530\n"
    assert "3 commits saved; 1 flagged" in upload(client, "h.csv", sheet.encode()).get_data(as_text=True)
    shown = rows(client)

    # The page's share is the one the service measured and stored: 1,170 and so on, not 1,165.5 or 1,169.
    assert [number(shown[w]["share"]) for w in W] == SHARE
    expected = {W[1]: "shortfall", W[2]: "ok", W[3]: "surplus", W[4]: "ok"}  # 1,300 > 1,298 = 110 % of 1,180
    assert {w: s[2] for w, s in stored(session).items()} == expected
    for week, status in expected.items():
        row = shown[week]
        # The flag on the row is the flag of the row's own figures, by the one definition.
        assert planning.classify(number(row["commit"]), number(row["share"])).value == status
        assert row["flag"] == LABEL[status]
        assert stored(session)[week][1] == number(row["share"])

    home = client.get("/supplier/").get_data(as_text=True)
    assert 'data-testid="kpi-shortfalls">1<' in home
    # "N committed against M": M is the share the row shows, in the reader's number format.
    assert "1,000 committed against 1,170" in home
    assert "1,165" not in home
    assert "1,169" not in home


def test_saving_one_row_leaves_every_other_rows_flag_unchanged(client, session, plan):
    sign_in(client, EMAIL)
    sheet = "sku,site,week,qty,comment\n" + "".join(
        f"CP-991,PL99,{w},{q},week {n}\n"
        for n, (w, q) in enumerate(zip(W[1:], (1000, 1160, 1300, 520, 1500), strict=True), 1)
    )
    upload(client, "all.csv", sheet.encode())
    # A commit stored on an earlier basis (the exact total demand) keeps its flag until it is saved.
    stale = session.scalar(select(ForecastCommit).where(ForecastCommit.week_start == W[5]))
    stale.forecast_qty, stale.status = Decimal(2000), "shortfall"
    session.flush()
    before, page_before = stored(session), rows(client)

    fields = form_fields(client)
    assert fields[f"commit-PL99-{W[3]}"] == "1300"  # plain numbers: they read back as typed, past 999
    fields[f"commit-PL99-{W[3]}"] = "1180"
    fields["csrf_token"] = csrf_token(client, "/supplier/forecast")
    response = client.post("/supplier/forecast", data=fields, follow_redirects=True)
    assert response.status_code == 200

    after, page_after = stored(session), rows(client)
    assert after[W[3]][:3] == (Decimal(1180), SHARE[3], "ok")
    assert after[W[3]][4] == before[W[3]][4] + 1
    for week in (W[1], W[2], W[4], W[5]):
        assert after[week] == before[week], week
        assert page_after[week]["flag"] == page_before[week]["flag"], week
    assert page_after[W[5]]["flag"] == "Shortfall"


def _export(client, fmt: str) -> bytes:
    with client.get(f"/supplier/forecast.{fmt}") as response:
        assert response.status_code == 200
        return response.data


def _seed(client, session):
    sign_in(client, EMAIL)
    sheet = (
        "sku,site,week,qty,comment\n"
        f"CP-991,PL99,{W[1]},1000,furnace relining\n"
        f'CP-991,PL99,{W[2]},1160,"=from stock, as agreed"\n'
        f"CP-991,PL99,{W[4]},580.5,\n"
    )
    upload(client, "seed.csv", sheet.encode())
    # A commit in the frozen week: exported like the rest, and sent back unchanged it is no new commit.
    frozen = session.scalar(select(ForecastCommit).where(ForecastCommit.week_start == W[1]))
    session.add(
        ForecastCommit(
            plan_id=frozen.plan_id,
            supplier_id=frozen.supplier_id,
            item_id=frozen.item_id,
            site_id=frozen.site_id,
            week_start=W[0],
            committed_qty=Decimal(600),
            forecast_qty=Decimal(630),
            status="ok",
            comment="",
        )
    )
    session.flush()


def test_the_export_has_commit_and_comment_columns(client, session, plan):
    _seed(client, session)
    table = list(csv.DictReader(io.StringIO(_export(client, "csv").decode("utf-8-sig"))))
    assert list(table[0])[-2:] == ["commit", "comment"]
    by_week = {r["week"]: r for r in table}
    assert (by_week[str(W[1])]["qty"], by_week[str(W[1])]["commit"]) == ("1670", "1000")
    assert by_week[str(W[1])]["comment"] == "furnace relining"
    assert by_week[str(W[2])]["comment"] == "'=from stock, as agreed"  # never run as a formula
    assert by_week[str(W[3])]["commit"] == ""


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_export_uploaded_back_unchanged_succeeds_and_changes_nothing(client, session, plan, fmt):
    _seed(client, session)
    before = stored(session)
    assert len(before) == 4
    page = upload(client, f"forecast.{fmt}", _export(client, fmt)).get_data(as_text=True)
    assert "Nothing was saved" not in page
    assert "commits saved" in page
    assert stored(session) == before


def _edited_csv(content: bytes, week: dt.date, commit: str) -> bytes:
    table = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    at_week, at_commit = table[0].index("week"), table[0].index("commit")
    for row in table[1:]:
        if row[at_week] == str(week):
            row[at_commit] = commit
    out = io.StringIO()
    csv.writer(out).writerows(table)
    return out.getvalue().encode("utf-8-sig")


def _edited_xlsx(content: bytes, week: dt.date, commit: str) -> bytes:
    values = list(load_workbook(io.BytesIO(content)).active.values)
    at_week, at_commit = values[0].index("week"), values[0].index("commit")
    book = Workbook()
    sheet = book.active
    for row in values:
        cells = list(row)
        if isinstance(cells[at_week], dt.datetime) and cells[at_week].date() == week:
            cells[at_commit] = int(commit)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_commit_edited_in_the_export_is_saved_on_upload_and_nothing_else_changes(
    client, session, plan, fmt
):
    _seed(client, session)
    before = stored(session)
    edit = _edited_csv if fmt == "csv" else _edited_xlsx
    content = edit(_export(client, fmt), W[3], "1190")
    page = upload(client, f"forecast.{fmt}", content).get_data(as_text=True)
    assert "Nothing was saved" not in page
    after = stored(session)
    assert after[W[3]] == (Decimal(1190), Decimal(1180), "ok", "", 1)
    assert {w: v for w, v in after.items() if w != W[3]} == before
