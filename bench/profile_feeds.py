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

import contextlib
import pickle
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path[:0] = [str(ROOT), str(BENCH)]

import feeds  # noqa: E402  (bench/feeds.py: the data build and its links)
import profiling  # noqa: E402
from common import scratch_database  # noqa: E402

REQUESTS = ("cold", "304", "warm", "org cold")
SECRET = "profile-feeds"


def make_app(url: str, cache_size: int):  # noqa: ANN201
    return profiling.bench_app(
        url,
        SECRET,
        # A limit no request reaches: each one still takes its link's bucket (a row).
        POLE_FEED_RATE_LIMIT="100000000/600",
        POLE_FEED_CACHE_SIZE=cache_size,
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
    built_path = keep / f"built-{backend}.pickle"
    url = profiling.kept_url(backend, keep, "pole_profile_feeds_kept", built_path)
    if not built_path.exists():
        built_path.write_bytes(pickle.dumps(feeds.build(url, SECRET)))
    yield url, pickle.loads(built_path.read_bytes())  # noqa: S301 (our own file)


def profile(app, path: str, headers: dict, expected: int, runs: int, top: int, sort: str) -> dict:  # noqa: ANN001, PLR0913
    client = app.test_client()

    def send(_i: int) -> None:
        response = client.get(path, headers=headers)
        if response.status_code != expected:
            raise SystemExit(f"{path}: answered {response.status_code}, not {expected}")

    return profiling.measure(app, send, runs, top, sort)


def main() -> int:
    args = profiling.arguments(__doc__, "requests", REQUESTS)
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
                profiling.note(summary, backend, name, result, args.top)
            for app in (cold, cached):
                with app.app_context():
                    from pole.db import db

                    db.engine.dispose()
    profiling.print_summary(summary, "request", args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
