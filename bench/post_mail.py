"""What the author's mail costs a booking POST, in-process: with it and without it, in turn.

    .venv/bin/python bench/post_mail.py --keep /tmp/pole-prof --runs 200 [--backends sqlite]

On the bench year (bench/profile_pages.py builds it), the demo volunteer books the next free
half-hour, POST after POST; every other POST runs with the listener that writes booking mails
left out (as bench/quiet.py serves it), so both sides share one process, one database and one
minute of the machine. Per side: the request's median, the time the write transaction held
(SQLite: from BEGIN IMMEDIATE to its COMMIT, the write lock; PostgreSQL: from the
resource's row lock), on the clock and in this thread's CPU (steadier on a busy machine), the
statements in it and the
Python calls per request. Then the sender's round for the mails the POSTs queued (where a
mail rendered at delivery now spends its time), per mail.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

import profile_pages
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent


def _watch(engine):  # noqa: ANN001, ANN202
    """Time and count what runs in the write transaction, for each request."""
    seen = {"held": 0.0, "cpu": 0.0, "statements": 0}
    state = {"since": None, "cpu": 0.0}

    def statement(_conn, _cursor, text, *_args) -> None:  # noqa: ANN001
        # SQLite: BEGIN IMMEDIATE; PostgreSQL: the resource's row lock, the service's first.
        if state["since"] is None and (text == "BEGIN IMMEDIATE" or "FOR UPDATE" in text):
            state["since"], state["cpu"] = time.perf_counter(), time.thread_time()
            if text == "BEGIN IMMEDIATE":
                return
        if state["since"] is not None and not text.startswith("BEGIN"):
            seen["statements"] += 1

    def end(_conn) -> None:  # noqa: ANN001
        if state["since"] is not None:
            seen["held"] += time.perf_counter() - state["since"]
            seen["cpu"] += time.thread_time() - state["cpu"]
            state["since"] = None

    hooks = (("before_cursor_execute", statement), ("commit", end), ("rollback", end))
    for name, hook in hooks:
        sa.event.listen(engine, name, hook)

    def stop() -> None:
        for name, hook in hooks:
            sa.event.remove(engine, name, hook)

    return seen, stop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--keep", type=Path, help="build the year here once and reuse it")
    parser.add_argument("--top", type=int, default=0, help="the mail side's top functions")
    parser.add_argument("--upgrade", action="store_true", help="migrate a kept year first")
    args = parser.parse_args()
    from pole.db import db
    from pole.events import record
    from pole.notifications import listeners
    from pole.outbox.models import OutgoingMail
    from pole.outbox.sender import deliver_due

    with_mail = list(record._listeners)
    without = [(p, f) for p, f in with_mail if f is not listeners.note]
    for backend in args.backends.split(","):
        with profile_pages.database(backend, args.keep) as (app, facts):
            if args.upgrade:
                from flask_migrate import upgrade

                with app.app_context():
                    upgrade()
            client, token = profile_pages.login(app)
            send, skip_taken = profile_pages.post_sender(client, token, facts)
            skip_taken()
            with app.app_context():
                engine = db.engine
                db.session.execute(sa.delete(OutgoingMail))
                db.session.commit()
            sides = {"mail": with_mail, "no mail": without}
            results = {s: {"times": [], "held": [], "cpu": [], "statements": 0} for s in sides}
            profilers = {side: cProfile.Profile() for side in sides}
            for i in range(args.runs * 2 + 10):
                side = "mail" if i % 2 else "no mail"
                record._listeners[:] = sides[side]
                seen, stop = _watch(engine)
                t0 = time.perf_counter()
                send(i)
                spent = time.perf_counter() - t0
                stop()
                if i >= 10:
                    result = results[side]
                    result["times"].append(spent)
                    result["held"].append(seen["held"])
                    result["cpu"].append(seen["cpu"])
                    result["statements"] = seen["statements"]
            for i in range(40):  # the calls, counted apart: cProfile slows what it watches
                side = "mail" if i % 2 else "no mail"
                record._listeners[:] = sides[side]
                profilers[side].enable()
                send(i)
                profilers[side].disable()
            record._listeners[:] = with_mail
            print(f"=== {backend}, {args.runs} POSTs a side, in turn")
            medians = {}
            for side, r in results.items():
                times, held, cpu = sorted(r["times"]), sorted(r["held"]), sorted(r["cpu"])
                calls = pstats.Stats(profilers[side]).total_calls // 20
                medians[side] = times[len(times) // 2] * 1000
                print(
                    f"{side:>8}: request median {medians[side]:.2f} ms,"
                    f" write transaction held {held[len(held) // 2] * 1000:.2f} ms"
                    f" (p90 {held[int(len(held) * 0.9)] * 1000:.2f};"
                    f" CPU {cpu[len(cpu) // 2] * 1000:.2f}),"
                    f" {r['statements']} statements in it, {calls} calls"
                )
            if args.top:
                stats = pstats.Stats(profilers["mail"]).sort_stats("cumulative")
                stats.print_stats(r"pole/(notifications|outbox|events)", args.top)
            extra = medians["mail"] / medians["no mail"] - 1
            print(f"    the mail adds {extra:+.1%} to the request")
            with app.app_context():
                queued = db.session.scalar(sa.select(sa.func.count()).select_from(OutgoingMail))
                db.session.commit()
                t0 = time.process_time()
                done = deliver_due(limit=10_000)
                spent = time.process_time() - t0
            print(
                f"   sender: {done.sent} of {queued} mails sent (to the log),"
                f" {spent / max(done.sent, 1) * 1000:.2f} ms CPU a mail"
            )
    return 0


if __name__ == "__main__":
    sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
    sys.exit(main())
