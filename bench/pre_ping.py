"""What the pool's pre-ping costs a simple page: the home page with and without it.

Two apps on the same scratch database (the demo building), one with `pool_pre_ping`, one
without, served in-process by the Flask test client; rounds of requests alternate between
them so that the machine's load falls on both alike. Prints the median and p95 per request
and the difference of the medians, per database.

    .venv/bin/python bench/pre_ping.py [--requests 300] [--rounds 6]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine, scratch_database  # noqa: E402


def build(url: str, pre_ping: bool):  # noqa: ANN201
    from pole import create_app

    return create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": pre_ping},
            "MAIL_SERVER": "",
        }
    )


def timings(app, n: int) -> list[float]:  # noqa: ANN001
    client = app.test_client()
    spent = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get("/")
        spent.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
    return spent


def checkouts(app, n: int) -> list[float]:  # noqa: ANN001
    """Check a connection out of the pool and back, n times: the ping alone."""
    from pole.db import db

    spent = []
    with app.app_context():
        for _ in range(n):
            start = time.perf_counter()
            with db.engine.connect():
                pass
            spent.append(time.perf_counter() - start)
    return spent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as workdir:
        for backend in args.backends.split(","):
            with scratch_database(backend, Path(workdir)) as (url, _):
                with_ping, without = build(url, True), build(url, False)
                with with_ping.app_context():
                    from flask_migrate import upgrade

                    from pole import demo

                    upgrade()
                    demo.load("bench-password")
                results: dict[bool, list[float]] = {True: [], False: []}
                checked: dict[bool, list[float]] = {True: [], False: []}
                for app in (with_ping, without):
                    timings(app, 20)  # warm up: pool, caches, templates
                for _ in range(args.rounds):
                    for app, ping in ((with_ping, True), (without, False)):
                        results[ping] += timings(app, args.requests // args.rounds)
                        checked[ping] += checkouts(app, 200)
                for app in (with_ping, without):
                    with app.app_context():
                        from pole.db import db

                        db.engine.dispose()
            rows = {}
            for ping, spent in results.items():
                ms = sorted(s * 1000 for s in spent)
                rows[ping] = (statistics.median(ms), ms[int(len(ms) * 0.95)])
                label = "pre-ping" if ping else "no pre-ping"
                print(
                    f"{backend:10} {label:12} {len(ms)} requests  "
                    f"median {rows[ping][0]:.3f} ms  p95 {rows[ping][1]:.3f} ms"
                )
            print(f"{backend:10} pre-ping costs {(rows[True][0] - rows[False][0]) * 1000:.0f} µs")
            alone = {ping: statistics.median(spent) * 1e6 for ping, spent in checked.items()}
            print(
                f"{backend:10} one checkout: {alone[True]:.0f} µs with pre-ping, "
                f"{alone[False]:.0f} µs without"
            )


if __name__ == "__main__":
    main()
