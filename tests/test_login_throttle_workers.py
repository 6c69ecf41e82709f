"""Failed logins are counted in the database: two gunicorn workers share one count.

Gunicorn runs `app:app` with two worker processes on the test database of the current
backend; its access log names the worker (pid) that answered each request.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from pole.auth.models import LoginThrottle
from pole.db import db
from tests.conftest import free_port
from tests.factories import PASSWORD, make_user
from tests.servers import answers, read, server_env, start_gunicorn, stop, wait_until

pytestmark = pytest.mark.concurrency

ROOT = Path(__file__).resolve().parents[1]
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
WRONG = "pas-le-bon-mot-de-passe"


@dataclass
class Gunicorn:
    base: str
    access_log: Path
    error_log: Path

    def workers(self) -> set[str]:
        return set(re.findall(r"Booting worker with pid: (\d+)", read(self.error_log)))

    def answered_by(self, status: int) -> list[str]:
        """Pids of the workers that answered POST /connexion with this status."""
        lines = read(self.access_log).splitlines()
        answers = (line.split()[:2] for line in lines)
        return [pid.strip("<>") for pid, code in answers if code == str(status)]


@pytest.fixture()
def gunicorn(app, tmp_path: Path) -> Iterator[Gunicorn]:  # noqa: ANN001
    """`gunicorn -w 2 app:app` on this test's database; stopped at the end, whatever happens."""
    port = free_port()
    server = Gunicorn(f"http://127.0.0.1:{port}", tmp_path / "access.log", tmp_path / "error.log")
    env = server_env(app)
    process = start_gunicorn(
        env,
        "-w", "2", "-b", f"127.0.0.1:{port}",
        "--access-logfile", str(server.access_log),
        "--access-logformat", "%(p)s %(s)s %(m)s %(U)s",
        "--error-logfile", str(server.error_log),
    )  # fmt: skip
    try:
        wait_until(
            lambda: len(server.workers()) >= 2 and answers(server.base),
            process,
            server.error_log,
            60,
        )
        yield server
    finally:
        stop(process)


def _form(base: str) -> tuple[dict, str]:
    """A session cookie and its CSRF token, as a browser gets them from the login page."""
    page = requests.get(f"{base}/connexion", timeout=10)
    return dict(page.cookies), CSRF.search(page.text).group(1)


def test_the_sixth_attempt_is_refused_whichever_workeranswers(app, gunicorn):
    make_user(email="marie@exemple.fr")
    cookies, token = _form(gunicorn.base)

    def attempt(password: str) -> int:
        return requests.post(
            f"{gunicorn.base}/connexion",
            data={"email": "marie@exemple.fr", "password": password, "csrf_token": token},
            cookies=cookies,
            allow_redirects=False,
            timeout=60,
        ).status_code

    with ThreadPoolExecutor(max_workers=5) as pool:
        # Five wrong passwords at once, spread over both workers: each one is counted.
        assert list(pool.map(attempt, [WRONG] * 5)) == [422] * 5
        # Then the right password, again and again, until both workers have answered it.
        for _ in range(20):
            assert list(pool.map(attempt, [PASSWORD] * 4)) == [429] * 4
            if set(gunicorn.answered_by(429)) == gunicorn.workers():
                break
            time.sleep(0.05)

    assert len(gunicorn.workers()) == 2
    assert set(gunicorn.answered_by(429)) == gunicorn.workers()
    db.session.rollback()  # read what the workers committed
    account = db.session.scalar(db.select(LoginThrottle).filter_by(scope="account"))
    assert account.failures == 5  # no failure lost to a race, no refusal counted
