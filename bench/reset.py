"""Does a password-reset request take the same time for an address with an account and one
without? The known address queues a mail (one insert, in the request's transaction); the
unknown one writes nothing. SMTP never runs in the request.

The demo building on a scratch database per backend, served in-process by the Flask test
client; known and unknown addresses alternate request by request so that the machine's
load falls on both alike. Prints the median and p95 of each and their difference.

    .venv/bin/python bench/reset.py [--requests 400] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import each_backend, machine  # noqa: E402

KNOWN = "benevole@demo.les4epis.fr"
UNKNOWN = "personne.inconnue@exemple.fr"


def build(url: str):  # noqa: ANN201
    from pole import create_app

    return create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "MAIL_SERVER": "",
            "WTF_CSRF_ENABLED": False,  # the token's check costs both the same
            "POLE_MAIL_KICK": False,  # measure the request, not the sending thread beside it
        }
    )


def measure(app, requests: int) -> dict[str, list[float]]:  # noqa: ANN001
    client = app.test_client()
    spent: dict[str, list[float]] = {KNOWN: [], UNKNOWN: []}
    for i in range(requests * 2 + 40):
        email = KNOWN if i % 2 else UNKNOWN
        start = time.perf_counter()
        response = client.post("/mot-de-passe-oublie", data={"email": email})
        elapsed = time.perf_counter() - start
        assert response.status_code == 302, response.status_code
        if i >= 40:  # the first ones warm the pool, caches and templates up
            spent[email].append(elapsed)
    return spent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    print(machine())
    for backend, url in each_backend(args.backends):
        app = build(url)
        with app.app_context():
            from flask_migrate import upgrade

            from pole import demo
            from pole.db import db

            upgrade()
            demo.load("bench-password")
            spent = measure(app, args.requests)
            db.engine.dispose()
        medians = {}
        for email, times in spent.items():
            ms = sorted(s * 1000 for s in times)
            medians[email] = statistics.median(ms)
            label = "known" if email == KNOWN else "unknown"
            print(
                f"{backend:10} {label:8} {len(ms)} requests  "
                f"median {medians[email]:.3f} ms  p95 {ms[int(len(ms) * 0.95)]:.3f} ms"
            )
        gap = (medians[KNOWN] - medians[UNKNOWN]) * 1000
        print(f"{backend:10} known - unknown: {gap:.0f} µs")


if __name__ == "__main__":
    main()
