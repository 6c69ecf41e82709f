"""`flask pole worker` as real processes on the test database: two at once send each mail
once, one killed after its claim loses nothing, SIGTERM stops one cleanly."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from pole.db import db, write_transaction
from pole.outbox import queue_mail
from pole.outbox.models import OutgoingMail

pytestmark = pytest.mark.concurrency

ROOT = Path(__file__).resolve().parents[1]
# Queued "long ago": due for the processes, whose clock is the real one even when this
# session's clock is moved (POLE_TEST_NOW).
LONG_AGO = datetime(2000, 1, 3, 9, 0, tzinfo=UTC)


def queue(count: int) -> None:
    with write_transaction():
        for i in range(count):
            queue_mail(
                f"personne{i}@exemple.fr", f"Message {i}", "Bonjour", kind="test", now=LONG_AGO
            )


def worker_env(app, smtp_server, tmp_path: Path) -> dict:  # noqa: ANN001
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POLE_", "MAIL_", "SERVER_"))}
    return env | {
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_server[1]),
        "POLE_INSTANCE_PATH": str(tmp_path),
        # The workers' daily clean-up would delete these mails "sent long ago" at once.
        "POLE_OUTBOX_KEEP_DAYS": "100000",
    }


def flask(env: dict, *args: str) -> subprocess.Popen:
    command = ["timeout", "120", sys.executable, "-m", "flask", "--app", "app", *args]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def statuses() -> dict[str, int]:
    db.session.rollback()
    rows = db.session.execute(
        sa.select(OutgoingMail.status, sa.func.count()).group_by(OutgoingMail.status)
    )
    return dict(rows.all())


def test_two_worker_processes_at_once_send_each_mail_once(app, mailbox, smtp_server, tmp_path):
    queue(300)
    mailbox.deliver = None  # only the two workers send
    env = worker_env(app, smtp_server, tmp_path)

    workers = [flask(env, "pole", "worker", "--once") for _ in range(2)]
    outputs = [w.communicate(timeout=120)[0] for w in workers]

    assert [w.returncode for w in workers] == [0, 0], outputs
    assert statuses() == {"sent": 300}
    ids = [m["Message-ID"] for m in mailbox.messages]
    assert len(ids) == len(set(ids)) == 300
    sent_by = [sum(map(int, re.findall(r"(\d+) mail\(s\) sent", out))) for out in outputs]
    assert sum(sent_by) == 300, outputs


CLAIM_THEN_HANG = """
import sys, time
from pole import create_app
from pole.outbox.sender import claim
from pole.db import utcnow
app = create_app()
with app.app_context():
    print(len(claim(utcnow())), flush=True)
    time.sleep(100)
"""


def test_a_worker_killed_after_its_claim_loses_nothing(app, mailbox, smtp_server, tmp_path):
    queue(5)
    mailbox.deliver = None
    env = worker_env(app, smtp_server, tmp_path)
    doomed = subprocess.Popen(
        [sys.executable, "-c", CLAIM_THEN_HANG],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert doomed.stdout.readline().strip() == "5"
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    doomed.stdout.close()
    assert statuses() == {"sending": 5}

    # Its lease has not run out: another worker leaves the mails alone…
    survivor = flask(env, "pole", "worker", "--once")
    survivor.communicate(timeout=120)
    assert statuses() == {"sending": 5} and mailbox.messages == []
    # …until it has (the lease is what a sender that died leaves behind).
    with write_transaction():
        db.session.execute(sa.update(OutgoingMail).values(lease_until=LONG_AGO))
    survivor = flask(env, "pole", "worker", "--once")
    survivor.communicate(timeout=120)
    assert statuses() == {"sent": 5}
    assert len(mailbox.messages) == 5


def test_sigterm_stops_the_worker_cleanly(app, mailbox, smtp_server, tmp_path):
    queue(3)
    mailbox.deliver = None
    env = worker_env(app, smtp_server, tmp_path)
    worker = flask(env, "pole", "worker", "--interval", "0.2")
    deadline = time.monotonic() + 60
    while statuses().get("sent", 0) < 3:
        assert worker.poll() is None and time.monotonic() < deadline
        time.sleep(0.1)

    started = time.monotonic()
    worker.send_signal(signal.SIGTERM)
    output = worker.communicate(timeout=30)[0]

    assert worker.returncode == 0, output
    assert time.monotonic() - started < 10
    assert "Pôle worker arrêté." in output and "Purge" in output
    assert len(mailbox.messages) == 3


def test_by_default_the_worker_sends_the_mails_within_two_seconds(monkeypatch, tmp_path):
    # The web process only writes mails: sending them from its thread slowed its pages.
    from pole.config import from_environment

    monkeypatch.delenv("POLE_MAIL_KICK", raising=False)
    monkeypatch.delenv("POLE_WORKER_INTERVAL", raising=False)
    settings = from_environment(
        str(tmp_path), {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    )
    assert settings["POLE_MAIL_KICK"] is False
    assert settings["POLE_WORKER_INTERVAL"] == 2.0
