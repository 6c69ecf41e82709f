"""Time and profile the feeds in-process (Flask test client, no HTTP), on both databases.

    .venv/bin/python bench/profile_feeds.py                       # both databases
    .venv/bin/python bench/profile_feeds.py --backends sqlite --runs 200 --cpu
    .venv/bin/python bench/profile_feeds.py --keep /tmp/feeds-prof  # build once, reuse after

Builds the feeds' bench year once per database (bench/feeds.py: the hall's and the Restos'
links, the whole year inside the feeds' window), then for each request: a few warm-up
requests, N timed ones (median, best, p90), the SQL statements of one request, the Python
calls per request and the top lines of a cProfile of N more. The requests:

- cold: the hall's feed from an app whose feed cache is off (every request rebuilds it);
- 304: the hall's feed asked with its ETag (what a calendar app does every hour);
- warm: the hall's feed without the ETag, from the cache;
- org cold: the Restos' feed rebuilt (bookings and appointments).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import pickle
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path[:0] = [str(ROOT), str(BENCH)]

import feeds  # noqa: E402  (bench/feeds.py: the data build and its links)
import sqlalchemy as sa  # noqa: E402
from common import POSTGRES_URL, count_statements, scratch_database  # noqa: E402
from profile_pages import _trim, floor  # noqa: E402

REQUESTS = ("cold", "304", "warm", "org cold")
SECRET = "profile-feeds"
CLOCK = time.perf_counter  # --cpu: time.process_time, this process's CPU only (busy machines)


def make_app(url: str, cache_size: int):  # noqa: ANN201
    from pole import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": SECRET,
            "MAIL_SERVER": "",
            "TESTING": False,
            "POLE_MAIL_KICK": False,
            # A limit no request reaches: each one still takes its link's bucket (a row).
            "POLE_FEED_RATE_LIMIT": "100000000/600",
            "POLE_FEED_CACHE_SIZE": cache_size,
        }
    )


@contextlib.contextmanager
def database(backend: str, keep: Path | None):  # noqa: ANN201
    """(url, built links): a scratch database, or the one kept in `keep` (built once)."""
    if keep is None:
        with (
            tempfile.TemporaryDirectory() as workdir,
            scratch_database(backend, Path(workdir), prefix="pole_profile_feeds") as (url, _),
        ):
            yield url, feeds.build(url, SECRET)
        return
    keep.mkdir(parents=True, exist_ok=True)
    built_path = keep / f"built-{backend}.pickle"
    if backend == "sqlite":
        url = f"sqlite:///{keep / 'pole.db'}"
    else:
        name = "pole_profile_feeds_kept"
        base = sa.engine.make_url(POSTGRES_URL)
        url = base.set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False
        )
        if not built_path.exists():
            import psycopg

            with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                admin.execute(f'CREATE DATABASE "{name}"')
    if not built_path.exists():
        built_path.write_bytes(pickle.dumps(feeds.build(url, SECRET)))
    yield url, pickle.loads(built_path.read_bytes())  # noqa: S301 (our own file)


def profile(app, path: str, headers: dict, expected: int, runs: int, top: int, sort: str) -> dict:  # noqa: ANN001, PLR0913
    client = app.test_client()

    def send() -> None:
        response = client.get(path, headers=headers)
        if response.status_code != expected:
            raise SystemExit(f"{path}: answered {response.status_code}, not {expected}")

    for _ in range(5):
        send()
    timings = []
    for _ in range(runs):
        t0 = CLOCK()
        send()
        timings.append(CLOCK() - t0)
    timings.sort()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        send()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats(sort).print_stats(top)
    return {
        "median": timings[len(timings) // 2] * 1000,
        "best": timings[0] * 1000,
        "p90": timings[int(len(timings) * 0.9)] * 1000,
        "queries": count_statements(app, send),
        "calls": stats.total_calls // runs,
        "top": out.getvalue(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", default=",".join(REQUESTS))
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--top", type=int, default=25, help="profile lines per request (0: none)")
    parser.add_argument("--sort", default="tottime", help="pstats order: tottime, cumulative")
    parser.add_argument("--keep", type=Path, help="build the year here once and reuse it")
    parser.add_argument("--cpu", action="store_true", help="time this process's CPU only")
    args = parser.parse_args()
    if args.cpu:
        global CLOCK  # noqa: PLW0603 (a command-line switch, read once)
        CLOCK = time.process_time
        import profile_pages

        profile_pages.CLOCK = time.process_time
    summary = []
    for backend in args.backends.split(","):
        with database(backend, args.keep) as (url, built):
            cold, cached = make_app(url, 0), make_app(url, 64)
            with cached.test_client() as client:
                etag = client.get(built.room_link).headers["ETag"]
            plan = {
                "cold": (cold, built.room_link, {}, 200),
                "304": (cached, built.room_link, {"If-None-Match": etag}, 304),
                "warm": (cached, built.room_link, {}, 200),
                "org cold": (cold, built.organisation_link, {}, 200),
            }
            for name in args.requests.split(","):
                app, path, headers, expected = plan[name]
                result = profile(app, path, headers, expected, args.runs, args.top, args.sort)
                if args.top:
                    print(f"=== {backend} {name}: {result['median']:.2f} ms")
                    print(_trim(result["top"]))
                summary.append((backend, name, result))
            for app in (cold, cached):
                with app.app_context():
                    from pole.db import db

                    db.engine.dispose()
    bare = floor(args.runs)
    print(f"bare Flask page in-process: {bare:.2f} ms")
    print(
        f"{'backend':<11} {'request':<10} {'median ms':>10} {'best ms':>8} {'p90 ms':>8}"
        f" {'queries':>8} {'calls':>7} {'× bare':>7}"
    )
    for backend, name, r in summary:
        print(
            f"{backend:<11} {name:<10} {r['median']:>10.2f} {r['best']:>8.2f} {r['p90']:>8.2f}"
            f" {r['queries']:>8} {r['calls']:>7} {r['median'] / bare:>7.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
