"""SQLite writers wait their turn in order (pole.core.write_queue), across threads and processes.

BEGIN IMMEDIATE still serialises them; the queue only replaces the busy handler's polling.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from pole.bookings.models import Booking
from pole.core.write_queue import WriteQueue, WriteQueueTimeout, queue_for
from pole.db import configure_sqlite, db, write_transaction
from tests.conftest import build_app
from tests.factories import make_organisation, make_resource, make_user
from tests.test_concurrency_http import first_weekday_ahead

ROOT = Path(__file__).resolve().parent.parent


def wait_until(condition, timeout: float = 10.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def database_file(app) -> str:  # noqa: ANN001
    return db.engine.url.database


@pytest.mark.parametrize("backend", ["sqlite"])
def test_writers_of_one_process_get_the_turn_in_the_order_they_asked(app):
    queue = queue_for(database_file(app))
    order: list[int] = []

    def writer(i: int) -> None:
        with app.app_context():
            try:
                with write_transaction():
                    db.session.execute(sa.text("SELECT 1"))
                    order.append(i)
            finally:
                db.session.remove()

    threads = []
    with write_transaction():
        db.session.execute(sa.text("SELECT 1"))  # begins: holds the turn and SQLite's lock
        for i in range(8):
            thread = threading.Thread(target=writer, args=(i,))
            thread.start()
            threads.append(thread)
            wait_until(lambda n=i + 1: queue.waiting() == n)
    for thread in threads:
        thread.join(timeout=30)
    assert order == list(range(8))
    assert queue.waiting() == 0


COUNTER = """
import sys, threading, traceback
import sqlalchemy as sa
from pole.db import configure_sqlite, set_write_intent, reset_write_intent

engine = sa.create_engine(sys.argv[1])
configure_sqlite(engine)
failed = []

def add(times):
    token = set_write_intent(True)
    try:
        for _ in range(times):
            with engine.begin() as conn:  # read, then write what was read: a lost update if
                value = conn.execute(sa.text("SELECT n FROM counter")).scalar_one()  # unordered
                conn.execute(sa.text("UPDATE counter SET n = :n"), {"n": value + 1})
    except BaseException:
        failed.append(traceback.format_exc())
    finally:
        reset_write_intent(token)

threads = [threading.Thread(target=add, args=(int(sys.argv[2]),)) for _ in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
# A thread that failed must fail the process: its missing updates are an error, not lost ones.
if failed:
    sys.exit("".join(failed))
print("done")
"""


def test_two_processes_of_four_threads_writing_at_once_lose_no_update(tmp_path):
    url = f"sqlite:///{tmp_path / 'counter.db'}"
    # The database is in WAL mode before the writers start, as the app's is once `flask db
    # upgrade` has run. Two processes switching a new file to WAL at once can be refused
    # ("database is locked": SQLite does not wait where waiting could deadlock).
    engine = sa.create_engine(url)
    configure_sqlite(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        conn.execute(sa.text("INSERT INTO counter VALUES (0)"))
    processes = [
        subprocess.Popen(  # noqa: S603 (our own interpreter, fixed arguments)
            [sys.executable, "-c", COUNTER, url, "25"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        assert out.strip() == "done"
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT n FROM counter")).scalar_one() == 2 * 4 * 25
    engine.dispose()


def test_a_writer_that_waits_past_its_bound_leaves_the_queue_and_the_next_one_goes_on(tmp_path):
    queue = WriteQueue(str(tmp_path / "db-writelock"))
    queue.acquire(timeout=1)
    with pytest.raises(WriteQueueTimeout):
        queue.acquire(timeout=0.05)
    assert queue.waiting() == 0
    got = threading.Event()

    def next_writer() -> None:
        queue.acquire(timeout=10)
        got.set()
        queue.release()

    thread = threading.Thread(target=next_writer)
    thread.start()
    wait_until(lambda: queue.waiting() == 1)
    assert not got.is_set()
    queue.release()
    thread.join(timeout=10)
    assert got.is_set()


HOLD = """
import fcntl, sys
lock = open(sys.argv[1], "a")
fcntl.flock(lock, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.read()
"""


@pytest.fixture()
def another_process_writing(app):  # noqa: ANN001
    """Make another process hold the write turn of the test's database until its stdin closes."""
    processes = []

    def start() -> subprocess.Popen:
        process = subprocess.Popen(  # noqa: S603 (our own interpreter, fixed arguments)
            [sys.executable, "-c", HOLD, queue_for(database_file(app)).path],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        processes.append(process)
        assert process.stdout.readline().strip() == "held"
        return process

    yield start
    for process in processes:
        if not process.stdin.closed:
            process.stdin.close()
        process.wait(timeout=10)
        process.stdout.close()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_booking_kept_waiting_past_the_bound_is_refused_cleanly_then_goes_through(
    app, another_process_writing, login_as, smtp_server
):
    org = make_organisation()
    room = make_resource(name="Hall")
    volunteer = make_user(org)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    impatient = build_app(url, smtp_server[1], SQLITE_WRITE_WAIT=0.3)
    impatient.test_client_class = app.test_client_class
    client = impatient.test_client()
    login_as(volunteer, on=client)
    form = {
        "resource_id": room.id,
        "organisation_id": org.id,
        "date": first_weekday_ahead().isoformat(),
        "start": "10:00",
        "end": "12:00",
        "quantity": "1",
        "title": "Distribution",
    }
    other = another_process_writing()
    started = time.monotonic()
    response = client.post("/reservations", data=form)
    assert response.status_code == 503
    assert time.monotonic() - started < 5
    assert response.headers["Retry-After"]
    assert "Réessayez dans un instant" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0

    other.stdin.close()
    other.wait(timeout=10)
    assert client.post("/reservations", data=form).status_code == 303
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 1
    with impatient.app_context():
        db.engine.dispose()


def test_the_lock_file_is_an_flock_other_processes_see(tmp_path):
    queue = WriteQueue(str(tmp_path / "db-writelock"))
    queue.acquire(timeout=1)
    with open(queue.path, "a") as other:
        with pytest.raises(BlockingIOError):
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        queue.release()
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)


def test_a_forked_child_does_not_keep_the_turn_its_parent_gives_back(tmp_path):
    queue = queue_for(str(tmp_path / "pole.db"))
    queue.acquire(timeout=1)
    go, started = os.pipe(), os.pipe()
    child = os.fork()
    if child == 0:  # lives on, with whatever the fork left it, until told to go
        os.write(started[1], b"x")
        os.read(go[0], 1)
        os._exit(0)
    try:
        assert os.read(started[0], 1) == b"x"
        queue.release()
        with open(queue.path, "a") as other:
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError if it kept it
    finally:
        os.write(go[1], b"x")
        os.waitpid(child, 0)
        for fd in (*go, *started):
            os.close(fd)
