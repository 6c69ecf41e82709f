"""`flask pole worker`: sends the outbox and runs the building's timed jobs, until SIGTERM.

Run one or several (on several machines too): the outbox is claimed row by row, the daily
digests and reminders by a row per person and day, and the clean-ups may run twice without
harm. Nothing it needs lives only in its memory.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask

from pole.config import DEFAULT_BASE_URL
from pole.db import utcnow
from pole.outbox import deliver_due
from pole.outbox.sender import forget_old

log = logging.getLogger("pole.worker")
DAY = 24 * 3600
MINUTE = 60


def purge_appointments(app: Flask) -> None:
    """The appointment retention purge (`flask pole purge`), once a day."""
    from pole.permanences.services import purge

    purged = purge(app.config["POLE_APPOINTMENT_RETENTION_DAYS"])
    log.info("Purge: %s appointments deleted", purged.appointments)


def send_digests(app: Flask) -> None:
    """Each person's daily digest, from 07:00 in the site's time zone (once a day each)."""
    from pole.notifications.daily import send_digests as send

    sent = send(utcnow())
    if sent:
        log.info("Digests: %s queued", sent)


def send_reminders(app: Flask) -> None:
    """The reminders of tomorrow's bookings, from 07:00 the day before (once a person)."""
    from pole.notifications.daily import send_reminders as send

    sent = send(utcnow())
    if sent:
        log.info("Reminders: %s queued", sent)


def forget_old_mail(app: Flask) -> None:
    """Sent and given-up mails leave the outbox after POLE_OUTBOX_KEEP_DAYS, once a day."""
    from pole.notifications.daily import forget_old_claims

    forgotten = forget_old(utcnow(), app.config["POLE_OUTBOX_KEEP_DAYS"])
    forget_old_claims(utcnow(), app.config["POLE_OUTBOX_KEEP_DAYS"])
    log.info("Outbox: %s old mail(s) deleted", forgotten)


def forget_login_failures(app: Flask) -> None:
    """Failed-login counters leave once their window is over, once a day."""
    from pole.auth.throttle import forget_old as forget_old_counters

    log.info("Login throttle: %s old counter(s) deleted", forget_old_counters(utcnow()))


def advance_waitlist(app: Flask) -> None:
    """Waiting list: past wishes end; when the person told did not book in time, the next is."""
    from pole.waitlist.services import advance

    closed = advance(utcnow())
    if closed:
        log.info("Waiting list: %s wish(es) closed", closed)


@dataclass
class TimedJob:
    """A job run when the worker starts, then every `every` seconds."""

    run: Callable[[Flask], None]
    every: float
    next_at: float = field(default=0.0)


def timed_jobs() -> list[TimedJob]:
    # The daily mails are due by the clock and the database (a row per person and day), not
    # by this worker's memory: it only decides how often to look.
    return [
        TimedJob(purge_appointments, DAY),
        TimedJob(forget_old_mail, DAY),
        TimedJob(send_digests, MINUTE),
        TimedJob(send_reminders, MINUTE),
        TimedJob(forget_login_failures, DAY),
        TimedJob(advance_waitlist, MINUTE),
    ]


def send_outbox(stop: threading.Event) -> int:
    """Send every due mail (in batches); how many left."""
    sent = 0
    while not stop.is_set():
        delivery = deliver_due()
        sent += delivery.sent
        if not delivery.claimed:
            break
    return sent


def warn_of_the_default_base_url(app: Flask) -> None:
    """The worker's mails link to POLE_BASE_URL: say so when it is only the default (`make
    run` sets it)."""
    given = os.environ.get("POLE_BASE_URL", "").strip()
    if not given and app.config.get("POLE_BASE_URL") == DEFAULT_BASE_URL:
        log.warning(
            "POLE_BASE_URL is not set: links in mails point to %s; set it to the address "
            "people open (https://pole.example.org)",
            DEFAULT_BASE_URL,
        )


def run(app: Flask, stop: threading.Event, interval: float, once: bool = False) -> None:
    """Loop: send the due mails, run the jobs that are due, sleep `interval`; until `stop`."""
    warn_of_the_default_base_url(app)
    jobs = timed_jobs()
    while not stop.is_set():
        with app.app_context():
            # The jobs that are due come first: at start they run before any mail is sent,
            # so a worker stopped right after its first mails has done its daily work too.
            for job in jobs:
                if time.monotonic() >= job.next_at and not stop.is_set():
                    job.next_at = time.monotonic() + job.every
                    try:
                        job.run(app)
                    except Exception:
                        log.exception("Timed job %s failed", job.run.__name__)
            try:
                sent = send_outbox(stop)
                if sent:
                    log.info("%s mail(s) sent", sent)
            except Exception:  # the database or the network is down: try again later
                log.exception("The outbox could not be sent")
        if once:
            return
        stop.wait(interval)


def stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM (systemd, docker) and SIGINT (Ctrl-C) end the loop after the current mail."""

    def handle(signum: int, _frame: object) -> None:
        log.info("Signal %s: the worker stops after the current batch", signum)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
