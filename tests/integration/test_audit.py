"""The audit log: chained by hash, verified from the command line, listed and filtered in the console."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from sqlalchemy import select, text

from internal import audit, team
from internal.db import begin_writing, make_engine, make_session_factory
from internal.migrate import upgrade
from internal.models import AuditEvent, Membership
from policies import versions
from tests.conftest import scratch_database
from tests.factories import make_account, make_partner, sign_in

PORTAL_CLI = str(Path(sys.executable).with_name("portal"))


def _verify_cli(url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PORTAL_CLI, "audit", "verify"],
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _record_three(session):
    events = [
        audit.record(
            session, "policy.proposed", actor="a@example.com", object_type="policy_version", object_id="7"
        ),
        audit.record(
            session,
            "invitation.created",
            actor="b@example.com",
            object_type="invitation",
            detail={"email": "x@y.z"},
        ),
        audit.record(
            session,
            "sign_in.failed",
            actor="c@example.com",
            address="203.0.113.9",
            detail={"reason": "wrong"},
        ),
    ]
    return events


def test_each_entry_is_chained_to_the_previous_one_by_sha256(session):
    first, second, third = _record_three(session)
    assert [second.seq, third.seq] == [first.seq + 1, first.seq + 2]
    assert second.entry_hash == audit.chain_hash(first.entry_hash, second)
    assert third.entry_hash == audit.chain_hash(second.entry_hash, third)
    assert third.address == "203.0.113.9"
    assert first.address == "local"  # written outside any request
    assert audit.verify(session).ok


def test_verify_names_the_entry_edited_in_the_database(session, connection):
    _first, second, _third = _record_three(session)
    connection.execute(
        text("UPDATE audit_event SET actor = 'someone.else@example.com' WHERE id = :id"), {"id": second.id}
    )
    verdict = audit.verify(session)
    assert not verdict.ok
    assert (verdict.bad_seq, verdict.bad_id) == (second.seq, second.id)
    assert "edited" in verdict.reason


def test_verify_names_the_entry_after_one_deleted_in_the_database(session, connection):
    _first, second, third = _record_three(session)
    connection.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": second.id})
    verdict = audit.verify(session)
    assert (verdict.bad_seq, verdict.bad_id) == (third.seq, third.id)
    assert f"({second.seq})" in verdict.reason
    assert "deleted" in verdict.reason


def test_events_added_directly_by_any_service_join_the_chain_with_the_actors_email(session):
    admin = make_account(session, "chain.admin@example.com", staff_role="policy_admin")
    session.add(
        AuditEvent(account_id=admin.id, action="partner.updated", object_type="partner", object_id="X")
    )
    session.flush()
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "partner.updated"))
    assert event is not None
    assert event.actor == "chain.admin@example.com"
    assert len(event.entry_hash) == 64
    assert audit.verify(session).ok


def test_portal_audit_verify_exits_0_untouched_and_1_naming_the_entry_after_an_edit(tmp_path_factory):
    with scratch_database(tmp_path_factory, "audit") as url:
        upgrade(url)
        engine = make_engine(url)
        with make_session_factory(engine)() as session:
            _record_three(session)
            session.commit()
        intact = _verify_cli(url)
        assert intact.returncode == 0, intact.stderr
        assert "intact: 3 entries" in intact.stdout
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE audit_event SET detail = :d WHERE seq = 2"), {"d": '{"email": "q@r.s"}'}
            )
        edited = _verify_cli(url)
        assert edited.returncode == 1
        assert "broken at entry 2" in edited.stderr
        assert "edited" in edited.stderr
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_event WHERE seq = 2"))
        deleted = _verify_cli(url)
        assert deleted.returncode == 1
        assert "broken at entry 3" in deleted.stderr
        assert "deleted" in deleted.stderr
        engine.dispose()


def test_concurrent_writers_still_give_one_valid_chain(tmp_path_factory):
    with scratch_database(tmp_path_factory, "auditrace") as url:
        upgrade(url)
        engine = make_engine(url, pool_size=8) if url.startswith("postgresql") else make_engine(url)
        factory = make_session_factory(engine)
        failures: list[BaseException] = []
        start = threading.Barrier(6)

        def write(worker: int) -> None:
            try:
                start.wait()
                for n in range(10):
                    with factory() as session:
                        begin_writing(session)
                        audit.record(session, "test.written", actor=f"w{worker}", object_id=str(n))
                        session.commit()
            except BaseException as error:  # reported below
                failures.append(error)

        threads = [threading.Thread(target=write, args=(w,)) for w in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        with factory() as session:
            verdict = audit.verify(session)
            assert verdict.ok
            assert verdict.checked == 60
        engine.dispose()


def test_policy_steps_are_audited_with_who(session):
    from policies import DEFAULT_SET

    author = make_account(session, "audit.author@example.com", staff_role="policy_admin")
    approver = make_account(session, "audit.approver@example.com", staff_role="buyer")
    document = DEFAULT_SET.read_text(encoding="utf-8") + "\n# a comment makes a new version\n"
    version = versions.propose(session, document, author_id=author.id, comment="audited")
    versions.approve(session, version.id, approver_id=approver.id)
    rows = session.execute(
        select(AuditEvent.action, AuditEvent.actor)
        .where(AuditEvent.object_type == "policy_version", AuditEvent.object_id == str(version.number))
        .order_by(AuditEvent.seq)
    ).all()
    assert [tuple(r) for r in rows] == [
        ("policy.proposed", "audit.author@example.com"),
        ("policy.approved", "audit.approver@example.com"),
    ]


def test_a_deactivation_is_audited(session):
    partner = make_partner(session, "SUP-AU1")
    admin = make_account(session, "au1.admin@example.com", partners=(partner,), role="partner_admin")
    user = make_account(session, "au1.user@example.com", partners=(partner,))
    membership = session.scalar(select(Membership).where(Membership.account_id == user.id))
    team.deactivate(session, actor_id=admin.id, partner_id=partner.id, membership_id=membership.id)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "membership.deactivated"))
    assert event is not None
    assert (event.actor, event.object_id, event.detail["account_id"]) == (
        "au1.admin@example.com",
        str(membership.id),
        user.id,
    )


def test_console_sign_ins_and_failures_are_audited_with_the_address(console_client, session):
    make_account(session, "audited.staff@example.com", staff_role="viewer")
    assert sign_in(console_client, "audited.staff@example.com", "not-the-password").status_code == 401
    assert sign_in(console_client, "audited.staff@example.com").status_code == 302
    rows = session.execute(
        select(AuditEvent.action, AuditEvent.actor, AuditEvent.address, AuditEvent.detail)
        .where(AuditEvent.actor == "audited.staff@example.com")
        .order_by(AuditEvent.seq)
    ).all()
    assert [(r.action, r.address) for r in rows] == [
        ("sign_in.failed", "127.0.0.1"),
        ("sign_in.succeeded", "127.0.0.1"),
    ]
    assert rows[0].detail["reason"] == "wrong e-mail or password"
    assert rows[1].detail == {"app": "console", "method": "password"}


def test_the_console_lists_and_filters_the_log(console_client, session):
    make_account(session, "log.reader@example.com", staff_role="viewer")
    audit.record(
        session, "policy.proposed", actor="someone@example.com", object_type="policy_version", object_id="9"
    )
    sign_in(console_client, "log.reader@example.com")
    page = console_client.get("/audit").get_data(as_text=True)
    assert "policy.proposed" in page
    assert "sign_in.succeeded" in page
    only_sign_ins = console_client.get("/audit?action=sign_in.").get_data(as_text=True)
    assert "sign_in.succeeded" in only_sign_ins
    assert "someone@example.com" not in only_sign_ins
    by_person = console_client.get("/audit?actor=someone@").get_data(as_text=True)
    assert "someone@example.com" in by_person
    assert "log.reader@example.com" not in by_person
    bad = console_client.get("/audit?since=2026-12-31&until=2026-01-01")
    assert bad.status_code == 400
    assert "The end date is before the start date." in bad.get_data(as_text=True)
    wrong_date = console_client.get("/audit?since=yesterday")
    assert wrong_date.status_code == 400


def test_partner_users_and_visitors_get_nothing_from_the_audit_page(console_client, session):
    partner = make_partner(session, "SUP-AU2")
    make_account(session, "au2.user@example.com", partners=(partner,))
    anonymous = console_client.get("/audit")
    assert anonymous.status_code == 302
    assert "/login" in anonymous.headers["Location"]
    assert sign_in(console_client, "au2.user@example.com").status_code == 401
    assert console_client.get("/audit").status_code == 302


def test_an_event_recorded_while_a_page_only_reads_is_chained_in_the_write_at_its_end(tmp_path_factory):
    from internal.db import begin_reading, commit

    with scratch_database(tmp_path_factory, "auditread") as url:
        upgrade(url)
        engine = make_engine(url)
        factory = make_session_factory(engine)
        with factory() as writer:
            audit.record(writer, "before.page", actor="w@example.com")
            writer.commit()
        with factory() as page:
            begin_reading(page)
            page.execute(select(AuditEvent.id)).all()  # the page reads first
            entry = audit.record(page, "staff.previewed", actor="p@example.com")
            assert entry.seq is None  # kept back with the page's other writes
            with factory() as other:  # someone else writes meanwhile
                begin_writing(other)
                audit.record(other, "meanwhile", actor="o@example.com")
                other.commit()
            commit(page)
            assert entry.seq == 3
        with factory() as session:
            verdict = audit.verify(session)
            assert verdict.ok
            assert verdict.checked == 3
        engine.dispose()


def test_events_from_before_the_chain_join_it_when_the_database_is_upgraded(tmp_path_factory):
    with scratch_database(tmp_path_factory, "auditmigrate") as url:
        upgrade(url, revision="0008")
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO account (email, name, password_hash, is_staff, active, created_at, "
                    "totp_secret) VALUES ('old.admin@example.com', 'Old Admin', '', true, true, :at, '')"
                ),
                {"at": "2026-11-01 08:00:00"},
            )
            account_id = conn.execute(text("SELECT id FROM account")).scalar_one()
            for n, action in enumerate(("policy.proposed", "policy.approved"), start=1):
                conn.execute(
                    text(
                        "INSERT INTO audit_event (at, account_id, action, object_type, object_id, detail) "
                        "VALUES (:at, :account, :action, 'policy_version', '2', :detail)"
                    ),
                    {"at": f"2026-11-0{n} 09:00:00", "account": account_id, "action": action, "detail": "{}"},
                )
        upgrade(url)
        with make_session_factory(engine)() as session:
            audit.record(session, "after.upgrade", actor="new@example.com")
            session.commit()
            rows = session.execute(select(AuditEvent.seq, AuditEvent.actor).order_by(AuditEvent.seq)).all()
            assert [tuple(r) for r in rows] == [
                (1, "old.admin@example.com"),
                (2, "old.admin@example.com"),
                (3, "new@example.com"),
            ]
            verdict = audit.verify(session)
            assert verdict.ok
            assert verdict.checked == 3
        engine.dispose()
