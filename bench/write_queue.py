"""Ten threads writing at once on SQLite: the write queue against the busy handler's polling.

    .venv/bin/python bench/write_queue.py [rounds]

Each thread runs 30 read-then-write transactions (BEGIN IMMEDIATE, ~3 ms of work inside,
10 ms between two) on a scratch file. The same work runs on two engines configured by
pole.db.configure_sqlite, one with the write queue (pole/core/write_queue.py) and one
without it, alternated in one run so that both see the same machine. Prints the time per
transaction, lock wait included: median, p95, p99, max.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from unittest import mock

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pole.db  # noqa: E402, F401

pdb = sys.modules["pole.db"]  # the package exports the SQLAlchemy object under the same name


def engine_for(path: str, queued: bool) -> sa.Engine:
    engine = sa.create_engine(f"sqlite:///{path}")
    if queued:
        pdb.configure_sqlite(engine)
    else:
        with mock.patch.object(pdb, "_write_queue", lambda _engine: None):
            pdb.configure_sqlite(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        conn.execute(sa.text("INSERT INTO counter VALUES (0)"))
    return engine


def run(engine: sa.Engine, threads: int = 10, each: int = 30, work: float = 0.003) -> list[float]:
    times: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads)

    def writer() -> None:
        token = pdb.set_write_intent(True)
        barrier.wait()
        mine = []
        for _ in range(each):
            started = time.perf_counter()
            with engine.begin() as conn:
                n = conn.execute(sa.text("SELECT n FROM counter")).scalar_one()
                time.sleep(work)  # the request's own work inside its transaction
                conn.execute(sa.text("UPDATE counter SET n = :n"), {"n": n + 1})
            mine.append(time.perf_counter() - started)
            time.sleep(0.01)  # until the next click
        pdb.reset_write_intent(token)
        with lock:
            times.extend(mine)

    workers = [threading.Thread(target=writer) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT n FROM counter")).scalar_one() % (threads * each) == 0
    return sorted(times)


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    folder = tempfile.mkdtemp(prefix="pole-bench-queue-")
    engines = {
        "polling": engine_for(f"{folder}/polling.db", queued=False),
        "queued": engine_for(f"{folder}/queued.db", queued=True),
    }
    for round_ in range(rounds):
        for name, engine in engines.items():
            times = run(engine)

            def ms(q: float, times: list[float] = times) -> float:
                return times[int(q * (len(times) - 1))] * 1000

            print(
                f"round {round_} {name:8s} median {statistics.median(times) * 1000:6.1f} ms  "
                f"p95 {ms(0.95):6.1f}  p99 {ms(0.99):6.1f}  max {times[-1] * 1000:6.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
