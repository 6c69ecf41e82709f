"""deploy/backup.py: a dump of the PostgreSQL database restores, with every row.

The test's own PostgreSQL database (emptied, then a small building booked in it) is dumped
with pg_dump, restored by `check` into a scratch database on the same server, compared table
by table, and the scratch database dropped. Skipped without PostgreSQL (failed in CI).
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from pole.db import db, utcnow
from tests.factories import make_booking, make_organisation, make_resource, make_user

pytestmark = pytest.mark.parametrize("backend", ["postgresql"])

ROOT = Path(__file__).resolve().parents[1]


def backup(app, *arguments: str) -> subprocess.CompletedProcess:  # noqa: ANN001
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"]}
    return subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "backup.py"), *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def scratch_databases() -> set[str]:
    """The scratch copies of this test's database (other runs on the server have their own)."""
    url = sa.engine.make_url(db.engine.url).set(drivername="postgresql")
    ours = f"{url.database[:40]}_restore_check_"
    with psycopg.connect(url.render_as_string(hide_password=False)) as conn:
        names = conn.execute("SELECT datname FROM pg_database")
        return {row[0] for row in names if row[0].startswith(ours)}


@pytest.fixture()
def booked(app):  # noqa: ANN001
    restos = make_organisation(name="Restos du cœur")
    make_user(restos, role="coordinator")
    hall = make_resource(name="Hall d'accueil")
    start = utcnow().replace(microsecond=0) + timedelta(days=2)
    for n in range(12):
        make_booking(hall, restos, start + timedelta(days=n), title=f"Distribution {n}")
    db.session.commit()


def test_a_dump_restores_every_row_at_the_same_migration(app, booked, tmp_path):
    dumped = backup(app, "dump", "--to", str(tmp_path), "--keep", "2")
    assert dumped.returncode == 0, dumped.stderr
    (dump,) = tmp_path.glob("pole-*.dump")
    checked = backup(app, "check", "--from", str(tmp_path), "--compare")
    assert checked.returncode == 0, checked.stderr
    assert "booking: 12 rows" in checked.stdout
    assert "resource: 1 rows" in checked.stdout
    assert f"restore check ok: {dump.name}" in checked.stdout
    assert scratch_databases() == set()  # the scratch copy is dropped


def test_a_damaged_dump_fails_the_check(app, booked, tmp_path):
    assert backup(app, "dump", "--to", str(tmp_path)).returncode == 0
    (dump,) = tmp_path.glob("pole-*.dump")
    dump.write_bytes(dump.read_bytes()[: dump.stat().st_size // 2])
    checked = backup(app, "check", "--dump", str(dump))
    assert checked.returncode != 0
    assert "restore check ok" not in checked.stdout
    assert scratch_databases() == set()


def test_rows_written_after_the_dump_are_told_apart(app, booked, tmp_path):
    assert backup(app, "dump", "--to", str(tmp_path)).returncode == 0
    make_organisation(name="Secours populaire")
    checked = backup(app, "check", "--from", str(tmp_path), "--compare")
    assert checked.returncode == 1
    assert "organisation: 1 rows restored, 2 in the source" in checked.stderr


def test_only_the_newest_dumps_are_kept(app, tmp_path):
    for name in ("pole-20260101-000000.dump", "pole-20260102-000000.dump"):
        (tmp_path / name).write_bytes(b"old")
    assert backup(app, "dump", "--to", str(tmp_path), "--keep", "2").returncode == 0
    kept = sorted(p.name for p in tmp_path.glob("pole-*.dump"))
    assert len(kept) == 2 and kept[0] == "pole-20260102-000000.dump"
