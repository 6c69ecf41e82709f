"""An aged server against a fresh one: the same app, booking POSTs sent to each in turn (A/A).

    .venv/bin/python bench/aged.py [--backends sqlite,postgresql] [--rounds 4]

Builds the bench year, serves it with gunicorn, ages that server the way `bench/run.py` does
(every row, 1 then 10 clients), then starts a second server of the same app and alternates
booking POSTs between the two (bench/load.py `alternate_rounds`, the half-hours handed out
again between rounds). Both serve the same database at the same time: what differs is only
what the first server has done before. A comparison of two servers (bench/run.py's outbox)
must start both fresh, or it measures this as well.

First run (2026-12-04, 2 CPUs): the aged server answered +9.5 % slower on SQLite (rounds +9,
+11, +9, +9) and +5.3 % on PostgreSQL (rounds +4, +5, +4, +6).
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import data  # noqa: E402
import run  # noqa: E402
from common import gunicorn, scratch_database  # noqa: E402
from load import Session, Side, alternate_rounds, measure  # noqa: E402


def compare(backend: str, args: argparse.Namespace) -> str:
    secret = secrets.token_hex(16)
    with (
        tempfile.TemporaryDirectory() as directory,
        scratch_database(backend, Path(directory)) as (url, server_url),
    ):
        workdir = Path(directory)
        app, facts, _seconds = run.build(url, secret, args.bookings)
        env = {"DATABASE_URL": server_url, "SECRET_KEY": secret, "MAIL_SERVER": ""}
        since = datetime.now(UTC)
        org_id = facts.organisations["restos"]
        with gunicorn("pole:create_app()", env, workdir / "aged.log") as aged:
            session = Session(aged)
            session.login(data.VOLUNTEER, data.PASSWORD)
            slots = run.Slots(facts.free_slots, app, since)
            for key, _label, factory, *own in run.scenarios(app, session, facts, slots):
                for clients in (1, 10):
                    slots.give_back()
                    headers = own[0] if own else session.headers()
                    measure(key, aged, factory(), clients, args.seconds, args.warmup, headers)
            with gunicorn("pole:create_app()", env, workdir / "fresh.log") as fresh:
                sides = []
                for key, port in (("fresh", fresh), ("aged", aged)):
                    posting = Session(port)
                    posting.login(data.VOLUNTEER, data.PASSWORD)
                    posts = run.BookingPosts(posting, slots, org_id)
                    sides.append(Side(key, port, posts, posting.headers()))
                first, second, ratios = alternate_rounds(
                    *sides, args.seconds, args.warmup, args.rounds, between=slots.give_back
                )
    change = second.median_ms / first.median_ms - 1
    return (
        f"{backend}: booking POST {first.median_ms:.2f} ms fresh, {second.median_ms:.2f} ms "
        f"aged ({change:+.1%}; rounds {run.rounds_label(ratios)})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--warmup", type=float, default=0.5)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--bookings", type=int, default=data.ONE_OFF_BOOKINGS)
    args = parser.parse_args()
    for backend in args.backends.split(","):
        print(compare(backend, args), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
