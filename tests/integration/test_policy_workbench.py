"""The sharing-policy workbench: drafts, the rule form, impact, diff, preview, two-person approval."""

from __future__ import annotations

import html
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

import policies
from internal.db import make_engine, make_session_factory
from internal.migrate import upgrade
from internal.models import (
    AuditEvent,
    DisclosureRecord,
    InventoryPosition,
    PolicyStatus,
    PolicyVersion,
    SourceListEntry,
    utcnow,
)
from policies import versions
from policies.diff import compare
from policies.impact import impact
from policies.language import PolicyInvalid, parse
from tests.conftest import install_default_policy, scratch_database
from tests.factories import csrf_token, make_account, make_item, make_partner, make_site, sign_in

DEFAULT = policies.DEFAULT_SET.read_text(encoding="utf-8")
BANDED = "on_hand: {band: {out: 0, low: 100, ok: 1000, high: null}}"
#: SUP-902's inventory rounded to 100 instead of banded: the change the workbench is for.
ROUNDED_FOR_ONE = DEFAULT.replace(
    "  - id: suppliers-forecast-weeks",
    """  - id: sup-902-inventory
    effect: share
    to: partner:SUP-902
    dataset: inventory
    rows: supplied_by_viewer
    fields: {sku: exact, item: exact, site: exact, on_hand: {round: {to: 100, mode: floor}}}

  - id: suppliers-forecast-weeks""",
)


def stock(session, supplier, sku, on_hand, site):
    item = make_item(session, sku)
    session.add(
        SourceListEntry(
            item_id=item.id, supplier_id=supplier.id, lead_time_days=7, share_pct=Decimal(100), unit_price=1
        )
    )
    session.add(
        InventoryPosition(
            item_id=item.id,
            site_id=site.id,
            on_hand=Decimal(on_hand),
            allocated=Decimal(0),
            on_order=Decimal(0),
            safety_stock=Decimal(10),
            daily_usage=Decimal(5),
            as_of=utcnow(),
        )
    )
    session.flush()


@pytest.fixture
def suppliers(session):
    """Two plain suppliers: SUP-902 with three stocked items, SUP-903 with one."""
    site = make_site(session, "PL90")
    one = make_partner(session, "SUP-902", "supplier", groups=("suppliers",))
    other = make_partner(session, "SUP-903", "supplier", groups=("suppliers",))
    for n, qty in enumerate((1234, 55, 870)):
        stock(session, one, f"CP-90{n}", qty, site)
    stock(session, other, "CP-909", 400, site)
    return one, other


def active_document(session):
    return versions.active(session)[1]


def test_impact_names_the_partner_the_field_and_the_rows_and_writes_no_ledger(session, suppliers):
    before = session.scalar(select(func.count()).select_from(DisclosureRecord))
    changes = impact(session, parse(ROUNDED_FOR_ONE), active_document(session))
    assert [str(c) for c in changes] == [
        "SUP-902 inventory: uom exact -> hidden, on_hand banded -> rounded to 100, "
        "days_of_supply banded -> hidden, as_of exact -> hidden, 3 rows"
    ]
    (change,) = changes
    assert (change.rows_before, change.rows_after, change.gained, change.lost) == (3, 3, 0, 0)
    session.flush()
    assert session.scalar(select(func.count()).select_from(DisclosureRecord)) == before


def test_impact_counts_rows_gained_and_lost(session, suppliers):
    one, _other = suppliers
    # A forbid on the inventory of one partner: all its rows are lost, the others keep theirs.
    forbid = DEFAULT.replace(
        "  - id: suppliers-forecast-weeks",
        "  - id: no-inventory-for-903\n    effect: forbid\n    to: partner:SUP-903\n"
        "    dataset: inventory\n\n  - id: suppliers-forecast-weeks",
    )
    changes = impact(session, parse(forbid), active_document(session))
    lost = [c for c in changes if c.dataset == "inventory"]
    assert [(c.partner, c.gained, c.lost) for c in lost] == [("SUP-903", 0, 1)]
    # Nothing was active: everything shown under the draft is gained.
    gained = impact(session, parse(ROUNDED_FOR_ONE), None)
    inventory = {c.partner: c for c in gained if c.dataset == "inventory"}
    assert (inventory["SUP-902"].gained, inventory["SUP-903"].gained) == (3, 1)
    assert one.code == "SUP-902"


def test_the_diff_goes_rule_by_rule_and_line_by_line():
    changed = DEFAULT.replace(BANDED, "on_hand: {round: {to: 100, mode: floor}}").replace(
        "  - id: customers-ship-to-sites", "  - id: customers-ship-to-places"
    )
    diff = compare(DEFAULT, changed, "version 1", "version 2")
    by_rule = {c.rule: c for c in diff.rules}
    assert by_rule["suppliers-inventory"].change == "changed"
    assert by_rule["suppliers-inventory"].details == (
        "fields.on_hand: shown as out / low / ok / high -> rounded down to 100",
    )
    assert by_rule["customers-ship-to-sites"].change == "removed"
    assert by_rule["customers-ship-to-places"].change == "added"
    assert f"-      {BANDED}" in diff.lines
    assert "+      on_hand: {round: {to: 100, mode: floor}}" in diff.lines
    assert compare(DEFAULT, DEFAULT).identical
    broken = compare(DEFAULT, "rules: [")
    assert broken.rules == ()
    assert broken.rules_unreadable
    assert broken.lines


def test_problems_carry_the_line_the_rule_and_the_path():
    text = DEFAULT.replace(BANDED, "on_hand: {round: {to: -5}}")
    with pytest.raises(PolicyInvalid) as raised:
        parse(text, "draft")
    (problem,) = raised.value.problems
    assert (problem.rule, problem.path) == ("suppliers-inventory", "fields.on_hand.round.to")
    assert text.splitlines()[problem.line - 1].strip() == "on_hand: {round: {to: -5}}"


def test_the_preview_decides_under_a_draft_explains_and_records_no_disclosure(session, suppliers):
    from policies.preview import preview

    records = session.scalar(select(func.count()).select_from(DisclosureRecord))
    page = preview(session, "SUP-902", "inventory", parse(ROUNDED_FOR_ONE), "draft 7")
    (section,) = page.sections
    assert sorted(r["on_hand"] for r in section.disclosure.rows) == [0, 800, 1200]
    assert section.why["on_hand"] == "on_hand rounded down to 100 by rule sup-902-inventory, draft 7."
    assert dict(section.hidden)["safety_stock"] == "safety_stock hidden: no rule shares it."
    assert section.treated("on_hand")
    assert not section.treated("sku")
    under_active = preview(session, "SUP-902", "inventory", active_document(session), "version 1")
    assert sorted(r["on_hand"] for r in under_active.sections[0].disclosure.rows) == ["high", "low", "ok"]
    session.flush()
    assert session.scalar(select(func.count()).select_from(DisclosureRecord)) == records
    # Suppliers have no availability page; unknown partners have no pages at all.
    assert preview(session, "SUP-902", "availability", parse(DEFAULT), "version 1") is None
    assert preview(session, "SUP-000", "inventory", parse(DEFAULT), "version 1") is None


def test_the_gate_refuses_the_preview_channel_without_a_document(session, suppliers):
    one, _other = suppliers
    viewer = policies.Viewer(None, one.id, one.code, "supplier", frozenset({"suppliers"}))
    with pytest.raises(ValueError, match="unknown channel"):
        policies.disclose(session, viewer, "inventory", channel="preview")


@pytest.fixture
def staff(session):
    author = make_account(session, "pa901@example.com", staff_role="policy_admin")
    buyer = make_account(session, "buyer901@example.com", staff_role="buyer")
    viewer = make_account(session, "ro901@example.com", staff_role="viewer")
    return author, buyer, viewer


def client_for(console, email):
    client = console.test_client()
    sign_in(client, email)
    return client


def test_a_draft_starts_from_the_active_version_and_keeps_what_was_typed_on_error(session, console, staff):
    author = client_for(console, "pa901@example.com")
    started = author.post("/policies/drafts", data={"csrf_token": csrf_token(author, "/policies")})
    assert started.status_code == 302
    editor = author.get(started.location)
    assert html.escape(BANDED) in editor.get_data(as_text=True)
    token = csrf_token(author, started.location)
    unchanged = author.post(
        started.location, data={"csrf_token": token, "document": DEFAULT, "action": "propose"}
    )
    assert unchanged.status_code == 400
    assert "This document is version 1 already (active): change it first." in html.unescape(
        unchanged.get_data(as_text=True)
    )
    bad = DEFAULT.replace(BANDED, "on_hand: {round: {to: -5}}")
    refused = author.post(
        started.location,
        data={"csrf_token": token, "document": bad, "comment": "round it", "action": "propose"},
    )
    assert refused.status_code == 400
    page = html.unescape(refused.get_data(as_text=True))
    line = bad.splitlines().index("      on_hand: {round: {to: -5}}") + 1
    error = page.split('data-testid="policy-error"')[1].split("</li>")[0]
    assert f"Line {line}" in error
    assert "suppliers-inventory" in error
    assert "fields.on_hand.round.to" in error
    assert "-5 is not a positive step" in error
    assert "on_hand: {round: {to: -5}}" in page.split('id="document"')[1]  # what was typed is kept
    assert 'value="round it"' in page
    # ... and saved: the draft resumes with it.
    draft_id = int(started.location.rsplit("/", 1)[1])
    assert versions.draft_info(session, draft_id).document == bad
    assert session.scalar(select(func.count()).select_from(PolicyVersion)) == 1

    good = DEFAULT.replace(BANDED, "on_hand: {round: {to: 100, mode: floor}}")
    proposed = author.post(
        started.location,
        data={"csrf_token": token, "document": good, "comment": "round it", "action": "propose"},
    )
    assert proposed.status_code == 302
    number = int(proposed.location.rsplit("/", 1)[1])
    assert versions.version_info(session, number).status == "pending_approval"
    # Another staff member cannot change someone else's draft.
    second = make_account(session, "pa902@example.com", staff_role="policy_admin")
    assert second.id
    other = client_for(console, "pa902@example.com")
    assert (
        other.post(f"/policies/drafts/{draft_id}/rule", data={"csrf_token": csrf_token(other, "/policies")})
    ).status_code == 403


def test_the_rule_form_writes_the_same_yaml_into_the_draft(session, console, staff, suppliers):
    author = client_for(console, "pa901@example.com")
    started = author.post("/policies/drafts", data={"csrf_token": csrf_token(author, "/policies")})
    form_url = f"{started.location}/rule?target=partner:SUP-902&dataset=inventory"
    shown = author.get(form_url).get_data(as_text=True)
    # The form starts from what SUP-902 sees today: on_hand banded.
    on_hand = shown.split('id="kind-on_hand"')[1].split("</select>")[0]
    assert '<option value="band" selected>' in on_hand
    fields = {"kind-sku": "exact", "kind-site": "exact", "kind-on_hand": "round"}
    written = author.post(
        f"{started.location}/rule",
        data={
            "csrf_token": csrf_token(author, form_url),
            "target": "partner:SUP-902",
            "dataset": "inventory",
            "rule_id": "sup-902-inventory",
            "rows": "supplied_by_viewer",
            "param-on_hand": "{to: 100, mode: floor}",
            **fields,
            **{
                f"kind-{n}": "hidden"
                for n in ("item", "uom", "on_order", "safety_stock", "days_of_supply", "as_of")
            },
        },
    )
    assert written.status_code == 302
    draft_id = int(started.location.rsplit("/", 1)[1])
    text = versions.draft_info(session, draft_id).document
    assert "# Stock is a trade secret" in text  # the rest of the document stays as typed
    rule = next(r for r in parse(text).rules if r.id == "sup-902-inventory")
    assert str(rule.to) == "partner:SUP-902"
    assert {n: t.describe() for n, t in rule.fields.items()} == {
        "sku": "shown exactly",
        "site": "shown exactly",
        "on_hand": "rounded down to 100",
    }
    refused = author.post(
        f"{started.location}/rule",
        data={
            "csrf_token": csrf_token(author, form_url),
            "target": "partner:SUP-902",
            "dataset": "inventory",
            "rule_id": "bad id!",
            "rows": "supplied_by_viewer",
        },
    )
    assert refused.status_code == 400
    assert 'value="bad id!"' in refused.get_data(as_text=True)


def propose_rounded(session, author_id):
    return versions.propose(session, ROUNDED_FOR_ONE, author_id=author_id, comment="SUP-902 rounded")


def test_the_approval_page_shows_impact_and_only_a_second_approver_gets_the_button(
    session, console, staff, suppliers
):
    author, buyer, _viewer = staff
    number = propose_rounded(session, author.id).number
    as_author = client_for(console, "pa901@example.com")
    page = html.unescape(as_author.get(f"/policies/{number}").get_data(as_text=True))
    impact_row = page.split('data-testid="impact-SUP-902-inventory"')[1].split("</tr>")[0]
    assert "on_hand</code> banded → rounded to 100" in impact_row
    assert 'data-testid="approve"' not in page
    assert "a second staff member who may approve must activate it" in page
    refused = as_author.post(
        f"/policies/{number}/approve", data={"csrf_token": csrf_token(as_author, "/policies")}
    )
    assert refused.status_code == 302
    assert versions.version_info(session, number).status == "pending_approval"

    as_viewer = client_for(console, "ro901@example.com")
    assert 'data-testid="approve"' not in as_viewer.get(f"/policies/{number}").get_data(as_text=True)
    token = csrf_token(as_viewer, "/policies")
    assert as_viewer.post(f"/policies/{number}/approve", data={"csrf_token": token}).status_code == 403
    assert as_viewer.post("/policies/drafts", data={"csrf_token": token}).status_code == 403

    as_buyer = client_for(console, "buyer901@example.com")
    assert 'data-testid="approve"' in as_buyer.get(f"/policies/{number}").get_data(as_text=True)
    as_buyer.post(f"/policies/{number}/approve", data={"csrf_token": csrf_token(as_buyer, "/policies")})
    info = versions.version_info(session, number)
    assert (info.status, info.approver, info.author) == ("active", buyer.email, author.email)


def test_a_rollback_through_the_console_needs_a_second_person(session, console, staff):
    author, buyer, _viewer = staff
    first = session.scalar(select(PolicyVersion).where(PolicyVersion.number == 1))
    first.approved_by_id = buyer.id  # the test database's version 1 was installed, not approved
    newer = versions.propose(session, DEFAULT + "\n# newer\n", author_id=author.id)
    versions.approve(session, newer.id, approver_id=buyer.id)
    as_author = client_for(console, "pa901@example.com")
    token = csrf_token(as_author, "/policies/1")
    as_author.post("/policies/1/rollback", data={"csrf_token": token, "comment": "back to 1"})
    assert versions.active(session)[0].number == newer.number  # proposed, not done
    (waiting,) = versions.rollbacks(session, waiting_only=True)
    assert 'data-testid="approve-rollback"' not in as_author.get("/policies/1").get_data(as_text=True)
    as_author.post(f"/policies/rollbacks/{waiting.id}/approve", data={"csrf_token": token})
    assert versions.active(session)[0].number == newer.number
    as_buyer = client_for(console, "buyer901@example.com")
    review = as_buyer.get("/policies/1").get_data(as_text=True)
    assert 'data-testid="approve-rollback"' in review
    assert 'data-testid="impact-none"' in review  # weighed first: the two versions share alike
    as_buyer.post(
        f"/policies/rollbacks/{waiting.id}/approve", data={"csrf_token": csrf_token(as_buyer, "/policies")}
    )
    assert versions.active(session)[0].number == 1
    assert versions.rollbacks(session)[0].approved_by == buyer.email


def test_the_version_page_and_the_diff_page_show_who_when_and_what(session, console, staff):
    author, _buyer, _viewer = staff
    number = versions.propose(
        session,
        DEFAULT.replace(BANDED, "on_hand: {round: {to: 100, mode: floor}}"),
        author_id=author.id,
        comment="round on_hand",
    ).number
    as_viewer = client_for(console, "ro901@example.com")
    page = html.unescape(as_viewer.get(f"/policies/{number}").get_data(as_text=True))
    assert "pa901@example.com" in page
    assert "round on_hand" in page
    assert "fields.on_hand: shown as out / low / ok / high -> rounded down to 100" in page
    diff = html.unescape(as_viewer.get(f"/policies/diff?from=1&to={number}").get_data(as_text=True))
    assert "suppliers-inventory" in diff.split('data-testid="rule-changes"')[1]
    assert "+      on_hand: {round: {to: 100, mode: floor}}" in diff
    assert as_viewer.get("/policies/999").status_code == 404


def test_the_console_preview_is_a_staff_read_not_a_disclosure(session, console, staff, suppliers):
    author, _buyer, _viewer = staff
    number = propose_rounded(session, author.id).number
    records = session.scalar(select(func.count()).select_from(DisclosureRecord))
    as_viewer = client_for(console, "ro901@example.com")
    page = html.unescape(
        as_viewer.get(f"/policies/preview?partner=SUP-902&page=inventory&under=version-{number}").get_data(
            as_text=True
        )
    )
    table = page.split('data-testid="preview-inventory"')[1]
    assert "<td>1,200</td>" not in table  # the value carries its explanation
    assert 'title="on_hand rounded down to 100 by rule sup-902-inventory, version ' in table
    assert ">1,200</td>" in table
    assert f"on_hand rounded down to 100 by rule sup-902-inventory, version {number}." in table
    assert session.scalar(select(func.count()).select_from(DisclosureRecord)) == records
    looked = session.scalars(select(AuditEvent).where(AuditEvent.action == "policy.previewed")).all()
    assert [(e.account_id, e.detail["partner"], e.detail["under"]) for e in looked] == [
        (_viewer.id, "SUP-902", f"version {number}")
    ]
    assert as_viewer.get("/policies/preview?partner=NOPE&page=inventory").status_code == 404


def test_partners_and_anonymous_visitors_get_nothing_from_the_workbench(session, console, suppliers):
    one, _other = suppliers
    make_account(session, "u@sup902.example.com", partners=(one,))
    anonymous = console.test_client()
    for path in ("/policies", "/policies/1", "/policies/preview?partner=SUP-902", "/policies/diff"):
        assert anonymous.get(path).status_code == 302
    partner_user = console.test_client()
    signed = sign_in(partner_user, "u@sup902.example.com")
    assert signed.status_code == 401  # partners cannot sign in to the console at all
    assert partner_user.get("/policies/preview?partner=SUP-902").status_code == 302


PORTAL_CLI = str(Path(sys.executable).with_name("portal"))


def test_the_impact_command_prints_the_same_answer_and_exits_0(tmp_path_factory, tmp_path):
    with scratch_database(tmp_path_factory, "impact") as url:
        upgrade(url)
        install_default_policy(url)
        engine = make_engine(url)
        with make_session_factory(engine)() as db:
            site = make_site(db, "PL90")
            supplier = make_partner(db, "SUP-902", "supplier", groups=("suppliers",))
            for n, qty in enumerate((1234, 55)):
                stock(db, supplier, f"CP-90{n}", qty, site)
            db.commit()
            expected = [str(c) for c in impact(db, parse(ROUNDED_FOR_ONE), versions.active(db)[1])]
            records = db.scalar(select(func.count()).select_from(DisclosureRecord))
        draft = tmp_path / "draft.yaml"
        draft.write_text(ROUNDED_FOR_ONE, encoding="utf-8")
        result = subprocess.run(
            [PORTAL_CLI, "policy", "impact", "--draft", str(draft)],
            env={**os.environ, "DATABASE_URL": url},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines() == [
            f"Impact of {draft} against version 1:",
            *(f"  {e}" for e in expected),
        ]
        (line,) = result.stdout.splitlines()[1:]
        assert line.startswith("  SUP-902 inventory: ")
        assert "on_hand banded -> rounded to 100" in line
        assert line.endswith(", 2 rows")
        with make_session_factory(engine)() as db:
            assert db.scalar(select(func.count()).select_from(DisclosureRecord)) == records
            assert (
                db.scalar(
                    select(func.count())
                    .select_from(PolicyVersion)
                    .where(PolicyVersion.status == PolicyStatus.active)
                )
                == 1
            )
        engine.dispose()
