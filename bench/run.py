"""Benchmark Pôle behind gunicorn on a year of realistic data, on SQLite and on PostgreSQL.

    .venv/bin/python bench/run.py            # or: make bench
    /tmp/probe/bin/python bench/run.py --seconds 3 --backends sqlite

One command builds each database from scratch (real migrations, the demo building, closures,
10 weekly series, 2,000 one-off bookings), serves the app with gunicorn next to a bare Flask
app, measures a few pages with 1 and 10 keep-alive clients, profiles one day view in-process,
prints a table and writes it into bench/README.md. Everything runs on 127.0.0.1 and is
bounded in time; scratch databases and servers are removed at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import itertools
import json
import os
import platform
import pstats
import re
import secrets
import sqlite3
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path[:0] = [str(ROOT), str(BENCH)]

import data  # noqa: E402
import feeds  # noqa: E402  (bench/feeds.py: the hall's year as a feed)
import profiling  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from common import count_statements, gunicorn, scratch_database, worker  # noqa: E402
from load import USER_AGENT, Request, Result, Session, Side, alternate_rounds, measure  # noqa: E402

README = BENCH / "README.md"
START_MARK, END_MARK = "<!-- bench:results -->", "<!-- /bench:results -->"
# The floor is the median of a bare Flask GET with 1 client, measured in the same run: each
# page's 1-client median is at most this many floors (issue 14).
FLOOR_TARGETS = {
    "day": 5.0,
    "week": 5.0,
    "month": 12.0,
    "find": 10.0,
    "post": 6.0,
    "conflict": 8.0,
    "report": 60.0,
    "public": 10.0,
    "feed_cold": 8.0,
    "feed_304": 2.0,
}
MS_TARGETS = {"day": 10.0, "week": 10.0, "post": 15.0, "report": 40.0, "public": 10.0}  # 1 client
RATE_TARGETS = {  # req/s with 10 clients, per database
    "day": {"sqlite": 200.0, "postgresql": 170.0},
    "week": {"sqlite": 200.0, "postgresql": 170.0},
}
P99_TARGETS = {"post": 150.0}  # ms, with 10 clients writing at once
QUOTA_SLOWDOWN = 0.20  # a booking POST with quotas stays within 20 % of one without
OUTBOX_SLOWDOWN = 0.10  # a booking POST that writes its mail stays within 10 % of one without
RESET_GAP_MS = 2.0  # a reset request for a known address within 2 ms of an unknown one


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def make_app(url: str, secret: str):  # noqa: ANN201
    return profiling.bench_app(url, secret)


def build(url: str, secret: str, one_offs: int) -> tuple[object, data.Facts, float]:
    from flask_migrate import upgrade

    started = time.perf_counter()
    app = make_app(url, secret)
    with app.app_context():
        upgrade()
    facts = data.build(app, one_offs)
    return app, facts, time.perf_counter() - started


def database_version(app) -> str:  # noqa: ANN001
    from pole.db import db

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            return f"SQLite {sqlite3.sqlite_version}"
        return "PostgreSQL " + db.session.scalar(sa.text("SHOW server_version")).split(" ")[0]


# What is measured ------------------------------------------------------------------------------


def cycling(requests: list[Request]) -> Callable[[], Request]:
    lock, items = threading.Lock(), itertools.cycle(requests)

    def next_request() -> Request:
        with lock:
            return next(items)

    return next_request


class Slots:
    """The free half-hours of the offices, each handed out once until `give_back` frees them.

    A fast machine books them all before the run ends (4,231 half-hours, some 170 POSTs a
    second): between two measurements, `give_back` deletes what the runs booked and hands
    every half-hour out again, so that no window runs short of POSTs. They are deleted, not
    cancelled: cancelled rows piling up on the same half-hours would slow the next runs' reads
    (a quota sums its month), and the table goes back to the year that was built.
    """

    def __init__(self, slots: list[tuple], app, since: datetime) -> None:  # noqa: ANN001
        self._all = list(slots)
        self._left = list(slots)
        self._lock = threading.Lock()
        self._app, self._since = app, since

    def take(self, resource_id: int | None = None) -> tuple | None:
        with self._lock:
            for index, slot in enumerate(self._left):
                if resource_id is None or slot[0] == resource_id:
                    return self._left.pop(index)
        return None

    def give_back(self) -> None:
        """Delete the bookings made since the run began (one DELETE, outside any measured
        window; their events keep no booking) and hand their half-hours out again."""
        from pole.bookings.models import Booking
        from pole.db import db, write_transaction

        with self._lock:
            if len(self._left) == len(self._all):
                return
            offices = {slot[0] for slot in self._all}
            with self._app.app_context(), write_transaction():
                db.session.execute(
                    sa.delete(Booking).where(
                        Booking.created_at >= self._since, Booking.resource_id.in_(offices)
                    )
                )
            self._left = list(self._all)


class BookingPosts:
    """Each call books the next free half-hour (of one office if told): every POST succeeds."""

    def __init__(
        self, session: Session, slots: Slots, org_id: int, resource_id: int | None = None
    ) -> None:
        self.session, self.slots = session, slots
        self.org_id, self.resource_id = org_id, resource_id
        self.sent = 0

    def __call__(self) -> Request | None:
        slot = self.slots.take(self.resource_id)
        if slot is None:
            return None
        self.sent += 1
        resource_id, day, start, end = slot
        form = _booking_form(self.session, resource_id, self.org_id, day, start, end)
        return Request("POST", "/reservations", 303, form)


def _booking_form(
    session: Session, resource_id: int, org_id: int, day, start: str, end: str
) -> str:  # noqa: ANN001
    return session.form(
        {
            "resource_id": str(resource_id),
            "organisation_id": str(org_id),
            "date": day.isoformat(),
            "start": start,
            "end": end,
            "title": "Entretien individuel",
            "quantity": "1",
        }
    )


# The quotas are on the first office (and the hall), none on the second: POSTs to each, in turn,
# compare a booking with quotas to one without in the same window.
QUOTA_OFFICE, PLAIN_OFFICE = "Bureau partagé 1", "Bureau partagé 2"


def set_quotas(app, facts: data.Facts) -> None:  # noqa: ANN001
    """The demo's kinds of quotas, on the office the quota POSTs book, too high to refuse any.

    A monthly hall quota for associations, the Restos' own in hours on a group (the first
    office and the hall), and a weekly count of bookings for every association there: every
    POST to the first office sums its month and week. The second office has no quota.
    """
    from pole.db import db, write_transaction
    from pole.quotas.models import Quota, ResourceGroup

    # One write transaction (BEGIN IMMEDIATE on SQLite): a deferred read-then-write would be
    # refused at once if the server's sending threads wrote in between.
    with app.app_context(), write_transaction():
        if db.session.scalar(sa.select(sa.func.count(Quota.id))):
            return
        offices = ResourceGroup(
            name="bureau 1 et hall (bench)",
            members=[
                db.session.get(data.Resource, facts.resources[name])
                for name in (QUOTA_OFFICE, "Hall d'accueil")
            ],
        )
        hall = facts.resources["Hall d'accueil"]
        restos = facts.organisations["restos"]
        db.session.add_all(
            [
                offices,
                Quota(
                    organisation_kind="association", resource_id=hall, period="month", maximum=30
                ),
                Quota(organisation_id=restos, group=offices, period="month", maximum=10_000),
                Quota(
                    organisation_kind="association",
                    group=offices,
                    period="week",
                    unit="bookings",
                    maximum=10_000,
                ),
            ]
        )


def pairs(rows: list[tuple[str, str, str, Result]], base: str, other: str):  # noqa: ANN201
    """Per database, the one-client medians of two rows measured in this run, when both were."""
    medians = {(b, k): r.median_ms for b, k, _l, r in rows if r.clients == 1}
    for backend in dict.fromkeys(b for b, *_ in rows):
        first, second = medians.get((backend, base)), medians.get((backend, other))
        if first and second:
            yield backend, first, second


def rounds_label(ratios: list[float]) -> str:
    """Each round's change, in the order the rounds ran: "+9, +2, +5, +7 %"."""
    return ", ".join(f"{ratio - 1:+.0%}".rstrip("%") for ratio in ratios) + " %"


def spread(compared: list[tuple[str, str, str, Result]], backend: str, key: str) -> str:
    """The rounds' changes a comparison was pooled from (its label)."""
    return next((label for b, k, label, _r in compared if (b, k) == (backend, key)), "")


def quota_cost(compared: list[tuple[str, str, str, Result]]) -> list[str]:
    """Per database, a booking POST with quotas against one without, sent in turn."""
    lines = []
    for backend, quota, plain in pairs(compared, "post_quota", "post_plain"):
        change = quota / plain - 1
        mark = "✓" if change <= QUOTA_SLOWDOWN else "✗"
        lines.append(
            f"- {backend}: booking POST {plain:.1f} ms without quotas, {quota:.1f} ms with "
            f"them, sent in turn ({change:+.0%}; {mark} within {QUOTA_SLOWDOWN:.0%}; rounds "
            f"{spread(compared, backend, 'post_quota')})"
        )
    return lines


def outbox_cost(compared: list[tuple[str, str, str, Result]]) -> list[str]:
    """Per database, a booking POST with its mail against one without, sent in turn."""
    lines = []
    for backend, with_mail, without in pairs(compared, "post_mail", "post_nomail"):
        change = with_mail / without - 1
        mark = "✓" if change <= OUTBOX_SLOWDOWN else "✗"
        lines.append(
            f"- {backend}: booking POST {with_mail:.1f} ms with its mail written into the "
            f"outbox, {without:.1f} ms without, sent in turn ({change:+.0%}; {mark} within "
            f"{OUTBOX_SLOWDOWN:.0%}; rounds {spread(compared, backend, 'post_mail')})"
        )
    return lines


def reset_cost(rows: list[tuple[str, str, str, Result]]) -> list[str]:
    """Per database, a password-reset request for a known and for an unknown address: the
    same time, so that the answer's delay does not tell who has an account."""
    lines = []
    for backend, known, unknown in pairs(rows, "reset_known", "reset_unknown"):
        gap = known - unknown
        mark = "✓" if abs(gap) <= RESET_GAP_MS else "✗"
        lines.append(
            f"- {backend}: password reset {known:.1f} ms for a known address, "
            f"{unknown:.1f} ms for an unknown one ({gap:+.1f} ms; {mark} within "
            f"{RESET_GAP_MS:.0f} ms)"
        )
    return lines


def mails_written(app) -> int:  # noqa: ANN001
    """The booking mails the POSTs wrote into the outbox (one per booking made)."""
    from pole.db import db
    from pole.outbox.models import OutgoingMail

    with app.app_context():
        query = sa.select(sa.func.count(OutgoingMail.id)).where(OutgoingMail.kind == "notify_made")
        count = db.session.scalar(query)
        db.session.rollback()
        return count


def drained(app, backend: str, seconds: float = 60.0) -> None:  # noqa: ANN001
    """Wait until the server's sending threads have sent every due mail.

    The rows before a comparison queue a thousand mails in a few seconds; sending them takes
    the same CPUs for a while after. A comparison started meanwhile would time the backlog.
    """
    from pole.db import db
    from pole.outbox.models import OutgoingMail

    query = sa.select(sa.func.count(OutgoingMail.id)).where(
        OutgoingMail.status.in_(("queued", "sending"))
    )
    deadline = time.monotonic() + seconds
    with app.app_context():
        while (left := db.session.scalar(query)) and time.monotonic() < deadline:
            db.session.rollback()
            time.sleep(0.2)
        db.session.rollback()
    if left:
        log(f"{backend}: {left} mails still queued after {seconds:.0f} s")


def compare_quotas(app, facts, backend, session, slots, port, args, compared) -> None:  # noqa: ANN001, PLR0913
    """POSTs to an office with quotas and to one without, in turn, in one window."""
    set_quotas(app, facts)
    drained(app, backend)
    org_id, headers = facts.organisations["restos"], session.headers()
    plain, quota = (
        Side(key, port, BookingPosts(session, slots, org_id, facts.resources[office]), headers)
        for key, office in (("post_plain", PLAIN_OFFICE), ("post_quota", QUOTA_OFFICE))
    )
    *results, ratios = alternate_rounds(
        plain, quota, args.seconds, args.warmup, args.rounds, between=slots.give_back
    )
    for result in results:
        compared.append((backend, result.name, rounds_label(ratios), result))
        log(f"{backend} post vs post_quota, {result.name}: median {result.median_ms:.1f} ms")


def compare_mail(app, facts, env, workdir, backend, slots, args, compared) -> None:  # noqa: ANN001, PLR0913
    """POSTs to the real app and to bench/quiet.py (which writes no mail), in turn.

    Both serve the same database at the same time; the quiet one is the outbox's baseline.
    Both are started for the comparison: the server of the rows before had served thousands
    of requests, and against a fresh quiet one it measured its own history as well (+9 to
    +13 % on SQLite, whose booking writes no different statement than in a fresh one's +6 %).
    """
    org_id = facts.organisations["restos"]
    with (
        gunicorn("pole:create_app()", env, workdir / f"{backend}-mail.log") as port,
        gunicorn("bench.quiet:app", env, workdir / f"{backend}-quiet.log") as quiet_port,
    ):
        sides = []
        for key, on in (("post_mail", port), ("post_nomail", quiet_port)):
            session = Session(on)
            session.login(data.VOLUNTEER, data.PASSWORD)
            sides.append(Side(key, on, BookingPosts(session, slots, org_id), session.headers()))
        drained(app, backend)
        before = mails_written(app)
        # The quiet side first: each round's ratio is then "with the mail over without".
        *results, ratios = alternate_rounds(
            *sides[::-1], args.seconds, args.warmup, args.rounds, between=slots.give_back
        )
        for result in results:
            compared.append((backend, result.name, rounds_label(ratios), result))
            log(f"{backend} post vs post_nomail, {result.name}: median {result.median_ms:.1f} ms")
        if mails_written(app) - before != sides[0].next_request.sent:
            raise RuntimeError("bench/quiet.py wrote booking mails: its baseline is wrong")


def feed_rows(backend: str, workdir: Path, args) -> list[tuple[str, str, str, Result]]:  # noqa: ANN001
    """The hall's year as a feed (bench/feeds.py builds it): rebuilt with the cache off (its
    unchanged events from the memo), written from nothing (memo off too), and 304."""
    count = max(50, int(args.seconds * 100))
    timings = feeds.run_backend(backend, count, workdir)["rows"]
    rows = []
    for key, kind, label in (
        ("feed_cold", "cold", "iCal, the hall's year rebuilt (cache off) → 200"),
        ("feed_nothing", "from nothing", "iCal, the same written from nothing (memo off) → 200"),
        ("feed_304", "304", "iCal, the hall's feed with its ETag → 304"),
    ):
        timing = timings[("room", kind)]
        result = Result(
            key, 1, timing.count, timing.seconds, timing.median_ms, timing.p95_ms,
            Counter(ok=timing.count), timing.p99_ms,
        )  # fmt: skip
        rows.append((backend, key, label, result))
        log(f"{backend} {key}: median {result.median_ms:.1f} ms")
    return rows


def routes_of(app) -> set[str]:  # noqa: ANN001
    return {rule.endpoint for rule in app.url_map.iter_rules()}


def scenarios(app, session: Session, facts: data.Facts, slots: Slots) -> list[tuple]:  # noqa: ANN001
    """(key, label, request factory) for each page measured; booking pages once they exist."""
    endpoints = routes_of(app)
    org_id = facts.organisations["restos"]
    found = []
    if "bookings.day" in endpoints:
        days = [Request("GET", f"/agenda?date={d.isoformat()}", 200) for d in facts.busy_days]
        found.append(("day", "day view GET /agenda?date=", lambda: cycling(days)))
    # The first page everyone sees: today in the building, what comes next, the notices, the
    # permanence slots still free, the noticeboard (no target in the issues yet).
    home = "home page GET / (the volunteer)" if "bookings.day" in endpoints else "home page GET /"
    found.append(("home", home, lambda: cycling([Request("GET", "/", 200)])))
    if "bookings.week" in endpoints:
        rooms = [
            facts.resources[n] for n in ("Hall d'accueil", "Cuisine équipée", "Bureau partagé 1")
        ]
        weeks = [
            Request("GET", f"/salles/{r}/semaine?date={d.isoformat()}", 200)
            for d, r in zip(facts.busy_days, itertools.cycle(rooms), strict=False)
        ]
        found.append(("week", "week view GET /salles/<id>/semaine", lambda: cycling(weeks)))
    else:
        found.append(
            ("rooms", "rooms GET /salles/", lambda: cycling([Request("GET", "/salles/", 200)]))
        )
    if "bookings.month" in endpoints:
        hall = facts.resources["Hall d'accueil"]
        months = sorted({f"{d:%Y-%m}" for d in facts.busy_days})
        month_pages = [Request("GET", f"/agenda/mois?mois={m}", 200) for m in months] + [
            Request("GET", f"/salles/{hall}/mois?mois={m}", 200) for m in months
        ]
        found.append(
            (
                "month",
                "month view GET /agenda/mois, /salles/<id>/mois",
                lambda: cycling(month_pages),
            )
        )
    if "bookings.find" in endpoints:
        searches = [
            Request(
                "GET",
                f"/agenda/trouver?date={d.isoformat()}&moment=apres-midi&duration=120&people=12",
                200,
            )
            for d in facts.busy_days
        ] + [
            Request(
                "GET",
                f"/agenda/trouver?date={d}&until={d + timedelta(days=6)}&duration=60",
                200,
            )
            for d in facts.busy_days
        ]
        found.append(
            ("find", "search GET /agenda/trouver (1 day or up to 7)", lambda: cycling(searches))
        )
    if "bookings.create" in endpoints:
        found.append(
            (
                "post",
                "booking POST /reservations → 303",
                lambda: BookingPosts(session, slots, org_id),
            )
        )

        def quota_posts() -> BookingPosts:
            set_quotas(app, facts)
            return BookingPosts(session, slots, org_id, facts.resources[QUOTA_OFFICE])

        found.append(("post_quota", "booking POST with quotas → 303", quota_posts))
        resource_id, day, start, end = facts.taken_slot
        clash = Request(
            "POST",
            "/reservations",
            422,
            _booking_form(session, resource_id, org_id, day, start, end),
        )
        found.append(
            (
                "conflict",
                "refused POST, taken slot, with suggestions → 422",
                lambda: cycling([clash]),
            )
        )
    if "auth.forgot_password" in endpoints:
        # The same answer, in the same time, whether the address has an account or not: the
        # known address only adds a row to the outbox (the mail leaves after the commit).
        for key, email in (("reset_known", data.VOLUNTEER), ("reset_unknown", "nul@exemple.org")):
            reset = Request("POST", "/mot-de-passe-oublie", 302, session.form({"email": email}))
            found.append((key, f"password reset POST, {key[6:]} address → 302", _const(reset)))
    found += report_scenarios(endpoints, session, facts)
    return found


def _const(request: Request) -> Callable[[], Callable[[], Request]]:
    return lambda: cycling([request])


def report_scenarios(endpoints: set[str], session: Session, facts: data.Facts) -> list[tuple]:
    """The Restos' report over the bench year, as their coordinator reads it; the public page,
    as a visitor without cookies reads it. Each carries the headers of whoever asks."""
    found: list[tuple] = []
    if "reports.index" in endpoints:
        coordinator = Session(session.port)
        coordinator.login(data.COORDINATOR, data.PASSWORD)
        path = (
            f"/rapports/?kind=dates&first_day={facts.first_day.isoformat()}"
            f"&last_day={facts.last_day.isoformat()}"
        )
        report = Request("GET", path, 200)
        found.append(
            (
                "report",
                "an association's year GET /rapports/",
                lambda: cycling([report]),
                coordinator.headers(),
            )
        )
    if "public.index" in endpoints:
        public = Request("GET", "/le-pole/", 200)
        found.append(
            (
                "public",
                "public page GET /le-pole/ (no cookie)",
                lambda: cycling([public]),
                {"User-Agent": USER_AGENT},
            )
        )
    return found


def wanted(key: str, only: str) -> bool:
    return not only or key in only.split(",")


# Where the time goes ---------------------------------------------------------------------------

BUCKETS = [
    ("database driver", ("sqlite3", "psycopg", "socket", "select", "poll")),
    ("SQLAlchemy", ("sqlalchemy",)),
    ("Jinja templates", ("jinja2", ".html", "markupsafe", "jinja2_fragments")),
    ("Babel / dates", ("babel", "flask_babel", "zoneinfo", "_strptime", "datetime")),
    ("Pôle code", ("/pole/",)),
    ("Flask / Werkzeug / WTForms / Login", ("flask", "werkzeug", "wtforms", "itsdangerous")),
]


def _bucket(filename: str, name: str) -> str:
    where = f"{filename}:{name}"
    for bucket, needles in BUCKETS:
        if any(n in where for n in needles):
            return bucket
    return "other (stdlib, builtins)"


def profile_day_view(app, facts: data.Facts, runs: int = 50) -> dict:  # noqa: ANN001
    """Time the day view in-process (no HTTP), then profile it and sort its time into buckets."""
    client = app.test_client()
    page = client.get("/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    client.post(
        "/connexion", data={"email": data.VOLUNTEER, "password": data.PASSWORD, "csrf_token": token}
    )
    day = facts.busy_days[0]
    path = f"/agenda?date={day.isoformat()}" if "bookings.day" in routes_of(app) else "/"
    for _ in range(5):
        assert client.get(path).status_code == 200
    timings = []
    for _ in range(runs):
        t0 = time.perf_counter()
        client.get(path)
        timings.append(time.perf_counter() - t0)
    timings.sort()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        client.get(path)
    profiler.disable()
    stats = pstats.Stats(profiler)
    buckets: dict[str, float] = defaultdict(float)
    total = 0.0
    for (filename, _line, name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        buckets[_bucket(filename, name)] += tottime
        total += tottime
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
    queries = count_statements(app, lambda: client.get(path))
    return {
        "path": path,
        "median_ms": timings[len(timings) // 2] * 1000,
        "buckets": sorted(((k, v / total) for k, v in buckets.items()), key=lambda kv: -kv[1]),
        "top": _trim(out.getvalue()),
        "queries": queries,
        "body_kb": len(client.get(path).get_data()) / 1024,
    }


def _trim(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    keep = [i for i, line in enumerate(lines) if "ncalls" in line]
    text = "\n".join(lines[keep[0] :] if keep else lines)
    for prefix in (sysconfig.get_paths()["purelib"], sysconfig.get_paths()["stdlib"], str(ROOT)):
        text = text.replace(prefix + "/", "")
    return text


# Report ----------------------------------------------------------------------------------------


def describe_machine() -> dict[str, str]:
    def run(*command: str) -> str:
        try:
            return subprocess.run(
                command, capture_output=True, text=True, check=False
            ).stdout.strip()  # noqa: S603
        except OSError:
            return "?"

    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    import gunicorn as gunicorn_pkg

    return {
        "nproc": run("nproc"),
        "cpu": cpu,
        "memory": run("free", "-h"),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "gunicorn": gunicorn_pkg.__version__,
        "os": platform.platform(),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def floor_of(rows: list[tuple[str, str, str, Result]], clients: int) -> float | None:
    """The bare Flask median with this many clients, measured in this run."""
    bare = (r.median_ms for _b, k, _l, r in rows if k == "bare" and r.clients == clients)
    return next(bare, None)


def verdict(backend: str, key: str, result: Result, floor: float | None) -> str:
    """Each target of the row, met (✓) or not (✗)."""
    marks = []
    if result.clients == 1:
        if floor and key in FLOOR_TARGETS:
            bound = FLOOR_TARGETS[key]
            marks.append(("✓" if result.median_ms <= bound * floor else "✗") + f" ≤ {bound:g}×")
        if key in MS_TARGETS:
            bound = MS_TARGETS[key]
            marks.append(("✓" if result.median_ms <= bound else "✗") + f" ≤ {bound:g} ms")
    else:
        rate = RATE_TARGETS.get(key, {}).get(backend)
        if rate is not None:
            marks.append(("✓" if result.rate >= rate else "✗") + f" ≥ {rate:g}/s")
        if key in P99_TARGETS:
            bound = P99_TARGETS[key]
            marks.append(("✓" if result.p99_ms <= bound else "✗") + f" p99 ≤ {bound:g} ms")
    return ", ".join(marks)


def table(rows: list[tuple[str, str, str, Result]]) -> str:
    header = (
        "| database | page | clients | median ms | × floor | p95 ms | p99 ms | req/s "
        "| unexpected | target |"
    )
    lines = [header, "|---|---|--:|--:|--:|--:|--:|--:|--:|---|"]
    for backend, key, label, r in rows:
        bad = f"{r.unexpected} {dict(r.statuses)}" if r.unexpected else "0"
        floor = floor_of(rows, r.clients)
        ratio = f"{r.median_ms / floor:.1f}×" if floor and key != "bare" else "—"
        lines.append(
            f"| {backend} | {label} | {r.clients} | {r.median_ms:.1f} | {ratio} | "
            f"{r.p95_ms:.1f} | {r.p99_ms:.1f} | {r.rate:.0f} | {bad} | "
            f"{verdict(backend, key, r, floor_of(rows, 1))} |"
        )
    return "\n".join(lines)


def report(machine, builds, rows, compared, profiles, versions, args) -> str:  # noqa: ANN001, PLR0913
    parts = [
        START_MARK,
        f"### Last run: {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        "",
        f"- Machine: {machine['nproc']} CPU ({machine['cpu']}), {machine['os']}",
        f"- Load average when the run started: {machine['load']} (a shared machine shows here)",
        f"- {machine['python']}, gunicorn {machine['gunicorn']} (2 workers × 4 threads), "
        + ", ".join(versions.values()),
        f"- {args.seconds:g} s per measurement after {args.warmup:g} s of warm-up; the load "
        "client (Python threads, one keep-alive connection each) runs on the same CPUs.",
        "",
        "```",
        machine["memory"],
        "```",
        "",
        "Data built per database (migrations + demo + closures + series + one-off bookings):",
        "",
    ]
    for backend, (facts, seconds) in builds.items():
        parts.append(
            f"- {backend}: {facts.bookings} bookings ({facts.series} weekly series, "
            f"{facts.closures} closures) from {facts.first_day} to {facts.last_day}, "
            f"built in {seconds:.1f} s; {len(facts.free_slots)} free half-hours for the POSTs"
        )
    parts += [
        "",
        "× floor: the row's median over the bare Flask median with as many clients, measured "
        "in this run; the targets in × floor apply to 1 client.",
        "",
        table(rows),
        "",
    ]
    if quota_cost(compared):
        parts += ["Quotas:", "", *quota_cost(compared), ""]
    if outbox_cost(compared):
        parts += ["Outbox:", "", *outbox_cost(compared), ""]
    if reset_cost(rows):
        parts += ["Password reset:", "", *reset_cost(rows), ""]
    for backend, prof in profiles.items():
        parts += [
            f"#### Profile of `GET {prof['path']}` in-process on {backend}",
            "",
            f"In-process median {prof['median_ms']:.1f} ms (no HTTP, no gunicorn), "
            f"{prof['queries']} SQL queries, {prof['body_kb']:.0f} KiB of HTML. "
            "Own time by area (cProfile):",
            "",
        ]
        parts += [f"- {name}: {share:.0%}" for name, share in prof["buckets"]]
        parts += ["", "<details><summary>Top 25 by cumulative time</summary>", "", "```"]
        parts += [prof["top"], "```", "", "</details>", ""]
    parts.append(END_MARK)
    return "\n".join(parts)


def write_readme(section: str) -> None:
    text = README.read_text() if README.exists() else "# Benchmarks\n\n"
    if START_MARK in text and END_MARK in text:
        head, rest = text.split(START_MARK, 1)
        tail = rest.split(END_MARK, 1)[1]
        text = head + section + tail
    else:
        text = text.rstrip() + "\n\n## Results\n\n" + section + "\n"
    README.write_text(text)


def write_json(machine, builds, rows, profiles, versions) -> Path:  # noqa: ANN001
    """Keep every run's raw numbers in bench/results/ (ignored by git) to compare runs."""
    folder = BENCH / "results"
    folder.mkdir(exist_ok=True)
    path = folder / f"{datetime.now():%Y%m%d-%H%M%S}.json"
    record = {
        "machine": machine,
        "versions": versions,
        "builds": {b: {"bookings": f.bookings, "seconds": s} for b, (f, s) in builds.items()},
        "results": [
            {
                "database": backend,
                "page": key,
                "clients": r.clients,
                "median_ms": r.median_ms,
                "p95_ms": r.p95_ms,
                "rate": r.rate,
                "count": r.count,
                "statuses": {str(k): v for k, v in r.statuses.items()},
            }
            for backend, key, _label, r in rows
        ],
        "profiles": {b: {k: v for k, v in p.items() if k != "top"} for b, p in profiles.items()},
    }
    path.write_text(json.dumps(record, indent=2, default=str))
    return path


# Main --------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="measured time per run")
    parser.add_argument("--warmup", type=float, default=0.5, help="unmeasured time per run")
    parser.add_argument(
        "--rounds", type=int, default=4, help="windows of --seconds per comparison sent in turn"
    )
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--clients", default="1,10")
    parser.add_argument("--bookings", type=int, default=data.ONE_OFF_BOOKINGS)
    parser.add_argument("--no-readme", action="store_true", help="print only")
    parser.add_argument("--only", default="", help="these pages only, e.g. report,public")
    args = parser.parse_args()
    clients = [int(c) for c in args.clients.split(",")]

    machine = describe_machine()
    log(f"{machine['nproc']} CPU, load {machine['load']}, {machine['python']}")
    rows: list[tuple[str, str, str, Result]] = []
    compared: list[tuple[str, str, str, Result]] = []  # pairs sent in turn
    builds, profiles, versions = {}, {}, {}
    secret = secrets.token_hex(32)
    with tempfile.TemporaryDirectory(prefix="pole-bench-") as tmp:
        workdir = Path(tmp)
        with gunicorn("bare:app", {}, workdir / "bare.log", chdir=BENCH) as port:
            for n in clients:
                result = measure(
                    "bare", port, cycling([Request("GET", "/", 200)]), n, args.seconds, args.warmup
                )
                rows.append(("—", "bare", "bare Flask GET /", result))
                log(f"bare Flask, {n} clients: {result.median_ms:.1f} ms, {result.rate:.0f}/s")
        for backend in args.backends.split(","):
            with scratch_database(backend, workdir) as (url, server_url):
                log(f"{backend}: building a year of data…")
                app, facts, seconds = build(url, secret, args.bookings)
                builds[backend] = (facts, seconds)
                versions[backend] = database_version(app)
                log(f"{backend}: {facts.bookings} bookings in {seconds:.1f} s; profiling")
                profiles[backend] = profile_day_view(app, facts)
                env = {"DATABASE_URL": server_url, "SECRET_KEY": secret, "MAIL_SERVER": ""}
                since = datetime.now(UTC)  # the bookings made from here on are the runs'
                try:
                    with (
                        gunicorn("pole:create_app()", env, workdir / f"{backend}.log") as port,
                        worker(env, workdir / f"{backend}-worker.log"),
                    ):
                        session = Session(port)
                        session.login(data.VOLUNTEER, data.PASSWORD)
                        headers = session.headers()
                        # A slot is booked once, by any run, until give_back frees them all.
                        slots = Slots(facts.free_slots, app, since)
                        for key, label, factory, *own in scenarios(app, session, facts, slots):
                            if not wanted(key, args.only):
                                continue
                            for n in clients:
                                slots.give_back()
                                result = measure(
                                    key,
                                    port,
                                    factory(),
                                    n,
                                    args.seconds,
                                    args.warmup,
                                    own[0] if own else headers,
                                )
                                rows.append((backend, key, label, result))
                                log(
                                    f"{backend} {key}, {n} clients: median "
                                    f"{result.median_ms:.1f} ms, p95 {result.p95_ms:.1f} ms, "
                                    f"{result.rate:.0f}/s, unexpected {result.unexpected}"
                                )
                        if wanted("post_quota", args.only):
                            compare_quotas(
                                app, facts, backend, session, slots, port, args, compared
                            )
                        if wanted("post_nomail", args.only):
                            compare_mail(app, facts, env, workdir, backend, slots, args, compared)
                        log(f"{backend}: {mails_written(app)} booking mails in the outbox")
                finally:
                    from pole.db import db

                    with app.app_context():
                        db.engine.dispose()
            if any(wanted(key, args.only) for key in ("feed_cold", "feed_nothing", "feed_304")):
                rows += [r for r in feed_rows(backend, workdir, args) if wanted(r[1], args.only)]

    section = report(machine, builds, rows, compared, profiles, versions, args)
    print()
    print(table(rows))
    print("\n".join(quota_cost(compared)))
    print("\n".join(outbox_cost(compared)))
    print("\n".join(reset_cost(rows)))
    for backend, prof in profiles.items():
        shares = ", ".join(f"{name} {share:.0%}" for name, share in prof["buckets"])
        print(
            f"\n{backend} {prof['path']} in-process: {prof['median_ms']:.1f} ms, "
            f"{prof['queries']} queries; {shares}"
        )
    if not args.no_readme:
        write_readme(section)
        raw = write_json(machine, builds, rows, profiles, versions)
        print(f"\nWritten into {README.relative_to(ROOT)} and {raw.relative_to(ROOT)}")
    return 1 if any(r.unexpected for *_, r in rows + compared) else 0


if __name__ == "__main__":
    sys.exit(main())
