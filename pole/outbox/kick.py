"""Once a request has committed mails, a thread of the web process sends them at once.

Off by default (POLE_MAIL_KICK): `flask pole worker` sends every mail within
POLE_WORKER_INTERVAL, and this thread's rendering and sending took CPU from the pages its
process serves. On, it is only a shortcut: the outbox table is the truth and the worker sends
whatever this thread does not (the process died, SMTP was down). The request never waits: the
commit only wakes the thread up.
"""

from __future__ import annotations

import logging
import os
import threading
import time

import sqlalchemy.orm as so
from flask import Flask, current_app, has_app_context
from sqlalchemy import event

log = logging.getLogger("pole.outbox")
_QUEUED = "pole.outbox.queued"
# Seconds the sending thread waits, once woken, before it claims the due mails.
GATHER = 0.05


def after_commit(session: so.Session) -> None:
    """Wake the sending thread up once this session's transaction commits."""
    session.info[_QUEUED] = True


@event.listens_for(so.Session, "after_commit")
def _wake_up(session: so.Session) -> None:
    if not session.info.pop(_QUEUED, False) or not has_app_context():
        return
    app = current_app._get_current_object()
    if app.config.get("POLE_MAIL_KICK"):
        _kicker(app).kick()


@event.listens_for(so.Session, "after_rollback")
def _forget(session: so.Session) -> None:
    session.info.pop(_QUEUED, None)


class Kicker:
    """One thread per process and app that sends the due mails whenever it is woken."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.wanted = threading.Event()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.pid = 0

    def kick(self) -> None:
        self.wanted.set()
        with self.lock:
            # A forked worker (gunicorn) inherits the object but not the thread.
            if self.thread is None or not self.thread.is_alive() or self.pid != os.getpid():
                self.pid = os.getpid()
                self.thread = threading.Thread(target=self._run, name="pole-outbox", daemon=True)
                self.thread.start()

    def _run(self) -> None:
        from pole.outbox.sender import deliver_due

        while True:
            self.wanted.wait()
            # A moment for the mails of the requests committing together to join this round:
            # each round is two turns in SQLite's queue of writers (claim, then record).
            time.sleep(self.app.config.get("POLE_MAIL_KICK_GATHER", GATHER))
            self.wanted.clear()
            try:
                with self.app.app_context():
                    while deliver_due().claimed:
                        pass
            except Exception:
                log.exception("The outbox thread could not send; the worker will")


def _kicker(app: Flask) -> Kicker:
    kicker = app.extensions.get("pole.outbox.kicker")
    if kicker is None:
        kicker = app.extensions.setdefault("pole.outbox.kicker", Kicker(app))
    return kicker
