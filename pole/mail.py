"""Outgoing mail through SMTP; written to the log when no SMTP server is configured."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app

log = logging.getLogger("pole.mail")


def send_mail(to: str, subject: str, body: str) -> None:
    """Send a plain-text French e-mail to one address."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="pole.local")
    message.set_content(body)

    if not config["MAIL_SERVER"]:
        # Development: no SMTP configured, so show the message (and its link) in the log.
        log.info("Mail not sent (no MAIL_SERVER) to %s: %s\n%s", to, subject, body)
        return

    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)
