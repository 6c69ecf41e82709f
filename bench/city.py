"""A city's worth of data on PostgreSQL, what one site's pages cost on it through gunicorn,
and 5,000 feed subscribers polling it while people book.

    .venv/bin/python bench/city.py                      # 50 sites, ~150,000 bookings
    .venv/bin/python bench/city.py --sites 5 --seconds 5 --poll-seconds 10 --no-readme

Builds, in scratch PostgreSQL databases (`pole_bench_city_*`, dropped after), `--sites` sites
with 10 resources and 15 organisations each (each organisation working in its site), 300
users, a year of bookings (182 days each side of today, about 300 a resource) and 5,000 feed
links, with bulk inserts (one executemany per table, never the ORM row by row); and the same
shape with one site ("alone"). Then, with both served by gunicorn (2 workers x 4 threads,
as bench/run.py), one client sends each request to the alone server and the city's in turn
(load.alternate: both timed in the same window): one site's day view, a room's week view, a
booking POST, and a room's feed answered 304 and rebuilt cold (servers with the feed cache
off). Then the city's server, with its feed rate limit on, is polled by every link once per
15 minutes (`--links` / 900 s, mostly with the ETag it got, a few without) while one person
reads the day view and books, compared with the same person without polling, and the CPU
the gunicorn workers and the city's PostgreSQL backends use is read from /proc. Last, the
heaviest statements are EXPLAINed on the city.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import random
import re
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path[:0] = [str(ROOT), str(BENCH)]

import sqlalchemy as sa  # noqa: E402
from common import (  # noqa: E402
    cpu_between,
    cpu_seconds,
    gunicorn,
    machine,
    process_tree,
    scratch_database,
)
from load import (  # noqa: E402
    USER_AGENT,
    Pollers,
    Request,
    Result,
    Session,
    Side,
    alternate,
    merge,
)

README = BENCH / "README.md"
START_MARK, END_MARK = "<!-- bench:city -->", "<!-- /bench:city -->"
PARIS = ZoneInfo("Europe/Paris")
PASSWORD = "bench-mot-de-passe"  # noqa: S105 (scratch databases only)
RESOURCES_PER_SITE, ORGANISATIONS_PER_SITE = 10, 15
SLOTS = [(9, 11), (11, 12), (14, 16), (16, 18), (18, 20)]  # local hours; a day holds a few
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def log(message: str) -> None:
    print(f"[city {time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass
class Shape:
    sites: int
    users: int
    bookings: int
    links: int


# The data builder: one function per table, each a bulk insert ---------------------------------


def insert(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> list[int]:
    """Insert rows in batches (executemany); return their ids in order."""
    ids: list[int] = []
    for start in range(0, len(rows), 5000):
        batch = rows[start : start + 5000]
        result = conn.execute(
            sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), batch
        )
        ids.extend(result.scalars())
    return ids


def sites(conn: sa.Connection, shape: Shape) -> list[int]:
    from pole.resources.models import Site

    rows = [
        {"name": f"Site {n:02d}" if n else "Les 4 Épis", "address": f"{n + 1} rue de la Paix",
         "timezone": "Europe/Paris", "directions": ""}
        for n in range(shape.sites)
    ]  # fmt: skip
    return insert(conn, Site.__table__, rows)


def resources(conn: sa.Connection, site_ids: list[int]) -> dict[int, list[int]]:
    from pole.resources.models import Resource

    rows = []
    for site_id in site_ids:
        for n in range(RESOURCES_PER_SITE):
            rows.append(
                {
                    "site_id": site_id,
                    "kind": "room",
                    "name": f"Salle {n + 1}",
                    "quantity": 1,
                    "opening_hours": {str(d): [[420, 1320]] for d in range(7)},
                    "granularity_minutes": 15,
                    "min_duration_minutes": 15,
                    "max_duration_minutes": 720,
                    "max_days_ahead": 365,
                    "allowed_kinds": ["association", "partner", "ccas"],
                }
            )
    ids = insert(conn, Resource.__table__, rows)
    return {
        s: ids[i * RESOURCES_PER_SITE : (i + 1) * RESOURCES_PER_SITE]
        for i, s in enumerate(site_ids)
    }


def organisations(conn: sa.Connection, site_ids: list[int]) -> dict[int, list[int]]:
    """15 per site, each working in its site (organisation_sites)."""
    from pole.organisations.models import Organisation

    rows = [
        {"kind": "association", "name": f"Association {s}-{n}", "short_name": f"A{s}-{n}"}
        for s in site_ids
        for n in range(ORGANISATIONS_PER_SITE)
    ]
    ids = insert(conn, Organisation.__table__, rows)
    size = ORGANISATIONS_PER_SITE
    return {s: ids[i * size : (i + 1) * size] for i, s in enumerate(site_ids)}


def organisation_sites(conn: sa.Connection, organisations_of: dict[int, list[int]]) -> None:
    """Each organisation works in its own site (no row would mean every site)."""
    from pole.sites.models import OrganisationSite

    rows = [
        {"organisation_id": organisation, "site_id": site}
        for site, ids in organisations_of.items()
        for organisation in ids
    ]
    conn.execute(sa.insert(OrganisationSite.__table__), rows)


def users(conn: sa.Connection, shape: Shape, organisation_ids: list[int]) -> list[int]:
    from pole.auth.models import User
    from pole.auth.passwords import hash_password
    from pole.organisations.models import Membership

    hashed = hash_password(PASSWORD)  # one hash for all: argon2 per row would take minutes
    rows = [
        {"email": f"personne{n}@ville.example", "name": f"Personne {n}", "password_hash": hashed,
         "is_manager": n == 0}
        for n in range(shape.users)
    ]  # fmt: skip
    ids = insert(conn, User.__table__, rows)
    memberships = [
        {"user_id": user_id, "organisation_id": organisation_ids[n % len(organisation_ids)],
         "role": "coordinator" if n % 5 == 0 else "volunteer"}
        for n, user_id in enumerate(ids[1:], start=0)
    ]  # fmt: skip
    insert(conn, Membership.__table__, memberships)
    return ids


def bookings(
    conn: sa.Connection,
    shape: Shape,
    today: date,
    rooms: dict[int, list[int]],
    organisations_of: dict[int, list[int]],
    user_ids: list[int],
) -> int:
    """About `shape.bookings` over the year, spread over every room, never overlapping."""
    from pole.bookings.models import Booking

    rng = random.Random(15)
    all_rooms = [(site, room) for site, ids in rooms.items() for room in ids]
    days = [today + timedelta(days=d) for d in range(-182, 183)]
    chance = shape.bookings / (len(all_rooms) * len(days) * len(SLOTS))
    now = datetime.now(UTC)
    rows, total = [], 0
    for site, room in all_rooms:
        for day in days:
            for start_hour, end_hour in SLOTS:
                if rng.random() >= chance:
                    continue
                start = datetime(day.year, day.month, day.day, start_hour, tzinfo=PARIS)
                end = datetime(day.year, day.month, day.day, end_hour, tzinfo=PARIS)
                rows.append(
                    {"resource_id": room, "organisation_id": rng.choice(organisations_of[site]),
                     "created_by_id": rng.choice(user_ids), "title": "Atelier",
                     "is_public": rng.random() < 0.3, "start": start.astimezone(UTC),
                     "end": end.astimezone(UTC), "occupied_until": end.astimezone(UTC),
                     "status": "confirmed", "created_at": now, "updated_at": now}
                )  # fmt: skip
        if len(rows) >= 20000:
            total += len(insert(conn, Booking.__table__, rows))
            rows = []
    return total + len(insert(conn, Booking.__table__, rows))


def feed_links(conn: sa.Connection, shape: Shape, rooms: dict[int, list[int]]) -> list[str]:
    """`shape.links` room links over every room; their paths (site 1's first room's first)."""
    from pole.feeds.models import FeedToken

    room_ids = [room for ids in rooms.values() for room in ids]
    rows, paths = [], []
    for n in range(shape.links):
        selector, verifier = secrets.token_urlsafe(12), secrets.token_urlsafe(24)
        paths.append(f"/calendrier/{selector}.{verifier}.ics")
        rows.append(
            {"kind": "resource", "selector": selector, "resource_id": room_ids[n % len(room_ids)],
             "verifier_hash": hashlib.sha256(verifier.encode()).hexdigest()}
        )  # fmt: skip
    insert(conn, FeedToken.__table__, rows)
    return paths


@dataclass
class Built:
    url: str
    server_url: str
    seconds: float
    bookings: int
    site: int
    room: int
    links: list[str]
    email: str
    organisation: int

    @property
    def feed(self) -> str:
        return self.links[0]  # site 1's first room


def build(url: str, server_url: str, secret: str, shape: Shape, today: date) -> Built:
    from flask_migrate import upgrade

    from pole import create_app
    from pole.db import db

    started = time.perf_counter()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret, "MAIL_SERVER": ""})
    with app.app_context():
        upgrade()
        with db.engine.begin() as conn:
            site_ids = sites(conn, shape)
            rooms = resources(conn, site_ids)
            organisations_of = organisations(conn, site_ids)
            organisation_sites(conn, organisations_of)
            everyone = [o for ids in organisations_of.values() for o in ids]
            user_ids = users(conn, shape, everyone)
            count = bookings(conn, shape, today, rooms, organisations_of, user_ids)
            links = feed_links(conn, shape, rooms)
            conn.exec_driver_sql("ANALYZE")
        db.engine.dispose()
    # The person who books: personne1, a coordinator of the first organisation (site 1's).
    return Built(
        url, server_url, time.perf_counter() - started, count, site_ids[0],
        rooms[site_ids[0]][0], links, "personne1@ville.example", everyone[0],
    )  # fmt: skip


# Measuring through gunicorn --------------------------------------------------------------------


class Slots:
    """Free quarter-hours of site 1's first room (07:00-09:00, 12:00-14:00, 20:00-22:00 are
    never built), from 100 days ahead, each booked once: 24 a day, over 6,000 in all."""

    def __init__(self, today: date) -> None:
        quarters = [
            (f"{m // 60:02d}:{m % 60:02d}", f"{(m + 15) // 60:02d}:{(m + 15) % 60:02d}")
            for first, last in ((7 * 60, 9 * 60), (12 * 60, 14 * 60), (20 * 60, 22 * 60))
            for m in range(first, last, 15)
        ]
        self._slots = iter(
            (today + timedelta(days=100 + day), start, end)
            for day in range(260)
            for start, end in quarters
        )
        self._lock = threading.Lock()

    def take(self) -> tuple | None:
        with self._lock:
            return next(self._slots, None)


def booking_posts(built: Built, session: Session, slots: Slots) -> Callable[[], Request | None]:
    def next_request() -> Request | None:
        slot = slots.take()
        if slot is None:
            return None
        day, start, end = slot
        form = session.form(
            {"resource_id": str(built.room), "organisation_id": str(built.organisation),
             "date": day.isoformat(), "start": start, "end": end, "quantity": "1",
             "title": "Mesure"}
        )  # fmt: skip
        return Request("POST", "/reservations", 303, form)

    return next_request


def always(request: Request) -> Callable[[], Request]:
    return lambda: request


def server_env(built: Built, secret: str, **extra: str) -> dict[str, str]:
    return {"DATABASE_URL": built.server_url, "SECRET_KEY": secret, "MAIL_SERVER": "",
            "POLE_MAIL_KICK": "0", **extra}  # fmt: skip


def etag_of(port: int, path: str) -> str | None:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"User-Agent": USER_AGENT})
        response = conn.getresponse()
        response.read()
        return response.getheader("ETag") if response.status == 200 else None
    finally:
        conn.close()


def page_sides(
    built: dict[str, Built], ports: dict[str, int], today: date, slots: dict[str, Slots]
) -> dict[str, tuple[Side, Side]]:
    """For each page row, the alone side and the city side (each logged in on its server)."""
    day = today + timedelta(days=7)
    sessions = {}
    for name, port in ports.items():
        sessions[name] = Session(port)
        sessions[name].login(built[name].email, PASSWORD)
    rows: dict[str, list[Side]] = {"day view": [], "week view": [], "booking POST": []}
    for name in ("alone", "city"):
        b, session, port = built[name], sessions[name], ports[name]
        headers = session.headers()
        rows["day view"].append(
            Side(name, port, always(Request("GET", f"/agenda?date={day}&site={b.site}", 200)),
                 headers)
        )  # fmt: skip
        rows["week view"].append(
            Side(name, port, always(Request("GET", f"/salles/{b.room}/semaine?date={day}", 200)),
                 headers)
        )  # fmt: skip
        rows["booking POST"].append(
            Side(name, port, booking_posts(b, session, slots[name]), headers)
        )
    return {key: (sides[0], sides[1]) for key, sides in rows.items()}


def through_gunicorn(
    built: dict[str, Built], secret: str, today: date, workdir: Path, args: argparse.Namespace,
    slots: dict[str, Slots],
) -> dict[str, tuple[Result, Result]]:  # fmt: skip
    """Each row: one client sends to the alone server and the city's in turn; (alone, city)."""
    results: dict[str, tuple[Result, Result]] = {}
    with contextlib.ExitStack() as stack:
        ports = {
            name: stack.enter_context(
                gunicorn("pole:create_app()", server_env(b, secret, POLE_FEED_RATE_LIMIT="0"),
                         workdir / f"{name}.log")
            )
            for name, b in built.items()
        }  # fmt: skip
        sides = page_sides(built, ports, today, slots)
        for key in ("day view", "week view"):
            results[key] = alternate(*sides[key], args.seconds, args.warmup)
            log(f"gunicorn {key}: {_pair(results[key])}")
        feed_sides = []
        for name in ("alone", "city"):
            etag = etag_of(ports[name], built[name].feed)
            headers = {"User-Agent": USER_AGENT, "If-None-Match": etag or ""}
            feed_sides.append(
                Side(name, ports[name], always(Request("GET", built[name].feed, 304)), headers)
            )
        results["feed 304"] = alternate(*feed_sides, args.seconds, args.warmup)
        log(f"gunicorn feed 304: {_pair(results['feed 304'])}")
        results["booking POST"] = alternate(*sides["booking POST"], args.seconds, args.warmup)
        log(f"gunicorn booking POST: {_pair(results['booking POST'])}")
    with contextlib.ExitStack() as stack:
        cold = [
            Side(name, port, always(Request("GET", b.feed, 200)), {"User-Agent": USER_AGENT})
            for name, b in built.items()
            for port in [
                stack.enter_context(
                    gunicorn("pole:create_app()",
                             server_env(b, secret, POLE_FEED_RATE_LIMIT="0",
                                        POLE_FEED_CACHE_SIZE="0"),
                             workdir / f"{name}-cold.log")
                )
            ]
        ]  # fmt: skip
        results["feed cold"] = alternate(cold[0], cold[1], args.seconds, args.warmup)
        log(f"gunicorn feed cold: {_pair(results['feed cold'])}")
    return results


def _pair(pair: tuple[Result, Result]) -> str:
    alone, city = pair
    return (
        f"alone {alone.median_ms:.1f} ms (p95 {alone.p95_ms:.1f}), city {city.median_ms:.1f} ms "
        f"(p95 {city.p95_ms:.1f}), unexpected {alone.unexpected + city.unexpected}"
    )


# 5,000 subscribers polling ---------------------------------------------------------------------


@dataclass
class Window:
    name: str
    seconds: float
    day: Result | None
    post: Result | None
    gunicorn_cpu: float
    postgres_cpu: float
    polls: Result | None = None
    late: int = 0

    def share(self, cores: int) -> float:
        return (self.gunicorn_cpu + self.postgres_cpu) / (self.seconds * cores)


class Meter:
    """CPU of the gunicorn master and workers, and of the city's PostgreSQL backends."""

    def __init__(self, server_pid: int, url: str) -> None:
        self.server_pid = server_pid
        self.engine = sa.create_engine(url, poolclass=sa.pool.StaticPool)
        self.conn = self.engine.connect()
        self.own = self.conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()

    def backends(self) -> list[int]:
        rows = self.conn.exec_driver_sql(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        ).scalars()
        self.conn.rollback()
        return [pid for pid in rows if pid != self.own]

    def read(self) -> tuple[dict[int, float], dict[int, float]]:
        return cpu_seconds(process_tree(self.server_pid)), cpu_seconds(self.backends())

    def close(self) -> None:
        self.conn.close()
        self.engine.dispose()


def polling(
    city: Built, secret: str, today: date, workdir: Path, args: argparse.Namespace, slots: Slots
) -> tuple[list[Window], float]:
    """People without polling and with every link polling once per 15 minutes, in interleaved
    rounds (so that the machine's other load weighs on both alike); then polling alone."""
    rate = args.links / 900
    rounds, each = args.poll_rounds, args.poll_seconds / args.poll_rounds
    started: list = []
    env = server_env(city, secret)  # the feed rate limit as shipped
    with gunicorn("pole:create_app()", env, workdir / "city-polled.log", started=started) as port:
        session = Session(port)
        session.login(city.email, PASSWORD)
        headers = session.headers()
        day = today + timedelta(days=7)
        people = (
            Side("day view", port, always(Request("GET", f"/agenda?date={day}&site={city.site}",
                                                  200)), headers),
            Side("booking POST", port, booking_posts(city, session, slots), headers),
        )  # fmt: skip
        # The links that fall due while polling, in a shuffled order, each with the ETag its
        # calendar app got on its last poll; one in 30 has none (a new subscriber, a phone that
        # lost its cache) and is answered in full, as are the links of the room people book.
        count = int(rate * (1.5 * args.poll_seconds + rounds * 2 + 10)) + 10
        rng = random.Random(5000)
        links = rng.sample(city.links, min(count, len(city.links)))
        log(f"polling: fetching {len(links)} links' ETags (their previous poll)")
        etags = _fetch_etags(port, links)
        due = [(path, None if rng.random() < 1 / 30 else etags.get(path)) for path in links]
        meter = Meter(started[0].pid, city.url)
        runs: dict[str, dict[str, list]] = {}
        try:
            plan = [
                (name, poll, each)
                for _ in range(rounds)
                for name, poll in (("people only", False), ("people + polling", True))
            ]
            plan.append(("polling only", True, args.poll_seconds / 2))  # fmt: skip
            for name, poll, seconds in plan:
                run = runs.setdefault(name, {"day": [], "post": [], "polls": [], "cpu": [],
                                              "late": []})  # fmt: skip
                pollers = None
                if poll:
                    pollers = Pollers(port, due, rate)
                    pollers.start()
                    time.sleep(1)  # a poll or two in flight before the people's window starts
                before, t0 = meter.read(), time.perf_counter()
                if name == "polling only":
                    time.sleep(seconds)
                else:
                    day_result, post_result = alternate(*people, seconds, 0.5)
                    run["day"].append(day_result)
                    run["post"].append(post_result)
                after = meter.read()
                run["cpu"].append(
                    (time.perf_counter() - t0, cpu_between(before[0], after[0]),
                     cpu_between(before[1], after[1]))
                )  # fmt: skip
                if pollers is not None:
                    pollers.stop()
                    run["polls"].append(pollers.result("polls"))
                    run["late"].append(pollers.late)
                    due = due[pollers.sent :]  # the next window polls the links still due
        finally:
            meter.close()
    windows = []
    for name, run in runs.items():
        window = Window(
            name,
            sum(c[0] for c in run["cpu"]),
            merge("day view", run["day"]) if run["day"] else None,
            merge("booking POST", run["post"]) if run["post"] else None,
            sum(c[1] for c in run["cpu"]),
            sum(c[2] for c in run["cpu"]),
            merge("polls", run["polls"]) if run["polls"] else None,
            sum(run["late"]),
        )
        windows.append(window)
        log(f"polling, {name}: {_window_line(window)}")
    return windows, rate


def _fetch_etags(port: int, links: list[str]) -> dict[str, str | None]:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        return dict(zip(links, pool.map(lambda path: etag_of(port, path), links), strict=True))


def _window_line(window: Window) -> str:
    parts = []
    for result in (window.day, window.post):
        if result is not None:
            parts.append(
                f"{result.name} {result.median_ms:.1f} ms (p95 {result.p95_ms:.1f}, "
                f"unexpected {result.unexpected})"
            )
    if window.polls is not None:
        parts.append(f"polls {window.polls.count} {dict(window.polls.statuses)}")
    parts.append(
        f"CPU gunicorn {window.gunicorn_cpu:.1f} s + PostgreSQL {window.postgres_cpu:.1f} s "
        f"over {window.seconds:.0f} s"
    )
    return ", ".join(parts)


# Optional: the same pages in-process (Flask test client), as before the gunicorn rows ------------


def median_ms(run: Callable[[], object], count: int) -> float:
    for _ in range(5):
        run()
    times = []
    for _ in range(count):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def in_process(built: Built, secret: str, today: date, count: int) -> dict[str, float]:
    from pole import create_app
    from pole.db import db

    config = {"SQLALCHEMY_DATABASE_URI": built.url, "SECRET_KEY": secret, "MAIL_SERVER": "",
              "POLE_FEED_RATE_LIMIT": "0", "POLE_MAIL_KICK": False}  # fmt: skip
    results = {}
    app = create_app(config)
    client = app.test_client()
    page = client.get("/connexion").get_data(as_text=True)
    token = CSRF.search(page).group(1)
    answer = client.post(
        "/connexion", data={"email": built.email, "password": PASSWORD, "csrf_token": token}
    )
    assert answer.status_code == 302, answer.status_code
    day = today + timedelta(days=7)
    results["day view"] = median_ms(
        lambda: client.get(f"/agenda?date={day}&site={built.site}"), count
    )
    results["week view"] = median_ms(
        lambda: client.get(f"/salles/{built.room}/semaine?date={day}"), count
    )
    feeds = app.test_client()
    etag = feeds.get(built.feed).headers["ETag"]
    results["feed 304"] = median_ms(
        lambda: feeds.get(built.feed, headers={"If-None-Match": etag}), count
    )
    with app.app_context():
        db.engine.dispose()
    cold = create_app({**config, "POLE_FEED_CACHE_SIZE": 0})
    results["feed cold"] = median_ms(lambda: cold.test_client().get(built.feed), count)
    with cold.app_context():
        db.engine.dispose()
    return results


# EXPLAIN ---------------------------------------------------------------------------------------


def explain(url: str, room: int, today: date) -> str:
    """EXPLAIN ANALYZE of the statements a site's pages and a room's feed lean on."""
    from pole.bookings.models import LONGEST_OCCUPATION

    engine = sa.create_engine(url)
    start = datetime(today.year, today.month, today.day, tzinfo=PARIS) + timedelta(days=7)
    day = {"room": room, "start": start, "end": start + timedelta(days=1),
           "since": start - LONGEST_OCCUPATION}  # fmt: skip
    statements = {
        "a room's bookings on one day, before the lower bound": (
            "SELECT id FROM booking WHERE resource_id = %(room)s AND status IN "
            "('pending', 'confirmed') AND start < %(end)s AND occupied_until > %(start)s",
            day,
        ),
        "a room's bookings on one day (booking checks, Booking.occupying), with the bound": (
            "SELECT id FROM booking WHERE resource_id = %(room)s AND status IN "
            "('pending', 'confirmed') AND start > %(since)s AND start < %(end)s "
            "AND occupied_until > %(start)s",
            day,
        ),
        "a site's bookings on one day (day view, active_rows), with the bound": (
            "SELECT b.id, o.name FROM booking b JOIN organisation o ON o.id = b.organisation_id "
            "WHERE b.resource_id IN (SELECT id FROM resource WHERE site_id = "
            "(SELECT site_id FROM resource WHERE id = %(room)s)) "
            "AND b.status IN ('pending', 'confirmed') AND b.start > %(since)s "
            "AND b.start < %(end)s AND b.occupied_until > %(start)s ORDER BY b.start",
            day,
        ),
        "a room's feed version (every feed request; pole/feeds, left as it is)": (
            "SELECT count(id), max(updated_at), sum(sequence), max(id) FROM booking "
            'WHERE resource_id = %(room)s AND start < %(end)s AND "end" > %(start)s',
            {"room": room, "start": start - timedelta(days=37), "end": start + timedelta(days=358)},
        ),
    }
    out = []
    with engine.connect() as conn:
        for name, (sql, params) in statements.items():
            plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, COSTS OFF) " + sql, params).scalars()
            out.append(f"{name}:\n\n```\n" + "\n".join(plan) + "\n```\n")
    engine.dispose()
    return "\n".join(out)


# Main and the README ---------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sites", type=int, default=50)
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--bookings", type=int, default=150_000)
    parser.add_argument("--links", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=15, help="timed seconds per row")
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument(
        "--poll-seconds", type=float, default=60, help="seconds with polling (and as many without)"
    )
    parser.add_argument("--poll-rounds", type=int, default=4, help="interleaved rounds of each")
    parser.add_argument(
        "--in-process", type=int, default=0, metavar="N", help="also time N requests in-process"
    )
    parser.add_argument("--no-readme", action="store_true", help="print only")
    args = parser.parse_args()
    today = datetime.now(PARIS).date()
    secret = secrets.token_hex(16)
    city = Shape(args.sites, args.users, args.bookings, args.links)
    per_site = args.bookings // args.sites
    alone = Shape(1, max(args.users // args.sites, 20), per_site, max(args.links // args.sites, 1))
    built: dict[str, Built] = {}
    inproc: dict[str, dict[str, float]] = {}
    with (
        tempfile.TemporaryDirectory(prefix="pole-bench-city-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        workdir = Path(tmp)
        for name, shape in (("alone", alone), ("city", city)):
            url, server_url = stack.enter_context(
                scratch_database("postgresql", workdir, prefix=f"pole_bench_city_{name}")
            )
            log(f"{name}: building {shape}")
            built[name] = build(url, server_url, secret, shape, today)
            log(f"{name}: {built[name].bookings} bookings, built in {built[name].seconds:.0f} s")
            if args.in_process:
                inproc[name] = in_process(built[name], secret, today, args.in_process)
        slots = {name: Slots(today) for name in built}
        rows = through_gunicorn(built, secret, today, workdir, args, slots)
        windows, rate = polling(built["city"], secret, today, workdir, args, slots["city"])
        plans = explain(built["city"].url, built["city"].room, today)
        load = machine()
    tables = gunicorn_table(rows) + "\n\n" + polling_table(windows, rate, args)
    if inproc:
        tables += "\n\nIn-process (Flask test client, median of "
        tables += f"{args.in_process}):\n\n" + inproc_table(inproc)
    print(tables)
    print(plans)
    if not args.no_readme:
        write_readme(tables, plans, built, args, load)
    return 0


def gunicorn_table(rows: dict[str, tuple[Result, Result]]) -> str:
    lines = [
        "| request | alone: median (p95) ms | city: median (p95) ms | city / alone | within 25 % |",
        "|---|---:|---:|---:|:---:|",
    ]
    for key, (alone, city) in rows.items():
        ratio = city.median_ms / alone.median_ms
        bad = alone.unexpected + city.unexpected
        note = f" ({bad} unexpected answers)" if bad else ""
        lines.append(
            f"| {key}{note} | {alone.median_ms:.1f} ({alone.p95_ms:.1f}) | "
            f"{city.median_ms:.1f} ({city.p95_ms:.1f}) | {ratio:.2f} | "
            f"{'✓' if ratio <= 1.25 else '✗'} |"
        )
    return "\n".join(lines)


def polling_table(windows: list[Window], rate: float, args: argparse.Namespace) -> str:
    cores = os.cpu_count() or 1
    lines = [
        "| window | day view: median (p95) ms | booking POST: median (p95) ms | polls "
        "(304 / 200 / other) | CPU: gunicorn + PostgreSQL | share of the "
        f"{cores} cores |",
        "|---|---:|---:|---:|---:|---:|",
    ]

    def cell(result: Result | None) -> str:
        if result is None:
            return "—"
        bad = f", {result.unexpected} unexpected" if result.unexpected else ""
        return f"{result.median_ms:.1f} ({result.p95_ms:.1f}){bad}"

    for w in windows:
        polls = "—"
        if w.polls is not None:
            s = w.polls.statuses
            other = sum(n for status, n in s.items() if status not in (200, 304))
            polls = f"{w.polls.count} ({s.get(304, 0)} / {s.get(200, 0)} / {other})"
        lines.append(
            f"| {w.name} | {cell(w.day)} | {cell(w.post)} | {polls} | "
            f"{w.gunicorn_cpu:.1f} s + {w.postgres_cpu:.1f} s in {w.seconds:.0f} s | "
            f"{w.share(cores):.0%} |"
        )
    quiet, polled, alone = windows
    verdicts = []
    for label, a, b in (("day view", quiet.day, polled.day), ("booking POST", quiet.post,
                                                               polled.post)):  # fmt: skip
        ratio = b.median_ms / a.median_ms
        verdicts.append(f"{label} {ratio:.2f}× {'✓' if ratio <= 1.25 else '✗'}")
    polls = alone.polls
    lines.append("")
    lines.append(
        f"Polling at {rate:.2f} requests/s ({args.links:,} links once per 15 minutes): "
        f"the people's medians with polling on are {', '.join(verdicts)} those without "
        f"(✓: within 25 %); polling alone costs {alone.share(cores):.0%} of the {cores} cores "
        f"(gunicorn {alone.gunicorn_cpu / alone.seconds:.2f} + PostgreSQL "
        f"{alone.postgres_cpu / alone.seconds:.2f} CPU-seconds a second); a poll's median "
        f"{polls.median_ms:.1f} ms, p95 {polls.p95_ms:.1f} ms; polls sent over a second late: "
        f"{quiet.late + polled.late + alone.late}."
    )
    return "\n".join(lines)


def inproc_table(inproc: dict[str, dict[str, float]]) -> str:
    lines = ["| request | alone (ms) | city (ms) | ratio |", "|---|---:|---:|---:|"]
    for key, alone_ms in inproc["alone"].items():
        city_ms = inproc["city"][key]
        lines.append(f"| {key} | {alone_ms:.1f} | {city_ms:.1f} | {city_ms / alone_ms:.2f} |")
    return "\n".join(lines)


def write_readme(
    tables: str, plans: str, built: dict[str, Built], args: argparse.Namespace, load: str
) -> None:
    alone, city = built["alone"], built["city"]
    section = f"""{START_MARK}
## City scale

`bench/city.py` builds a city in a scratch PostgreSQL database with bulk inserts:
{args.sites} sites of 10 rooms and 15 organisations (each working in its site), {args.users}
users, {city.bookings:,} bookings over a year and {args.links:,} feed links
({city.seconds:.0f} s to build), and the same shape with one site alone ({alone.bookings:,}
bookings). Both are served by gunicorn on PostgreSQL (2 workers × 4 threads, as bench/run.py),
and one client sends each request to the alone server and to the city's in turn for
{args.seconds:.0f} s (after {args.warmup:.0f} s of warm-up), so that whatever else the machine
does weighs on both alike; the pages are site 1's (the day view names it: `?site=`). Last run:
{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, on {load}.

{tables}

The machine is shared (its load average is above; six sessions run tests on it): compare
the columns of one run, not runs. People's pages were timed {args.poll_seconds:.0f} s without
polling and {args.poll_seconds:.0f} s with it, in {args.poll_rounds} interleaved rounds, then
polling alone for {args.poll_seconds / 2:.0f} s. The polls are paced (the n-th link at
start + n / rate, a new connection each, as from its own phone), each link once, one in 30
without an ETag (a new subscriber), with the feed rate limit as shipped (60 per 10 minutes
per link): a refusal (429) would count under "other". The CPU is read from /proc: the
gunicorn master and workers, and the PostgreSQL backends of the city's database
(`pg_stat_activity`), over the window; "share" is that over the window's seconds × cores.

Every statement below is bounded by the site and the room, not by the table: a site's rooms
come from `ix_resource_site_id`, and each room's bookings from `ix_booking_resource_start_until`.
Reads of a window (`Booking.occupying`, used by `active_rows` for the day, week and month
grids and the suggestions, and by `active_bookings` for the booking checks, the home page and
the door displays) now also say `start > window start − LONGEST_OCCUPATION` (32 days: the
longest maximum duration a resource may have, 31 days, plus the longest buffer, 24 h; the
booking checks refuse anything longer), so the index scan starts a month before the day
instead of at the room's first booking: compare "Rows Removed by Filter" in the first two
plans. The feed version reads the room's whole feed window, as it must (pole/feeds).

What a city adds to one site's pages is not in their statements (the day view runs 5 and the
week view 6, alone or in the city) but in Python, wherever a page walks every site or every
organisation: the site picker lists the 50 sites on every page (written out in its template:
WTForms' select widget cost 8,973 calls a render with 50 sites, the template 3,445), and a
booking's check that the organisation works in the room's site reads the organisations'
sites once per request (750 rows in the city: as ORM objects a city's booking POST cost
34,182 calls in-process against 20,389 alone; as plain rows, 24,434). Count them with
`bench/profile_pages.py`-style cProfile runs in-process: calls do not move with the load.

{plans}
{END_MARK}
"""
    text = README.read_text()
    if START_MARK in text and END_MARK in text:
        before, rest = text.split(START_MARK, 1)
        text = before + section + rest.split(END_MARK, 1)[1].lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    README.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
