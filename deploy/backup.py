"""Back up Pôle's PostgreSQL database, and prove a backup restores.

    python deploy/backup.py dump --to /var/backups/pole [--keep 14]
    python deploy/backup.py check [--dump FILE | --from /var/backups/pole] [--compare]

`dump` writes `pole-YYYYmmdd-HHMMSS.dump` (pg_dump's custom format: compressed, restorable
table by table) and deletes all but the newest `--keep`. `check` restores a dump (the newest
in `--from` by default) into a scratch database on the same server, checks that it holds the
schema at the source's migration and reads every table, prints each table's rows, then drops
the scratch database; with `--compare` each table must hold as many rows as the source (for
a source that did not change since the dump). Both read DATABASE_URL, as the app does; the
role needs CREATEDB for `check`. Exit status 0 only when all went well.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import sqlalchemy as sa
from psycopg import sql

PREFIX, SUFFIX = "pole-", ".dump"


def libpq_url(url: str, database: str | None = None) -> str:
    """DATABASE_URL as pg_dump and psycopg take it (no "+psycopg"), on another database maybe."""
    parsed = sa.engine.make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def dump(url: str, folder: Path, keep: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{PREFIX}{time.strftime('%Y%m%d-%H%M%S')}{SUFFIX}"
    partial = target.with_suffix(".partial")
    command = ["pg_dump", "--format=custom", "--no-owner", f"--file={partial}", libpq_url(url)]
    subprocess.run(command, check=True)  # noqa: S603, S607  (pg_dump from PATH, our arguments)
    partial.rename(target)  # a dump is either whole or absent
    for old in sorted(folder.glob(f"{PREFIX}*{SUFFIX}"))[:-keep]:
        old.unlink()
    return target


def counts(url: str) -> tuple[str | None, dict[str, int]]:
    """The migration the database is at, and the rows of each of its tables."""
    with psycopg.connect(url) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        count = sql.SQL("SELECT count(*) FROM {}")
        rows = {t: conn.execute(count.format(sql.Identifier(t))).fetchone()[0] for t in tables}
        version = None
        if "alembic_version" in tables:
            version = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    return version, rows


def check(url: str, dump_file: Path, compare: bool) -> bool:
    # Named after its source, so that checks of several databases on one server (or of
    # several test runs) tell their scratch copies apart.
    source_name = sa.engine.make_url(url).database or "pole"
    scratch = f"{source_name[:40]}_restore_check_{secrets.token_hex(4)}"
    admin = libpq_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{scratch}"')
    try:
        target = libpq_url(url, scratch)
        command = ["pg_restore", "--no-owner", "--exit-on-error", "-d", target, str(dump_file)]
        subprocess.run(command, check=True)  # noqa: S603, S607  (pg_restore from PATH)
        version, restored = counts(libpq_url(url, scratch))
        source_version, source = counts(admin)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
    for table, rows in restored.items():
        print(f"{table}: {rows} rows")
    problems = []
    if version is None or version != source_version:
        problems.append(f"migration {version!r} restored, the source is at {source_version!r}")
    if set(restored) != set(source):
        problems.append(f"tables differ: {sorted(set(source) ^ set(restored))}")
    if compare:
        problems += [
            f"{t}: {restored.get(t)} rows restored, {n} in the source"
            for t, n in source.items()
            if restored.get(t) != n
        ]
    for problem in problems:
        print(f"restore check FAILED: {problem}", file=sys.stderr)
    if not problems:
        print(f"restore check ok: {dump_file.name} restores at migration {version}")
    return not problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    commands = parser.add_subparsers(dest="command", required=True)
    take = commands.add_parser("dump", help="write a dump, keep the newest ones")
    take.add_argument("--to", type=Path, required=True)
    take.add_argument("--keep", type=int, default=14)
    verify = commands.add_parser("check", help="restore a dump into a scratch database")
    verify.add_argument("--dump", type=Path)
    verify.add_argument("--from", dest="folder", type=Path)
    verify.add_argument("--compare", action="store_true", help="same rows as the source")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url.startswith(("postgres://", "postgresql")):
        parser.error("DATABASE_URL must name the PostgreSQL database")
    url = url.replace("postgres://", "postgresql://", 1)
    if args.command == "dump":
        print(dump(url, args.to, args.keep))
        return 0
    dump_file = args.dump
    if dump_file is None:
        if args.folder is None:
            parser.error("give --dump FILE or --from FOLDER")
        dumps = sorted(args.folder.glob(f"{PREFIX}*{SUFFIX}"))
        if not dumps:
            parser.error(f"no dump in {args.folder}")
        dump_file = dumps[-1]
    return 0 if check(url, dump_file, args.compare) else 1


if __name__ == "__main__":
    sys.exit(main())
