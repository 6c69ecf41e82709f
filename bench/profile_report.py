"""Time and profile the report and the public page in-process, on the bench year.

    .venv/bin/python bench/profile_report.py [--backends sqlite,postgresql] [--runs 60]
        [--keep DIR] [--profile]

Requests go through Flask's test client (no HTTP, no gunicorn), so the figures are the
application's own cost: the Restos' coordinator reading her association's year report (the
request of run.py's "report" row), a visitor without cookie reading the public page, and that
page asked again with its ETag (304). With --keep the built databases are kept between runs
(a SQLite file in DIR, a PostgreSQL database named after DIR) so before/after compare the
same data.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import hashlib
import io
import json
import os
import pstats
import re
import secrets
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import data  # noqa: E402
from common import POSTGRES_URL, each_backend  # noqa: E402


def make_app(url: str):  # noqa: ANN201
    from pole import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench-profile-report",
            "MAIL_SERVER": "",
            "TESTING": False,
            "POLE_MAIL_KICK": False,
        }
    )


def build(url: str) -> tuple[object, date, date]:
    from flask_migrate import upgrade

    app = make_app(url)
    with app.app_context():
        upgrade()
    facts = data.build(app)
    return app, facts.first_day, facts.last_day


def kept_databases(keep: Path, backends: str):  # noqa: ANN201
    """(backend, URL) of databases that outlive the run, built on first use."""
    import psycopg

    keep.mkdir(parents=True, exist_ok=True)
    for backend in backends.split(","):
        if backend == "sqlite":
            yield backend, f"sqlite:///{keep / 'report.db'}"
            continue
        name = "pole_profile_" + hashlib.sha1(str(keep).encode()).hexdigest()[:8]  # noqa: S324
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            if not admin.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone():
                admin.execute(f'CREATE DATABASE "{name}"')
        url = sa.engine.make_url(POSTGRES_URL).set(database=name, drivername="postgresql+psycopg")
        yield backend, url.render_as_string(hide_password=False)


def ready(url: str, keep: Path | None, backend: str):  # noqa: ANN201
    """The app over a database holding the bench year, and the year's first and last day."""
    facts_file = keep / f"{backend}.json" if keep else None
    if facts_file and facts_file.exists():
        days = json.loads(facts_file.read_text())
        return make_app(url), date.fromisoformat(days[0]), date.fromisoformat(days[1])
    app, first, last = build(url)
    if facts_file:
        facts_file.write_text(json.dumps([first.isoformat(), last.isoformat()]))
    return app, first, last


def logged_in(app, email: str):  # noqa: ANN001, ANN201
    client = app.test_client()
    page = client.get("/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    answer = client.post(
        "/connexion", data={"email": email, "password": data.PASSWORD, "csrf_token": token}
    )
    assert answer.status_code == 302, answer.status_code
    return client


def timed(call: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median milliseconds of `runs` calls, after a few unmeasured ones: wall clock, and
    this process's CPU time (steadier on a busy machine; PostgreSQL's own work is not in it)."""
    for _ in range(5):
        call()
    wall, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        call()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    wall.sort()
    cpu.sort()
    return wall[len(wall) // 2] * 1000, cpu[len(cpu) // 2] * 1000


def queries(app, call: Callable[[], object]) -> int:  # noqa: ANN001
    """How many statements one call sends to the database."""
    from pole.db import db

    with app.app_context():
        engine = db.engine
    statements: list[str] = []
    listener = functools.partial(_note_statement, statements)
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        call()
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    return len(statements)


def _note_statement(statements: list[str], _conn, _cursor, statement: str, *_rest) -> None:  # noqa: ANN001, ANN002
    statements.append(statement)


def python_calls(call: Callable[[], object]) -> int:
    """How many Python function calls one call makes (cProfile's count: steady on a busy
    machine, unlike its times)."""
    profiler = cProfile.Profile()
    profiler.enable()
    call()
    profiler.disable()
    return pstats.Stats(profiler).total_calls


def profile(call: Callable[[], object], runs: int, lines: int = 30) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        call()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(lines)
    return out.getvalue()


def measure(app, first: date, last: date, runs: int, show_profile: bool) -> dict:  # noqa: ANN001
    coordinator = logged_in(app, data.COORDINATOR)
    path = f"/rapports/?kind=dates&first_day={first.isoformat()}&last_day={last.isoformat()}"

    def report() -> None:
        answer = coordinator.get(path)
        assert answer.status_code == 200, answer.status_code

    visitor = app.test_client(use_cookies=False)
    etag = visitor.get("/le-pole/").headers.get("ETag")

    def public() -> None:
        assert visitor.get("/le-pole/").status_code == 200

    def public_304() -> None:
        answer = visitor.get("/le-pole/", headers={"If-None-Match": etag or '"none"'})
        assert answer.status_code == 304, answer.status_code

    found = {}
    for name, call in (("report", report), ("public", public), ("public_304", public_304)):
        wall, cpu = timed(call, runs)
        found[name] = {
            "median_ms": wall,
            "cpu_ms": cpu,
            "queries": queries(app, call),
            "calls": python_calls(call),
        }
        if show_profile:
            found[name]["profile"] = profile(call, max(10, runs // 3))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--keep", type=Path, default=None, help="keep the built data here")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    args = parser.parse_args()
    os.environ.setdefault("POLE_SECRET_KEY", secrets.token_hex(16))
    places = kept_databases(args.keep, args.backends) if args.keep else each_backend(args.backends)
    for backend, url in places:
        app, first, last = ready(url, args.keep, backend)
        for name, figures in measure(app, first, last, args.runs, args.profile).items():
            print(
                f"{backend:10} {name:11} {figures['median_ms']:7.2f} ms"
                f" (CPU {figures['cpu_ms']:6.2f} ms)  {figures['queries']} queries"
                f"  {figures['calls']} Python calls"
            )
            if "profile" in figures:
                print(figures["profile"])
        from pole.db import db

        with app.app_context():
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
