"""A real Celery worker on a real Redis sends the invitation e-mail: background work, not eager mode."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from sqlalchemy import select

from internal import config as settings
from internal import invitations, jobs
from internal.db import make_engine, make_session_factory
from internal.migrate import upgrade
from internal.models import Invitation, Partner, PartnerKind
from tests.conftest import scratch_database
from tests.smtp_sink import free_port, smtp_sink  # noqa: F401 - pytest fixture

pytestmark = pytest.mark.worker


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """PORTAL_TEST_REDIS_URL when CI provides one, else a redis-server of our own on a free port."""
    if url := os.environ.get("PORTAL_TEST_REDIS_URL"):
        redis.Redis.from_url(url).flushdb()
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    client.close()
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(10)


@contextmanager
def celery_worker(url: str, redis_url: str, smtp_port: int) -> Iterator[None]:
    """A real `celery worker` on ``redis_url`` over the database at ``url``, mailing the sink on
    ``smtp_port``, with this process queueing to it; on leaving, tasks run in-process again and the
    worker must have logged no traceback.
    """
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": redis_url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "EXTRANET_URL": "http://portal.test",
    }
    celery = str(Path(sys.executable).with_name("celery"))
    worker = subprocess.Popen(
        [
            celery,
            "-A",
            "portal.worker:celery_app",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--loglevel=warning",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    previous = jobs.current_config()
    try:
        jobs.configure(settings.load({"DATABASE_URL": url, "CELERY_BROKER_URL": redis_url}))
        yield
    finally:
        jobs.configure(previous)  # back to in-process tasks; drops the broker connections
        worker.terminate()
        output = worker.communicate(timeout=20)[0].decode()
    assert "Traceback" not in output, output


def test_a_real_worker_sends_the_invitation_and_marks_it_sent(tmp_path_factory, redis_url, smtp_sink):  # noqa: F811
    inbox, smtp_port = smtp_sink
    with scratch_database(tmp_path_factory, "worker") as url:
        upgrade(url)
        engine = make_engine(url)
        with make_session_factory(engine)() as session:
            partner = Partner(code="SUP-501", name="Worker Test Castings", kind=PartnerKind.supplier)
            session.add(partner)
            session.flush()
            invitation, token = invitations.invite(
                session, partner_id=partner.id, email="queued@example.com", invited_by_id=None
            )
            invitation_id = invitation.id
            session.commit()

        try:
            with celery_worker(url, redis_url, smtp_port):
                jobs.send_invitation.delay(invitation_id, token)
                (mail,) = inbox.wait_for(1, timeout=60)
                assert mail["To"] == "queued@example.com"
                assert f"http://portal.test/invitation/{token}" in mail.get_content()
                deadline = time.monotonic() + 20
                sent_at = None
                while sent_at is None and time.monotonic() < deadline:
                    with engine.connect() as conn:
                        sent_at = conn.scalar(
                            select(Invitation.sent_at).where(Invitation.id == invitation_id)
                        )
                    time.sleep(0.1)
                assert sent_at is not None, "the worker sent the mail but did not commit sent_at"

                # Delivered twice (as after a worker crash), the task does not mail again.
                jobs.send_invitation.delay(invitation_id, token)
                time.sleep(1.5)
                assert len(inbox.messages) == 1
        finally:
            engine.dispose()


def test_the_workers_scheduler_announces_a_new_purchase_order(tmp_path_factory, redis_url, smtp_sink):  # noqa: F811
    """`portal worker` runs the scheduler: an order written straight into the database gets mailed."""
    from tests.conftest import install_default_policy
    from tests.factories import make_account, make_partner, make_purchase_order

    inbox, smtp_port = smtp_sink
    with scratch_database(tmp_path_factory, "sweep") as url:
        upgrade(url)
        install_default_policy(url)
        engine = make_engine(url)
        with make_session_factory(engine)() as session:
            supplier = make_partner(session, "SUP-502", "supplier")
            make_account(session, "orders@sup502.example.com", partners=(supplier,))
            make_purchase_order(session, "PO-502", supplier, lines=2)
            session.commit()
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "CELERY_BROKER_URL": redis_url,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
            "EXTRANET_URL": "http://portal.test",
            "PURCHASE_ORDER_SWEEP_SECONDS": "1",
        }
        portal = str(Path(sys.executable).with_name("portal"))
        worker = subprocess.Popen(
            [portal, "worker", "--pool=solo", "--loglevel=warning", "--without-gossip", "--without-mingle"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            (mail,) = inbox.wait_for(1, timeout=60)
            assert (mail["To"], mail["Subject"]) == ("orders@sup502.example.com", "New purchase order PO-502")
            assert "http://portal.test/supplier/purchase-orders/PO-502" in mail.get_content()
            time.sleep(2.5)  # more sweeps run; the order is not announced again
            assert len(inbox.messages) == 1
        finally:
            worker.terminate()
            output = worker.communicate(timeout=20)[0].decode()
            engine.dispose()
        assert "Traceback" not in output, output
