"""A real Celery worker on a real Redis e-mails a staff reply to the customer's users, through the gate."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from internal import service_desk
from internal.db import make_engine, make_session_factory
from internal.migrate import upgrade
from internal.models import DisclosureRecord
from portal.notifications import notify_service_reply
from tests.conftest import install_default_policy, scratch_database
from tests.factories import make_account, make_partner
from tests.integration.test_worker import celery_worker, redis_url  # noqa: F401 - redis_url is a fixture
from tests.smtp_sink import smtp_sink  # noqa: F401 - pytest fixture

pytestmark = pytest.mark.worker


def test_a_real_worker_emails_the_staff_reply_through_the_gate(tmp_path_factory, redis_url, smtp_sink):  # noqa: F811
    inbox, smtp_port = smtp_sink
    with scratch_database(tmp_path_factory, "reply") as url:
        upgrade(url)
        install_default_policy(url)
        engine = make_engine(url)
        with make_session_factory(engine)() as session:
            customer = make_partner(session, "CUS-503", "customer")
            user = make_account(session, "buyer@cus503.example.com", partners=(customer,))
            staff = make_account(session, "desk503@example.com", staff_role="buyer")
            opened = service_desk.open_request(
                session, account_id=user.id, partner_id=customer.id, subject="Seal", body="It leaks."
            )
            service_desk.staff_reply(
                session, account_id=staff.id, number=opened.number, body="A new seal ships."
            )
            service_desk.staff_reply(
                session, account_id=staff.id, number=opened.number, body="Check stock.", internal_only=True
            )
            number, customer_id, user_id = opened.number, customer.id, user.id
            session.commit()
        try:
            with celery_worker(url, redis_url, smtp_port):
                notify_service_reply.delay(number, customer_id)
                (mail,) = inbox.wait_for(1, timeout=60)
                assert mail["To"] == "buyer@cus503.example.com"
                assert number in mail["Subject"]
                text = mail.get_content()
                assert "A new seal ships." in text
                assert "Check stock." not in text
                assert f"http://portal.test/customer/service-requests/{number}" in text
                # The worker commits its ledger records after the hand-off to SMTP: wait for them.
                deadline, datasets = time.monotonic() + 20, []
                while len(datasets) < 2 and time.monotonic() < deadline:
                    with engine.connect() as conn:
                        datasets = conn.scalars(
                            select(DisclosureRecord.dataset).where(
                                DisclosureRecord.channel == "email", DisclosureRecord.account_id == user_id
                            )
                        ).all()
                    time.sleep(0.1)
                assert sorted(datasets) == ["service_request_messages", "service_requests"]
        finally:
            engine.dispose()
