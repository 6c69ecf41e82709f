"""Time and profile the read pages in-process (Flask test client, no HTTP), on both databases.

    .venv/bin/python bench/profile_pages.py                      # every page, both databases
    .venv/bin/python bench/profile_pages.py --pages day,week --backends sqlite --runs 200
    .venv/bin/python bench/profile_pages.py --keep /tmp/pole-prof  # build once, reuse after
    .venv/bin/python bench/profile_pages.py --pages post          # successful booking POSTs

Builds the bench year once per database (bench/data.py), logs in as the demo volunteer, then
for each page: a few warm-up requests, N timed requests (median, best and p90), the number of
SQL statements of one request, the Python calls per request and the top lines of a cProfile of
N more requests. The calls are the steady measure when the machine is busy. Without a
server and a load client in the way, a change shows in the same run even on a busy machine.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import pickle
import pstats
import re
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path[:0] = [str(ROOT), str(BENCH)]

import data  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from common import POSTGRES_URL, count_statements, scratch_database  # noqa: E402

PAGES = ("day", "week", "month", "find", "conflict", "post")
CLOCK = time.perf_counter  # --cpu: time.process_time, this process's CPU only (busy machines)


def make_app(url: str):  # noqa: ANN201
    from pole import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "profile-pages",
            "MAIL_SERVER": "",
            "TESTING": False,
            "POLE_MAIL_KICK": False,
        }
    )


def build(url: str) -> tuple[object, data.Facts]:
    from flask_migrate import upgrade

    app = make_app(url)
    with app.app_context():
        upgrade()
    return app, data.build(app)


@contextlib.contextmanager
def database(backend: str, keep: Path | None):  # noqa: ANN201
    """The app on a built bench year: a scratch one, or the one kept in `keep` (built once)."""
    if keep is None:
        with (
            tempfile.TemporaryDirectory() as workdir,
            scratch_database(backend, Path(workdir), prefix="pole_profile") as (url, _server_url),
        ):
            yield build(url)
        return
    keep.mkdir(parents=True, exist_ok=True)
    facts_path = keep / f"facts-{backend}.pickle"
    if backend == "sqlite":
        url = f"sqlite:///{keep / 'pole.db'}"
    else:
        name = "pole_profile_kept"
        base = sa.engine.make_url(POSTGRES_URL)
        url = base.set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False
        )
        if not facts_path.exists():
            import psycopg

            with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                admin.execute(f'CREATE DATABASE "{name}"')
    if facts_path.exists():
        yield make_app(url), pickle.loads(facts_path.read_bytes())  # noqa: S301 (our own file)
        return
    app, facts = build(url)
    facts_path.write_bytes(pickle.dumps(facts))
    yield app, facts


def login(app):  # noqa: ANN001, ANN201
    client = app.test_client()
    page = client.get("/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    client.post(
        "/connexion", data={"email": data.VOLUNTEER, "password": data.PASSWORD, "csrf_token": token}
    )
    page = client.get("/").get_data(as_text=True)
    return client, re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def requests_of(page: str, facts: data.Facts, token: str) -> list[tuple[str, str, dict, int]]:
    """(method, path, form, expected status) cycled through for one page, as bench/run.py does."""
    days = facts.busy_days
    hall = facts.resources["Hall d'accueil"]
    if page == "day":
        return [("GET", f"/agenda?date={d}", {}, 200) for d in days]
    if page == "week":
        rooms = [hall, facts.resources["Cuisine équipée"], facts.resources["Bureau partagé 1"]]
        return [
            ("GET", f"/salles/{rooms[i % 3]}/semaine?date={d}", {}, 200) for i, d in enumerate(days)
        ]
    if page == "month":
        months = sorted({f"{d:%Y-%m}" for d in days})
        return [("GET", f"/agenda/mois?mois={m}", {}, 200) for m in months] + [
            ("GET", f"/salles/{hall}/mois?mois={m}", {}, 200) for m in months
        ]
    if page == "find":
        return [
            ("GET", f"/agenda/trouver?date={d}&moment=apres-midi&duration=120&people=12", {}, 200)
            for d in days
        ] + [
            ("GET", f"/agenda/trouver?date={d}&until={d + timedelta(days=6)}&duration=60", {}, 200)
            for d in days
        ]
    resource_id, day, start, end = facts.taken_slot
    form = {
        "resource_id": str(resource_id),
        "organisation_id": str(facts.organisations["restos"]),
        "date": day.isoformat(),
        "start": start,
        "end": end,
        "title": "Entretien individuel",
        "quantity": "1",
        "csrf_token": token,
    }
    return [("POST", "/reservations", form, 422)]


def post_sender(client, token, facts):  # noqa: ANN001, ANN201
    """Successful booking POSTs (303), each on the next free half-hour of the bench year.

    A kept year remembers what earlier runs booked: the free slots they took are skipped
    (answered 422) before the timed requests begin.
    """
    slots = iter(facts.free_slots)

    def post() -> int:
        resource_id, day, start, end = next(slots)
        form = {
            "resource_id": str(resource_id),
            "organisation_id": str(facts.organisations["restos"]),
            "date": day.isoformat(),
            "start": start,
            "end": end,
            "title": "Réunion",
            "quantity": "1",
            "csrf_token": token,
        }
        return client.post("/reservations", data=form).status_code

    def send(_i: int) -> None:
        status = post()
        if status != 303:
            raise SystemExit(f"post: POST /reservations answered {status}")

    def skip_taken() -> None:
        while (status := post()) != 303:
            if status != 422:
                raise SystemExit(f"post: POST /reservations answered {status}")

    return send, skip_taken


def profile_page(app, client, token, facts, page: str, runs: int, top: int, sort: str) -> dict:  # noqa: ANN001, PLR0913
    if page == "post":
        send, skip_taken = post_sender(client, token, facts)
        skip_taken()
        requests = []
    else:
        requests = requests_of(page, facts, token)

        def send(i: int) -> None:
            method, path, form, expected = requests[i % len(requests)]
            response = client.open(path, method=method, data=form or None)
            if response.status_code != expected:
                raise SystemExit(f"{page}: {method} {path} answered {response.status_code}")

    for i in range(max(5, len(requests))):
        send(i)
    timings = []
    for i in range(runs):
        t0 = CLOCK()
        send(i)
        timings.append(CLOCK() - t0)
    timings.sort()
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(runs):
        send(i)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats(sort).print_stats(top)
    return {
        "median": timings[len(timings) // 2] * 1000,
        "best": timings[0] * 1000,
        "p90": timings[int(len(timings) * 0.9)] * 1000,
        "queries": count_statements(app, lambda: send(0)),
        # Python calls per request: steady where timings are not (a busy, shared machine).
        "calls": stats.total_calls // runs,
        "top": out.getvalue(),
    }


def floor(runs: int) -> float:
    """bench/bare.py's page in-process: the floor the ratios of bench/run.py are taken from."""
    import bare

    client = bare.app.test_client()
    timings = []
    for _ in range(runs):
        t0 = CLOCK()
        client.get("/")
        timings.append(CLOCK() - t0)
    timings.sort()
    return timings[len(timings) // 2] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--top", type=int, default=25, help="profile lines per page (0: none)")
    parser.add_argument("--sort", default="tottime", help="pstats order: tottime, cumulative")
    parser.add_argument("--keep", type=Path, help="build the year here once and reuse it")
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="time this process's CPU, not the wall clock: steadier on a busy machine, but a"
        " database server's own time (PostgreSQL) is left out",
    )
    args = parser.parse_args()
    if args.cpu:
        global CLOCK  # noqa: PLW0603 (a command-line switch, read once)
        CLOCK = time.process_time
    summary = []
    for backend in args.backends.split(","):
        with database(backend, args.keep) as (app, facts):
            client, token = login(app)
            for page in args.pages.split(","):
                result = profile_page(
                    app, client, token, facts, page, args.runs, args.top, args.sort
                )
                if args.top:
                    print(f"=== {backend} {page}: {result['median']:.2f} ms")
                    print(_trim(result["top"]))
                summary.append((backend, page, result))
    bare = floor(args.runs)
    print(f"bare Flask page in-process: {bare:.2f} ms")
    print(
        f"{'backend':<11} {'page':<12} {'median ms':>10} {'best ms':>8} {'p90 ms':>8}"
        f" {'queries':>8} {'calls':>7} {'× bare':>7}"
    )
    for backend, page, r in summary:
        print(
            f"{backend:<11} {page:<12} {r['median']:>10.2f} {r['best']:>8.2f} {r['p90']:>8.2f}"
            f" {r['queries']:>8} {r['calls']:>7} {r['median'] / bare:>7.1f}"
        )
    return 0


def _trim(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    keep = [i for i, line in enumerate(lines) if "ncalls" in line]
    text = "\n".join(lines[keep[0] :] if keep else lines)
    return text.replace(str(ROOT) + "/", "").replace(sys.prefix + "/", "")


if __name__ == "__main__":
    sys.exit(main())
