"""What the in-process profilers share (profile_pages.py, profile_feeds.py): the bench app, a
database kept between runs, one request timed and profiled, the bare floor, the summary."""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from common import POSTGRES_URL, ROOT, count_statements

_clock = time.perf_counter


def use_cpu_clock() -> None:
    """Time this process's CPU only (--cpu: steadier on a busy machine; the database's own
    work, PostgreSQL's, is then not counted)."""
    global _clock  # noqa: PLW0603 (a command-line switch, read once)
    _clock = time.process_time


def arguments(doc: str, option: str, choices: tuple[str, ...]) -> argparse.Namespace:
    """The profilers' command line: `--<option>` (what to profile, among `choices`),
    --backends, --runs, --top, --sort, --keep and --cpu (which takes effect here)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument(f"--{option}", default=",".join(choices))
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--top", type=int, default=25, help="profile lines each (0: none)")
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
        use_cpu_clock()
    return args


def bench_app(url: str, secret: str, **config: object):  # noqa: ANN201
    """The app as the benches run it: not in testing mode, its mails left waiting (a
    sending thread beside a build locks SQLite)."""
    from pole import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": secret,
            "MAIL_SERVER": "",
            "TESTING": False,
            "POLE_MAIL_KICK": False,
            **config,
        }
    )


def kept_url(backend: str, keep: Path, name: str, built: Path) -> str:
    """The URL of a database kept in `keep` (SQLite: its pole.db; PostgreSQL: the database
    `name` and the folder's name, made afresh while `built`, the file the build leaves, does
    not exist): two kept folders never share, nor drop, one PostgreSQL database."""
    keep.mkdir(parents=True, exist_ok=True)
    if backend == "sqlite":
        return f"sqlite:///{keep / 'pole.db'}"
    name = re.sub(r"[^a-z0-9]+", "_", f"{name}_{keep.resolve().name}".lower())[:63]
    base = sa.engine.make_url(POSTGRES_URL)
    url = base.set(drivername="postgresql+psycopg", database=name)
    if not built.exists():
        import psycopg

        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
    return url.render_as_string(hide_password=False)


def measure(  # noqa: PLR0913
    app,
    send: Callable[[int], None],
    runs: int,
    top: int,
    sort: str,
    warm_up: int = 5,  # noqa: ANN001
) -> dict:
    """`send(i)` sent `warm_up` times, then timed `runs` times (median, best, p90 in ms), its
    statements, its Python calls per request and the `top` lines of a cProfile of `runs` more
    (by `sort`)."""
    for i in range(warm_up):
        send(i)
    timings = []
    for i in range(runs):
        t0 = _clock()
        send(i)
        timings.append(_clock() - t0)
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
        t0 = _clock()
        client.get("/")
        timings.append(_clock() - t0)
    timings.sort()
    return timings[len(timings) // 2] * 1000


def note(summary: list, backend: str, name: str, result: dict, top: int) -> None:
    """Add a result to the summary, and print its profile's top lines if asked (`top`)."""
    if top:
        print(f"=== {backend} {name}: {result['median']:.2f} ms")
        print(trim(result["top"]))
    summary.append((backend, name, result))


def print_summary(summary: list[tuple[str, str, dict]], what: str, runs: int) -> None:
    """One line per (backend, request): its times, statements, calls and ratio to the floor."""
    bare = floor(runs)
    print(f"bare Flask page in-process: {bare:.2f} ms")
    print(
        f"{'backend':<11} {what:<12} {'median ms':>10} {'best ms':>8} {'p90 ms':>8}"
        f" {'queries':>8} {'calls':>7} {'× bare':>7}"
    )
    for backend, name, r in summary:
        print(
            f"{backend:<11} {name:<12} {r['median']:>10.2f} {r['best']:>8.2f} {r['p90']:>8.2f}"
            f" {r['queries']:>8} {r['calls']:>7} {r['median'] / bare:>7.1f}"
        )


def trim(text: str) -> str:
    """A pstats listing from its header line, with paths shortened."""
    lines = [line for line in text.splitlines() if line.strip()]
    keep = [i for i, line in enumerate(lines) if "ncalls" in line]
    text = "\n".join(lines[keep[0] :] if keep else lines)
    return text.replace(str(ROOT) + "/", "").replace(sys.prefix + "/", "")
