"""Benchmark the calendar feeds behind gunicorn: a room's year, an association, cold and 304.

    /tmp/probe/bin/python bench/feeds.py            # or .venv/bin/python bench/feeds.py
    bench/feeds.py --requests 100 --backends sqlite --no-readme

For SQLite (a scratch file) and PostgreSQL (a scratch database `pole_bench_feeds_*`, dropped
at the end) it builds the benchmark year (bench/data.py: the demo building, 10 weekly
series, 2,000 one-off bookings), laid out so that the whole year falls in the feeds' window
(30 days back, 335 ahead). It makes a secret link to the hall's feed and to the Restos'
feed, serves the app with gunicorn on 127.0.0.1, and times sequential requests on one
keep-alive connection:

- cold: a server whose feed cache is off (POLE_FEED_CACHE_SIZE=0), so every request finds
  the link, reads the version, loads the events in one query and writes the calendar, each
  event taken from the memo of events written (pole/feeds/memo.py) when its row has not
  changed: what a calendar app gets after one of the feed's bookings changed;
- from nothing: the same with the memo off too (POLE_FEED_EVENT_MEMO_SIZE=0): every event
  written, as by a worker just started;
- 304: the usual server, asked with the ETag it gave (what a calendar app does every hour);
- warm 200: the usual server, a client without the ETag (the body comes from the cache).

It also times, in-process, the query and the writer alone, and checks that gunicorn's
access log never holds a link's secret. It prints a table and rewrites the "Feeds" section
of bench/README.md (between its own markers).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import secrets
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path[:0] = [str(ROOT), str(BENCH)]

import data  # noqa: E402  (bench/data.py: the benchmark year)
import sqlalchemy as sa  # noqa: E402
from common import gunicorn, machine, scratch_database  # noqa: E402

README = BENCH / "README.md"
START_MARK, END_MARK = "<!-- bench:feeds -->", "<!-- /bench:feeds -->"
TARGETS = {"cold": 30.0, "304": 3.0}  # median ms, for the room's year
ROOM = "Hall d'accueil"
ORGANISATION = "restos"
FLOOR = "/organisations.css"


def log(message: str) -> None:
    print(f"[feeds {time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass
class Built:
    room_link: str
    organisation_link: str
    room_events: int
    organisation_events: int
    database: str
    load_ms: float
    write_ms: float
    build_seconds: float


def build(url: str, secret: str) -> Built:
    """The benchmark year inside the feed window, two links, and in-process timings."""
    from flask_migrate import upgrade

    from pole import create_app
    from pole.auth.models import User
    from pole.db import db
    from pole.feeds import bookings as feed_bookings
    from pole.feeds import ical
    from pole.feeds import links as feed_links
    from pole.feeds.feed import current_window
    from pole.resources.models import Resource

    started = time.perf_counter()
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": secret,
            "MAIL_SERVER": "",
            # The demo's mails wait: a sending thread beside the build would meet its deferred
            # read-then-write transactions on SQLite ("database is locked").
            "POLE_MAIL_KICK": False,
            # The in-process write below times every VEVENT written, not taken from the memo.
            "POLE_FEED_EVENT_MEMO_SIZE": 0,
        }
    )
    with app.app_context():
        upgrade()
    today = datetime.now(ZoneInfo("Europe/Paris")).date()  # the demo building's zone
    # data.build lays out 182 days each side of its "today": shift it so all of it is shown.
    facts = data.build(app, today=today + timedelta(days=152))
    with app.app_context(), app.test_request_context(base_url="http://127.0.0.1"):
        manager = db.session.scalar(sa.select(User).where(User.is_manager))
        room = db.session.scalar(sa.select(Resource).where(Resource.name == ROOM))
        organisation_id = facts.organisations[ORGANISATION]
        room_token = feed_links.issue_link("resource", room.id, manager)
        organisation_token = feed_links.issue_link("organisation", organisation_id, manager)
        room_feed = feed_links.feed_for_token(room_token)
        organisation_feed = feed_links.feed_for_token(organisation_token)
        window = current_window()
        counts = [
            len(feed_bookings.load_booking_rows(f, window)) for f in (room_feed, organisation_feed)
        ]
        loads, writes = [], []
        link = feed_bookings.booking_link()
        for _ in range(30):
            # What a cold request does: load the rows, write each VEVENT, then the calendar.
            t0 = time.perf_counter()
            feed_bookings.load_booking_rows(room_feed, window)
            t1 = time.perf_counter()
            written = feed_bookings.written_bookings(room_feed, window, link, ical.Writer())
            ical.calendar_bytes(ical.Calendar(name=room_feed.name), written)
            t2 = time.perf_counter()
            loads.append((t1 - t0) * 1000)
            writes.append((t2 - t1 - (t1 - t0)) * 1000)
        if db.engine.dialect.name == "sqlite":
            import sqlite3

            database = f"SQLite {sqlite3.sqlite_version}"
        else:
            version = db.session.scalar(sa.text("SHOW server_version")).split(" ")[0]
            database = f"PostgreSQL {version}"
        db.engine.dispose()
    return Built(
        f"/calendrier/{room_token}.ics",
        f"/calendrier/{organisation_token}.ics",
        counts[0],
        counts[1],
        database,
        statistics.median(loads),
        statistics.median(writes),
        time.perf_counter() - started,
    )


# Serving and measuring ----------------------------------------------------------------------


@contextlib.contextmanager
def feed_server(env: dict[str, str], workdir: Path, name: str) -> Iterator[tuple[int, Path]]:
    """The app under gunicorn, with an access log (to check that no token reaches it)."""
    access_log = workdir / f"{name}-access.log"
    with gunicorn(
        "app:app",
        env,
        workdir / f"{name}-gunicorn.log",
        ready_path="/agenda.ics",
        access_log=access_log,
    ) as port:
        yield port, access_log


@dataclass
class Timing:
    median_ms: float
    p95_ms: float
    count: int
    status: int
    size: int
    seconds: float = 0.0  # all the timed requests, one after the other
    p99_ms: float = float("nan")


def timed(port: int, path: str, count: int, etag: str | None = None) -> Timing:
    """`count` sequential GETs on one keep-alive connection, after a few to warm up."""
    headers = {"User-Agent": "pole-bench-feeds/1"}
    if etag:
        headers["If-None-Match"] = etag
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times, statuses, size = [], set(), 0
    try:
        for index in range(count + 10):
            started = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            elapsed = (time.perf_counter() - started) * 1000
            if index >= 10:
                times.append(elapsed)
                statuses.add(response.status)
                size = len(body)
    finally:
        conn.close()
    if len(statuses) != 1:
        raise RuntimeError(f"{path}: mixed statuses {statuses}")
    times.sort()
    return Timing(
        statistics.median(times),
        times[int(0.95 * (len(times) - 1))],
        count,
        statuses.pop(),
        size,
        sum(times) / 1000,
        times[int(0.99 * (len(times) - 1))],
    )


def etag_of(port: int, path: str) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:  # noqa: S310
        return response.headers["ETag"]


def run_backend(backend: str, count: int, workdir: Path) -> dict:
    log(f"{backend}: building the benchmark year")
    with scratch_database(backend, workdir, prefix="pole_bench_feeds") as (url, database_url):
        secret = secrets.token_hex(16)
        built = build(url, secret)
        log(
            f"{backend}: {built.room_events} events in the hall's feed, "
            f"{built.organisation_events} in the Restos' ({built.build_seconds:.0f} s to build)"
        )
        env = {
            "DATABASE_URL": database_url,
            "SECRET_KEY": secret,
            # A limit no request reaches: each one still takes its link's bucket (a row).
            "POLE_FEED_RATE_LIMIT": "100000000/600",
            "MAIL_SERVER": "",
        }
        rows = {}
        with feed_server({**env, "POLE_FEED_CACHE_SIZE": "0"}, workdir, f"{backend}-cold") as (
            port,
            cold_log,
        ):
            for feed, path in (
                ("room", built.room_link),
                ("organisation", built.organisation_link),
            ):
                rows[(feed, "cold")] = timed(port, path, count)
        nothing_kept = {**env, "POLE_FEED_CACHE_SIZE": "0", "POLE_FEED_EVENT_MEMO_SIZE": "0"}
        with feed_server(nothing_kept, workdir, f"{backend}-nothing-kept") as (port, bare_log):
            rows[("room", "from nothing")] = timed(port, built.room_link, count)
        with feed_server(env, workdir, f"{backend}-cached") as (port, cached_log):
            for feed, path in (
                ("room", built.room_link),
                ("organisation", built.organisation_link),
            ):
                etag = etag_of(port, path)
                rows[(feed, "304")] = timed(port, path, count, etag)
                rows[(feed, "warm 200")] = timed(port, path, count)
            # The floor: the app's smallest conditional page, one query, answered 304.
            rows[("floor", "304")] = timed(port, FLOOR, count, etag_of(port, FLOOR))
        leaked = []
        for logfile in (cold_log, bare_log, cached_log):
            text = logfile.read_text()
            for path in (built.room_link, built.organisation_link):
                secret_part = path.removeprefix("/calendrier/").removesuffix(".ics")
                if secret_part.split(".")[1] in text or secret_part in text:
                    leaked.append(logfile.name)
            if "/calendrier/***" not in text:
                raise RuntimeError(f"no redacted feed request in {logfile}")
        if leaked:
            raise RuntimeError(f"a feed link reached gunicorn's access log: {leaked}")
        return {"built": built, "rows": rows}


# Report ----------------------------------------------------------------------------------------


def report(results: dict[str, dict]) -> str:
    lines = [
        "| database | feed | events | request | median ms | p95 ms | status | bytes | target |",
        "|---|---|---:|---|---:|---:|---:|---:|---|",
    ]
    for result in results.values():
        built = result["built"]
        events = {"room": built.room_events, "organisation": built.organisation_events, "floor": ""}
        names = {
            "room": "hall (resource)",
            "organisation": "Restos (organisation)",
            "floor": f"floor: `{FLOOR}`",
        }
        for (feed, kind), timing in result["rows"].items():
            target = ""
            if feed == "room" and kind in TARGETS:
                verdict = "ok" if timing.median_ms <= TARGETS[kind] else "MISSED"
                target = f"≤ {TARGETS[kind]:g} ms: {verdict}"
            lines.append(
                f"| {built.database} | {names[feed]} | {events[feed]} | {kind} | "
                f"{timing.median_ms:.1f} | {timing.p95_ms:.1f} | {timing.status} | "
                f"{timing.size} | {target} |"
            )
    lines.append("")
    lines.append("In-process, the hall's year (median of 30):")
    lines.append("")
    for result in results.values():
        built = result["built"]
        lines.append(
            f"- {built.database}: load the events (one query) {built.load_ms:.1f} ms, "
            f"write the calendar from nothing (no memo) {built.write_ms:.1f} ms."
        )
    return "\n".join(lines)


def write_readme(table: str, count: int) -> None:
    section = f"""{START_MARK}
## Feeds

`bench/feeds.py` (one command: `python bench/feeds.py`, about a minute and a half) builds the
benchmark year of `bench/data.py` in a scratch SQLite file and a scratch PostgreSQL
database (`pole_bench_feeds_*`, dropped after), shifted so that the whole year lies in the
feeds' window (30 days back, 335 ahead), makes a secret link to the hall's feed and to the
Restos' feed, and serves the app with `gunicorn -w 2 --threads 4` on 127.0.0.1. Each line is
{count} sequential GETs on one keep-alive connection, after 10 to warm up:

- **cold**: a server started with `POLE_FEED_CACHE_SIZE=0`, so every request checks the
  link, reads the feed's version, loads its events in one query and writes the calendar,
  each event taken from the worker's memo of events written (`pole/feeds/memo.py`, keyed by
  the whole row) when its row is unchanged: what a calendar app gets after one of the
  feed's bookings changed;
- **from nothing**: the same with `POLE_FEED_EVENT_MEMO_SIZE=0` too: every event written,
  as by a worker just started (the hall's feed only);
- **304**: the usual server, asked with the ETag it gave (what a calendar app does each hour);
- **warm 200**: the usual server, without the ETag (the body comes from the worker's cache);
- **floor**: the app's cheapest conditional page (`/organisations.css`, one query, 304),
  what any request costs on this machine before a feed does anything.

It also checks that gunicorn's access log shows `/calendrier/***`, never a link.

A 304 costs what any Flask request with two small statements costs. On PostgreSQL: the
link, the feed generation and the link's rate-limit bucket in one statement (a CTE whose
UPSERT of the bucket, a row shared by every process in an unlogged table, only touches a
live link with its verifier; the request's transaction, so no disk flush), then the feed's
version (a count and the last change of its rows). On SQLite the bucket is a short
transaction of its own under the write lock, then the link and the version are read; a
warm 200 costs about the same, its body coming from memory. Nothing here is per process
but the built bodies, keyed by what the database says they were built from, and the
events written, keyed by the rows themselves. A cold build is loading the rows (one index
range, bounded on both sides) and writing each VEVENT whose row it has not written yet as
one string straight from that row. The bench machine is shared with other test
runs, so its load average is given: medians move by a few milliseconds from one run to
the next.

Last run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, on {machine()}.

{table}
{END_MARK}
"""
    text = README.read_text() if README.exists() else ""
    if START_MARK in text and END_MARK in text:
        before, rest = text.split(START_MARK, 1)
        after = rest.split(END_MARK, 1)[1].lstrip("\n")
        text = before + section + ("\n" + after if after else "")
    else:
        text = (text.rstrip("\n") + "\n\n" if text else "") + section
    README.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=200, help="timed requests per line")
    parser.add_argument(
        "--backends", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"]
    )
    parser.add_argument("--no-readme", action="store_true", help="print only")
    args = parser.parse_args()
    log(f"machine: {machine()}")
    results = {}
    with tempfile.TemporaryDirectory(prefix="pole-bench-feeds-") as workdir:
        for backend in args.backends:
            results[backend] = run_backend(backend, args.requests, Path(workdir))
    table = report(results)
    print()
    print(table)
    if not args.no_readme:
        write_readme(table, args.requests)
        log(f"wrote the Feeds section of {README.relative_to(ROOT)}")
    # A missed target is a result to read in the table, not a failure of the benchmark.
    return 0


if __name__ == "__main__":
    sys.exit(main())
