"""The console's Ledger and Explain pages, the ledger's CSV export, and `portal ledger` in a shell."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from internal.db import make_engine, make_session_factory
from internal.migrate import upgrade
from internal.models import DisclosureRecord, Partner, PolicyVersion
from tests.conftest import install_default_policy, scratch_database
from tests.factories import make_account, make_partner, sign_in

PORTAL_CLI = str(Path(sys.executable).with_name("portal"))


def disclosed(session, partner: Partner, *, at: dt.datetime, channel: str, subjects, fields=None) -> None:
    """A ledger record as the gate writes it (its subjects reach disclosure_subject by trigger)."""
    version = session.scalar(select(PolicyVersion).where(PolicyVersion.number == 1))
    session.add(
        DisclosureRecord(
            at=at,
            account_id=None,
            partner_id=partner.id,
            channel=channel,
            dataset="inventory",
            policy_version_id=version.id,
            policy_hash=version.content_hash,
            row_keys=[],
            fields=fields or {"on_hand": "band:low/ok/high", "sku": "exact"},
            row_count=3,
            subjects=[list(s) for s in subjects],
        )
    )
    session.flush()


@pytest.fixture
def staff_with_ledger(session, console_client):
    supplier = make_partner(session, "SUP-LG1", groups=("suppliers",))
    other = make_partner(session, "SUP-LG2", groups=("suppliers",))
    make_account(session, "ledger.reader@example.com", staff_role="viewer")
    disclosed(
        session,
        supplier,
        at=dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC),
        channel="web",
        subjects=[("item", "CP-LG1"), ("item", "CP-LG2")],
    )
    disclosed(
        session,
        supplier,
        at=dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC),
        channel="export",
        subjects=[("item", "CP-LG1")],
        fields={"on_hand": "round:100:floor", "sku": "=exact"},
    )
    disclosed(
        session,
        other,
        at=dt.datetime(2026, 11, 3, 9, tzinfo=dt.UTC),
        channel="web",
        subjects=[("item", "CP-LG1")],
    )
    disclosed(
        session,
        supplier,
        at=dt.datetime(2026, 11, 4, 9, tzinfo=dt.UTC),
        channel="web",
        subjects=[("document", "CP-LG1")],
    )  # the same key as another kind of subject
    sign_in(console_client, "ledger.reader@example.com")
    return console_client


def test_the_ledger_page_answers_what_a_partner_saw_about_an_item_between_two_dates(staff_with_ledger):
    page = staff_with_ledger.get(
        "/ledger?partner=sup-lg1&kind=item&subject=CP-LG1&since=2026-11-01&until=2026-11-30"
    )
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "SUP-LG1 was shown CP-LG1 in 2 disclosures." in body
    assert "2026-11-02 09:00:00" in body
    assert "2026-11-20 09:00:00" in body
    assert "Export" in body
    assert "round:100:floor" in body
    assert "2026-11-03" not in body  # the other supplier's
    assert "2026-11-04" not in body  # a document, not the item
    narrowed = staff_with_ledger.get("/ledger?partner=SUP-LG1&kind=item&subject=CP-LG1&until=2026-11-19")
    assert "SUP-LG1 was shown CP-LG1 in 1 disclosure." in narrowed.get_data(as_text=True)
    nothing = staff_with_ledger.get("/ledger?partner=SUP-LG1&kind=customer&subject=CP-LG1")
    assert "SUP-LG1 was shown nothing about CP-LG1 in this period." in nothing.get_data(as_text=True)


def test_the_ledger_page_says_what_to_fix_and_keeps_what_was_typed(staff_with_ledger):
    unknown = staff_with_ledger.get("/ledger?partner=SUP-NOPE&kind=item&subject=CP-LG1")
    assert unknown.status_code == 400
    body = unknown.get_data(as_text=True)
    assert "There is no partner SUP-NOPE." in body
    assert 'value="CP-LG1"' in body
    backwards = staff_with_ledger.get(
        "/ledger?partner=SUP-LG1&kind=item&subject=X&since=2026-11-30&until=2026-11-01"
    )
    assert "The end date is before the start date." in backwards.get_data(as_text=True)
    empty = staff_with_ledger.get("/ledger?partner=SUP-LG1&kind=item&subject=")
    assert "Type the SKU, customer code, site code or document number." in empty.get_data(as_text=True)
    assert staff_with_ledger.get("/ledger").status_code == 200  # the empty question, nothing asked yet


def test_the_ledger_answer_downloads_as_csv(staff_with_ledger):
    response = staff_with_ledger.get("/ledger.csv?partner=SUP-LG1&kind=item&subject=CP-LG1")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'filename="ledger-SUP-LG1-CP-LG1.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert [(r["at_utc"], r["channel"], r["policy_version"]) for r in rows] == [
        ("2026-11-02 09:00:00", "web", "1"),
        ("2026-11-20 09:00:00", "export", "1"),
    ]
    assert rows[1]["fields"] == "on_hand=round:100:floor; sku==exact"
    assert len(rows[0]["policy_hash"]) == 64


def test_the_explain_page_prints_what_portal_policy_explain_prints(staff_with_ledger, session):
    from markupsafe import escape

    from policies.partner_explanation import explain_for_partner

    page = staff_with_ledger.get("/explain?partner=sup-lg1&dataset=inventory")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "SUP-LG1 (supplier; groups: suppliers) sees of inventory, under version 1:" in body
    explanation = explain_for_partner(session, "SUP-LG1", "inventory")
    assert explanation is not None
    assert any(
        line.startswith("on_hand ") and "rule suppliers-inventory" in line for line in explanation.lines
    )
    for line in explanation.lines:
        assert f'<li class="list-group-item">{escape(line)}</li>' in body
    unknown = staff_with_ledger.get("/explain?partner=SUP-NOPE&dataset=inventory")
    assert unknown.status_code == 400
    assert "There is no partner SUP-NOPE." in unknown.get_data(as_text=True)


@pytest.mark.parametrize(
    "path", ["/ledger", "/ledger.csv?partner=SUP-LG1&kind=item&subject=CP-LG1", "/explain", "/audit"]
)
def test_partner_users_and_visitors_get_nothing_from_these_pages(console_client, session, path):
    partner = make_partner(session, "SUP-LG3")
    make_account(session, "lg3.user@example.com", partners=(partner,))
    anonymous = console_client.get(path)
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/login")
    assert sign_in(console_client, "lg3.user@example.com").status_code == 401
    assert console_client.get(path).status_code == 302


def test_portal_ledger_answers_on_the_command_line(tmp_path_factory):
    with scratch_database(tmp_path_factory, "ledgercli") as url:
        upgrade(url)
        install_default_policy(url)
        engine = make_engine(url)
        with make_session_factory(engine)() as session:
            supplier = make_partner(session, "SUP-LG9")
            disclosed(
                session,
                supplier,
                at=dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC),
                channel="api",
                subjects=[("item", "CP-LG9")],
            )
            disclosed(
                session,
                supplier,
                at=dt.datetime(2026, 11, 9, 9, tzinfo=dt.UTC),
                channel="email",
                subjects=[("item", "CP-LG9")],
            )
            session.commit()
        engine.dispose()

        def ledger(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [PORTAL_CLI, "ledger", *args],
                env={**os.environ, "DATABASE_URL": url},
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )

        both = ledger("--partner", "SUP-LG9", "--subject", "item:CP-LG9")
        assert both.returncode == 0, both.stderr
        lines = both.stdout.splitlines()
        assert lines[0].startswith("SUP-LG9 was shown item CP-LG9 in 2 disclosures from 2000-01-01 to ")
        assert "2026-11-02 09:00:00 UTC  api" in lines[1]
        assert "version 1" in lines[1]
        assert "on_hand=band:low/ok/high" in lines[1]
        assert "2026-11-09 09:00:00 UTC  email" in lines[2]
        one = ledger(
            "--partner",
            "SUP-LG9",
            "--subject",
            "item:CP-LG9",
            "--since",
            "2026-11-01",
            "--until",
            "2026-11-02",
        )
        assert (
            one.stdout.splitlines()[0]
            == "SUP-LG9 was shown item CP-LG9 in 1 disclosure from 2026-11-01 to 2026-11-02:"
        )
        none = ledger("--partner", "SUP-LG9", "--subject", "order:SO-1")
        assert none.returncode == 0
        assert "SUP-LG9 was shown nothing about document SO-1" in none.stdout
        site = ledger("--partner", "SUP-LG9", "--subject", "site:PL01")
        assert site.returncode == 0
        assert "SUP-LG9 was shown nothing about site PL01" in site.stdout
        bad = ledger("--partner", "SUP-LG9", "--subject", "plant:PL01")
        assert bad.returncode == 2
        assert "'plant' is not a kind of subject: use item, customer, site or document" in bad.stderr
        missing = ledger("--partner", "SUP-NONE", "--subject", "item:CP-LG9")
        assert missing.returncode == 1
        assert "There is no partner 'SUP-NONE'." in missing.stderr
