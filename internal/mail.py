"""Outgoing e-mail through SMTP (smtplib); templates are the caller's business."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from internal.models import utcnow


def build_message(*, sender: str, to: str, subject: str, text: str, html: str | None = None) -> EmailMessage:
    """A complete message: plain text, plus an HTML alternative when ``html`` is given."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(utcnow())
    # The sender's domain, not socket.getfqdn(): that can wait on DNS where there is none.
    senders = message["From"].addresses
    message["Message-ID"] = make_msgid(domain=(senders[0].domain if senders else "") or "localhost")
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


def send(config: dict[str, Any], *, to: str, subject: str, text: str, html: str | None = None) -> None:
    """Send one message through the SMTP server in ``config`` (SMTP_HOST, SMTP_PORT, MAIL_FROM)."""
    message = build_message(sender=config["MAIL_FROM"], to=to, subject=subject, text=text, html=html)
    with smtplib.SMTP(config["SMTP_HOST"], int(config["SMTP_PORT"]), timeout=30) as smtp:
        smtp.send_message(message)
