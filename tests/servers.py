"""Real app servers for the tests that need separate processes: gunicorn on the test's database.

Shared by the tests of several workers (the login throttle) and of several servers (the
stateless tier): the environment they start with, the command, the wait until they answer,
and a stop that never leaves a process behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def server_env(app, **settings: str) -> dict[str, str]:  # noqa: ANN001
    """This process's environment without the app's own settings, on the test's database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POLE_", "MAIL_", "SERVER_"))}
    return env | {
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        **settings,
    }


def start_gunicorn(env: dict[str, str], *options: str) -> subprocess.Popen:
    """`gunicorn app:app` with these options, in its own process group, stopping itself after
    300 s even if the test process is killed."""
    command = [
        "timeout", "300",
        sys.executable, "-m", "gunicorn", *options, "--graceful-timeout", "5", "app:app",
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)


def read(path: Path) -> str:
    return path.read_text() if path.exists() else ""


def answers(base: str) -> bool:
    try:
        return requests.get(f"{base}/connexion", timeout=10).status_code == 200
    except requests.RequestException:  # not listening yet, or still importing the app
        return False


def wait_until(
    ready: Callable[[], bool], process: subprocess.Popen, log: Path, seconds: float
) -> None:
    """Wait for `ready()`, failing with the server's log if it died or took too long."""
    deadline = time.monotonic() + seconds
    while not ready():
        assert process.poll() is None, read(log)
        assert time.monotonic() < deadline, f"gunicorn did not start in {seconds:.0f} s"
        time.sleep(0.2)


def stop(*processes: subprocess.Popen) -> None:
    """SIGTERM (timeout passes it on: gunicorn stops its workers), then SIGKILL the group."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
