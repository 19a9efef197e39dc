"""E-mails to partner users. What they say about enterprise data passes the gate like a page does.

Each recipient gets the disclosure their own partner may see, recorded in the ledger on the "email"
channel. The tasks run on the portal's Celery app (in-process by default, on a worker with Redis):
this module registers them, and the scheduler's sweep of new purchase orders, itself; the staff
console queues them by importing them.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

import policies
from internal import mail, purchasing
from internal.accounts import partner_recipients
from internal.jobs import celery_app, current_config, run_on_schedule, task_session
from internal.languages import Language

NOTIFY_PURCHASE_ORDER = "portal.notify_purchase_order"
NOTIFY_FORECAST_PUBLISHED = "portal.notify_forecast_published"
ANNOUNCE_PURCHASE_ORDERS = "portal.announce_purchase_orders"
NOTIFY_SERVICE_REPLY = "portal.notify_service_reply"


def _viewer(recipient: Any, partner_id: int) -> policies.Viewer:
    """The recipient as the gate sees them: an account acting for its partner."""
    return policies.Viewer(
        account_id=recipient.account_id,
        partner_id=partner_id,
        partner_code=recipient.partner_code,
        partner_kind=recipient.partner_kind,
        groups=recipient.groups,
    )


def _purchase_order_text(
    order: Any, lines: tuple[Any, ...], link: str, change: str, lang: Language
) -> tuple[str, str]:
    number = order["number"]
    subject = (
        lang.gettext("New purchase order %(number)s", number=number)
        if change == "new"
        else lang.gettext("Purchase order %(number)s changed", number=number)
    )
    rows = "\n".join(
        f"  {ln['line_no']:>3}  {ln['sku']:<14} {ln['qty']:>12} {ln['uom']:<4} "
        + lang.gettext("need by %(date)s", date=ln["need_by"])
        for ln in lines
    )
    text = lang.gettext(
        "%(subject)s.\n\nOrder date: %(date)s\nDeliver to: %(site)s\nRevision: %(revision)s\n\n"
        "Lines:\n%(lines)s\n\nPlease acknowledge each line in the partner portal:\n%(link)s\n",
        subject=subject,
        date=order["order_date"],
        site=order["deliver_to"],
        revision=order["revision"],
        lines=rows,
        link=link,
    )
    return subject, text


def send_purchase_order_notice(
    session: Session, config: dict[str, Any], *, po_number: str, partner_id: int, change: str = "new"
) -> int:
    """E-mail every active user of the supplier about one of its purchase orders; returns how many."""
    sent = 0
    for recipient in partner_recipients(session, partner_id):
        viewer = _viewer(recipient, partner_id)
        header = policies.disclose(
            session, viewer, "purchase_orders", channel="email", filters={"number": po_number}
        )
        if not header.rows:
            continue  # nothing this partner may see: no e-mail rather than an empty one
        lines = policies.disclose(
            session,
            viewer,
            "purchase_order_lines",
            channel="email",
            filters={"order_number": po_number},
            page=policies.Page(size=500),
        )
        link = f"{config['EXTRANET_URL'].rstrip('/')}/supplier/purchase-orders/{po_number}"
        lang = Language(recipient.locale)
        subject, text = _purchase_order_text(header.rows[0], lines.rows, link, change, lang)
        mail.send(config, to=recipient.email, subject=subject, text=text)
        sent += 1
    return sent


@celery_app.task(name=NOTIFY_PURCHASE_ORDER, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_purchase_order(po_number: str, partner_id: int, change: str = "new") -> int:
    with task_session() as session:
        return send_purchase_order_notice(
            session, current_config(), po_number=po_number, partner_id=partner_id, change=change
        )


def _number(value: Any) -> str:
    """1234.000 as 1234, 12.500 as 12.5: quantities as people write them."""
    return format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)


def _forecast_text(rows: tuple[Any, ...], more: bool, link: str, lang: Language) -> tuple[str, str]:
    first = rows[0]
    subject = lang.gettext("Demand plan version %(version)s is published", version=first["plan_version"])
    quantities = "qty" in first and "previous_qty" in first
    changed = sorted(
        (r for r in rows if quantities and r["previous_qty"] is not None and r["qty"] != r["previous_qty"]),
        key=lambda r: abs(r["qty"] - r["previous_qty"]),
        reverse=True,
    )
    lines = "\n".join(
        f"  {r['sku']:<14} {r['site']:<6} "
        + lang.gettext(
            "week of %(week)s: %(qty)s %(uom)s (was %(previous)s)",
            week=r["week"],
            qty=_number(r["qty"]),
            uom=r["uom"],
            previous=_number(r["previous_qty"]),
        )
        for r in changed[:15]
    )
    items = len({r["sku"] for r in rows})
    text = (
        (
            lang.gettext(
                "%(subject)s, with demand for %(n)s or more of the items you supply.",
                subject=subject,
                n=items,
            )
            if more
            else lang.gettext(
                "%(subject)s, with demand for %(n)s of the items you supply.", subject=subject, n=items
            )
        )
        + "\n\n"
        + (
            lang.gettext("The largest changes since the previous version:\n%(lines)s", lines=lines) + "\n\n"
            if changed
            else ""
        )
        + lang.gettext("Read the forecast and commit to it in the partner portal:\n%(link)s", link=link)
        + "\n"
    )
    return subject, text


def send_forecast_notice(session: Session, config: dict[str, Any], *, partner_id: int) -> int:
    """E-mail a supplier's users that a new plan is published, with what their policy lets them see."""
    sent = 0
    for recipient in partner_recipients(session, partner_id):
        viewer = _viewer(recipient, partner_id)
        demand = policies.disclose(session, viewer, "forecast", channel="email", page=policies.Page(size=500))
        if not demand.rows:
            continue
        link = f"{config['EXTRANET_URL'].rstrip('/')}/supplier/forecast"
        lang = Language(recipient.locale)
        subject, text = _forecast_text(demand.rows, demand.next_page is not None, link, lang)
        mail.send(config, to=recipient.email, subject=subject, text=text)
        sent += 1
    return sent


@celery_app.task(name=NOTIFY_FORECAST_PUBLISHED, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_forecast_published(partner_id: int) -> int:
    with task_session() as session:
        return send_forecast_notice(session, current_config(), partner_id=partner_id)


def announce_purchase_orders(session: Session, config: dict[str, Any]) -> int:
    """E-mail suppliers about each order new or changed since they were last told; returns how many.

    Each order is claimed and its e-mails sent in one transaction: if sending fails, the claim rolls
    back with it and the next sweep tries again; two sweeps at once never announce an order twice.
    """
    announced = 0
    for order in purchasing.unannounced(session):
        if not purchasing.claim_announcement(session, order.number):
            continue
        send_purchase_order_notice(
            session, config, po_number=order.number, partner_id=order.supplier_id, change=order.change
        )
        session.commit()
        announced += 1
    return announced


@celery_app.task(name=ANNOUNCE_PURCHASE_ORDERS)
def announce_purchase_orders_task() -> int:
    """Run by the worker's scheduler (PURCHASE_ORDER_SWEEP_SECONDS) and by `portal notify purchase-orders`."""
    with task_session() as session:
        return announce_purchase_orders(session, current_config())


def _sweep_schedule(config: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "announce-purchase-orders": {
            "task": ANNOUNCE_PURCHASE_ORDERS,
            "schedule": config["PURCHASE_ORDER_SWEEP_SECONDS"],
        }
    }


run_on_schedule(_sweep_schedule)


def _service_reply_text(req: Any, reply: Any, link: str, lang: Language) -> tuple[str, str]:
    subject = lang.gettext(
        "Reply to your service request %(number)s: %(subject)s", number=req["number"], subject=req["subject"]
    )
    text = lang.gettext(
        "Our service team answered your request %(number)s (%(subject)s):\n\n%(body)s\n\n"
        "Read the whole conversation and answer in the partner portal:\n%(link)s\n",
        number=req["number"],
        subject=req["subject"],
        body=reply["body"],
        link=link,
    )
    return subject, text


def send_service_reply_notice(
    session: Session, config: dict[str, Any], *, request_number: str, partner_id: int
) -> int:
    """E-mail every active user of the customer the service team's latest reply; returns how many."""
    sent = 0
    for recipient in partner_recipients(session, partner_id):
        viewer = _viewer(recipient, partner_id)
        header = policies.disclose(
            session, viewer, "service_requests", channel="email", filters={"number": request_number}
        )
        messages = policies.disclose(
            session,
            viewer,
            "service_request_messages",
            channel="email",
            filters={"request_number": request_number},
            page=policies.Page(size=500),
        )
        replies = [m for m in messages.rows if m.get("from_service_team") and m.get("body")]
        if not header.rows or not replies:
            continue  # nothing this partner may see: no e-mail rather than an empty one
        link = f"{config['EXTRANET_URL'].rstrip('/')}/customer/service-requests/{request_number}"
        subject, text = _service_reply_text(header.rows[0], replies[-1], link, Language(recipient.locale))
        mail.send(config, to=recipient.email, subject=subject, text=text)
        sent += 1
    return sent


@celery_app.task(name=NOTIFY_SERVICE_REPLY, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_service_reply(request_number: str, partner_id: int) -> int:
    with task_session() as session:
        return send_service_reply_notice(
            session, current_config(), request_number=request_number, partner_id=partner_id
        )
