"""SMTP delivery, or the log when no SMTP server is configured. Only the outbox sends."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger("pole.mail")

# A mail that waits on a slow server blocks only its sender, and not for ever.
SMTP_TIMEOUT = 10


@contextmanager
def smtp_connection(config: dict) -> Iterator[smtplib.SMTP]:
    """One SMTP session (STARTTLS, login as configured) for a batch of mails."""
    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=SMTP_TIMEOUT) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        yield smtp


def log_instead(to: str, subject: str, text: str, with_body: bool) -> None:
    """No SMTP configured: write the mail to the log (its body only where told to)."""
    if with_body:
        log.info("Mail not sent (no MAIL_SERVER) to %s: %s\n%s", to, subject, text)
    else:
        # A body may hold a reset or invitation link: outside development it stays out of logs.
        log.info("Mail not sent (no MAIL_SERVER) to %s: %s (body withheld)", to, subject)
