"""Background jobs on Celery. Tasks take ids, call services, and commit at the task boundary.

Without CELERY_BROKER_URL the tasks run in-process (the embedded default); with a Redis URL,
``portal worker`` (``celery -A portal.worker:celery_app worker``) runs them.

This module names no task of another module: each task is registered, under a name its own module
defines once, by the module that owns it (the integration's here in the core, the partner e-mails by
the extranet, which renders them through the gate), and so is each entry of the worker's scheduler
(``run_on_schedule``). Code that queues a task imports the task and calls its ``delay``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from celery import Celery
from celery.signals import worker_init
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from internal import config as settings
from internal import invitations, mail
from internal.accounts import token_hash
from internal.db import begin_writing, make_engine, make_session_factory
from internal.languages import Language
from internal.models import Account, Invitation, MembershipRole, utcnow

log = logging.getLogger(__name__)

celery_app = Celery("portal")
# Set before any task exists: a task takes its options from the settings when first used, which may be
# before ``configure`` runs (a module that imports a task and inspects it), and no result is ever read.
celery_app.conf.task_ignore_result = True
_state: dict[str, Any] = {"config": None, "factory": None}


def configure(config: dict[str, Any]) -> None:
    """Apply the portal's settings to the Celery app (called by both app factories and the worker)."""
    broker = config["CELERY_BROKER_URL"]
    previous = _state["config"]
    if previous is not None and previous["CELERY_BROKER_URL"] != broker:
        # Connection and producer pools remember the broker they were made for: drop them.
        celery_app.close()
        celery_app.__dict__.pop("amqp", None)
    if broker:
        celery_app.conf.update(
            broker_url=broker,
            result_backend=broker,
            task_always_eager=False,
            # A task whose worker dies is redelivered; tasks are written to be idempotent for that.
            task_acks_late=True,
            task_reject_on_worker_lost=True,
            worker_prefetch_multiplier=1,
            # An unacknowledged task comes back after this long (default one hour): longer than any
            # task and its retries take, short enough that a crashed worker's mail goes out soon.
            broker_transport_options={"visibility_timeout": 600},
            broker_connection_retry_on_startup=True,
            # No results are kept: nothing reads them, and Redis then holds task arguments (tokens)
            # only while the message is queued.
            task_ignore_result=True,
            beat_schedule=beat_schedule(config),
            beat_schedule_filename=str(settings.INSTANCE / "celerybeat-schedule"),
        )
    else:
        celery_app.conf.update(task_always_eager=True, task_eager_propagates=True, task_ignore_result=True)
    if config.get("DATABASE_BIND") is not None:
        # An app bound to an existing connection (tests): tasks share it, so they see its data.
        _state["factory"] = make_session_factory(config["DATABASE_BIND"])
    elif _state["config"] is None or _state["config"]["DATABASE_URL"] != config["DATABASE_URL"]:
        _state["factory"] = None
    _state["config"] = config


def use_session_factory(factory: sessionmaker[Session] | None) -> sessionmaker[Session] | None:
    """Point tasks at another session factory and return the previous one (tests bind tasks to their
    own connection, so an eager task sees the test's uncommitted rows). None: build from DATABASE_URL.
    """
    previous: sessionmaker[Session] | None = _state["factory"]
    _state["factory"] = factory
    return previous


def current_config() -> dict[str, Any]:
    if _state["config"] is None:
        configure(settings.load())
    config: dict[str, Any] = _state["config"]
    return config


@contextmanager
def task_session() -> Iterator[Session]:
    """A session for one task run: committed when the task succeeds, rolled back when it fails."""
    if _state["factory"] is None:
        _state["factory"] = make_session_factory(make_engine(current_config()["DATABASE_URL"]))
    factory: sessionmaker[Session] = _state["factory"]
    with factory() as session:
        try:
            begin_writing(session)  # tasks write: take SQLite's write lock at BEGIN (see internal/db.py)
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


#: The worker's scheduler entries, each added by the module that owns its task: a function of the
#: settings to {entry name: beat entry} (no entry where a setting turns the run off).
_schedules: list[Callable[[Mapping[str, Any]], dict[str, Any]]] = []


def run_on_schedule(entries: Callable[[Mapping[str, Any]], dict[str, Any]]) -> None:
    """Have the worker's scheduler run the entries ``entries(settings)`` gives (see ``beat_entries``)."""
    _schedules.append(entries)
    if _state["config"] is not None and _state["config"]["CELERY_BROKER_URL"]:
        celery_app.conf.beat_schedule = beat_schedule(_state["config"])


def beat_schedule(config: Mapping[str, Any]) -> dict[str, Any]:
    """Every entry registered with ``run_on_schedule``, under these settings."""
    schedule: dict[str, Any] = {}
    for entries in _schedules:
        schedule.update(entries(config))
    return schedule


def beat_entries(times_by_entry: Mapping[str, tuple[str, Any]]) -> dict[str, Any]:
    """Beat entries from {entry name: (task name, times)}, the times a crontab line ("30 5 * * 1") or a
    number of seconds; an entry whose times are empty is left out (that run is turned off).
    """
    from celery.schedules import crontab

    schedule: dict[str, Any] = {}
    for name, (task, setting) in times_by_entry.items():
        times = str(setting).strip()
        if times.replace(".", "", 1).isdigit():
            schedule[name] = {"task": task, "schedule": float(times)}  # every N seconds
        elif times:
            minute, hour, day, month, weekday = times.split()
            schedule[name] = {
                "task": task,
                "schedule": crontab(
                    minute=minute, hour=hour, day_of_month=day, month_of_year=month, day_of_week=weekday
                ),
            }
    return schedule


_ON_COMMIT = "portal_on_commit"


def on_commit(session: Session, callback: Callable[[], object]) -> None:
    """Run ``callback`` once ``session``'s transaction commits; forget it if the transaction rolls back.

    For queueing tasks about new rows: a worker must not look for rows that are not committed yet.
    """
    if _ON_COMMIT not in session.info:
        session.info[_ON_COMMIT] = []
        event.listen(session, "after_commit", _run_on_commit)
        event.listen(session, "after_transaction_end", _forget_on_commit)
    session.info[_ON_COMMIT].append(callback)


def _run_on_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released, not the commit the rows wait for
    callbacks, session.info[_ON_COMMIT] = session.info[_ON_COMMIT], []
    for callback in callbacks:
        try:
            callback()
        except Exception:
            # The commit has happened: a failure to queue (or, in-process, to send) must not look like
            # a failed commit to the caller. The row keeps its "not sent" state for a retry.
            log.exception("after-commit callback %r failed", callback)


def _forget_on_commit(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info[_ON_COMMIT] = []


@worker_init.connect
def _worker_init(**_kw: Any) -> None:
    configure(settings.load())


if os.environ.get("CELERY_BROKER_URL"):
    # `celery -A internal.jobs:celery_app` imports this module directly: configure from the environment.
    configure(settings.load())


SEND_INVITATION = "portal.send_invitation"
SEND_MAIL = "portal.send_mail"


# The token is an argument because the database keeps only its hash: Redis holds it transiently, in
# the queued message, until a worker takes it (results are not stored).
@celery_app.task(name=SEND_INVITATION, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_invitation(invitation_id: int, token: str) -> bool:
    """E-mail the invitation link. The token travels only in the task message, never in the database.

    Idempotent: an invitation already sent (sent_at set), accepted, expired or gone is not mailed, nor
    is a token that is not this invitation's. Delivery is at least once: a worker that dies between
    the SMTP hand-off and the commit mails again on redelivery. Returns whether a mail went out.
    """
    config = current_config()
    with task_session() as session:
        invitation = session.get(Invitation, invitation_id)
        if (
            invitation is None
            or invitation.sent_at is not None
            or invitation.accepted_at is not None
            or invitation.expires_at <= utcnow()
            or invitation.token_hash != token_hash(token)
        ):
            return False
        link = f"{config['EXTRANET_URL'].rstrip('/')}/invitation/{token}"
        partner = invitation.partner
        lang = Language(_invitation_locale(session, invitation))
        mail.send(
            config,
            to=invitation.email,
            subject=lang.gettext(
                "You are invited to the partner portal for %(partner)s", partner=partner.name
            ),
            text=lang.gettext(
                "Hello,\n\nYou have been invited to join %(partner)s (%(code)s) on our partner portal.\n\n"
                "Accept the invitation and choose your password here:\n%(link)s\n\n"
                "The link works once and expires on %(expires)s UTC.\n",
                partner=partner.name,
                code=partner.code,
                link=link,
                expires=f"{invitation.expires_at:%Y-%m-%d %H:%M}",
            ),
        )
        invitation.sent_at = utcnow()
    return True


def _invitation_locale(session: Session, invitation: Invitation) -> str | None:
    """The invitee's saved language when they have an account already, else the inviting person's."""
    invitee = session.scalar(
        select(Account.locale).where(func.lower(Account.email) == invitation.email.lower())
    )
    if invitee or invitation.invited_by_id is None:
        return invitee
    return session.scalar(select(Account.locale).where(Account.id == invitation.invited_by_id))


@celery_app.task(name=SEND_MAIL, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_mail(to: str, subject: str, text: str) -> None:
    """Send one message the request already wrote, in its reader's language (a password-reset link)."""
    mail.send(current_config(), to=to, subject=subject, text=text)


def invite_and_send(
    session: Session,
    *,
    partner_id: int,
    email: str,
    role: str = MembershipRole.user.value,
    invited_by_id: int | None,
    expires_in: dt.timedelta = invitations.INVITATION_LIFETIME,
) -> Invitation:
    """Create an invitation (see ``invitations.invite``) and queue its e-mail for when ``session`` commits.

    Flushes, never commits: the caller's commit sends the mail; a rollback sends nothing.
    """
    invitation, token = invitations.invite(
        session,
        partner_id=partner_id,
        email=email,
        role=role,
        invited_by_id=invited_by_id,
        expires_in=expires_in,
    )
    invitation_id = invitation.id
    on_commit(session, lambda: send_invitation.delay(invitation_id, token))
    return invitation
