"""What every benchmark shares: free ports, scratch databases, gunicorn, the machine."""

from __future__ import annotations

import contextlib
import os
import platform
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("POLE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def scratch_database(
    backend: str, workdir: Path, prefix: str = "pole_bench"
) -> Iterator[tuple[str, str]]:
    """A fresh, empty database: (SQLAlchemy URL, DATABASE_URL for the server). Dropped after."""
    if backend == "sqlite":
        url = f"sqlite:///{workdir / (prefix + '.db')}"
        yield url, url
        return
    import psycopg

    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(POSTGRES_URL).set(database=name)
    try:
        yield (
            url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False),
            url.set(drivername="postgresql").render_as_string(hide_password=False),
        )
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def gunicorn(
    app_spec: str,
    env: dict[str, str],
    log_path: Path,
    *,
    chdir: Path = ROOT,
    ready_path: str = "/",
    access_log: Path | None = None,
    started: list[subprocess.Popen] | None = None,
) -> Iterator[int]:
    """Serve `app_spec` with 2 workers x 4 threads on a free loopback port; stop it after.

    `started`, if given, receives the master process (process_tree() finds its workers).
    """
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn",
        "-w", "2", "--threads", "4",
        "-b", f"127.0.0.1:{port}",
        "--chdir", str(chdir),
    ]  # fmt: skip
    if access_log is not None:
        command += ["--access-logfile", str(access_log)]
    command.append(app_spec)
    with open(log_path, "w") as out:
        server = subprocess.Popen(  # noqa: S603 (our own command line)
            command, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )
    if started is not None:
        started.append(server)
    try:
        deadline = time.monotonic() + 60  # a busy machine imports the app slowly
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{log_path.read_text()[-3000:]}")
            try:
                url = f"http://127.0.0.1:{port}{ready_path}"
                with urllib.request.urlopen(url, timeout=5):  # noqa: S310 (loopback)
                    break
            except urllib.error.HTTPError:
                break  # it answers: whatever the status, the run's own checks judge it
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    tail = log_path.read_text()[-3000:]
                    raise RuntimeError(f"gunicorn did not answer:\n{tail}") from None
                time.sleep(0.2)
        yield port
    finally:
        stop(server)


def stop(process: subprocess.Popen) -> None:
    """End a process we started: SIGTERM, then SIGKILL if it is still there after 15 s."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def machine() -> str:
    """One line: CPUs, their model, memory, kernel, Python, and the load when measured."""
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f", {int(line.split()[1]) / 1024 / 1024:.0f} GiB RAM"
    load = ""
    with contextlib.suppress(OSError):
        load = f", load average {os.getloadavg()[0]:.1f} when measured"
    return (
        f"{os.cpu_count()} CPU ({cpu}){memory}, Linux {platform.release()}, "
        f"Python {platform.python_version()}{load}"
    )


def each_backend(backends: str) -> Iterator[tuple[str, str]]:
    """Each backend named ("sqlite,postgresql") in turn: (name, URL of a scratch database)."""
    import tempfile

    with tempfile.TemporaryDirectory() as workdir:
        for backend in backends.split(","):
            with scratch_database(backend, Path(workdir)) as (url, _):
                yield backend, url


def count_statements(app, action) -> int:  # noqa: ANN001
    """How many SQL statements the app's engine runs while `action()` runs."""
    from pole.db import db

    count = 0

    def before(*_args) -> None:  # noqa: ANN002
        nonlocal count
        count += 1

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        action()
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
    return count


def process_tree(pid: int) -> list[int]:
    """A process and its children (a gunicorn master and its workers), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = (entry / "stat").read_text()
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds each live process has used so far (gone ones are left out)."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            used[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return used


def cpu_between(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used between two cpu_seconds() readings (a process born since counts whole)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


@contextlib.contextmanager
def worker(env: dict[str, str], log_path: Path) -> Iterator[None]:
    """`flask pole worker` beside the served app, as production runs it: it sends the mails
    the requests write (the web process does not, POLE_MAIL_KICK being off)."""
    command = [sys.executable, "-m", "flask", "--app", "app", "pole", "worker"]
    with open(log_path, "w") as out:
        process = subprocess.Popen(  # noqa: S603 (our own command line)
            command, env={**os.environ, **env}, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        yield
    finally:
        stop(process)
