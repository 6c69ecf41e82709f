"""The sites migration on a building in use: the bench's year of the 4 Épis, migrated from the
previous head, keeps every row as it was, and all of it belongs to the first site."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory

from bench import data as bench_data
from pole.db import db
from pole.resources.models import Closure, Resource, Site
from pole.seasons.models import Season
from pole.sites import services as sites

REVISION = "0017_h30_sites"
NEW_TABLES = {"user_site", "organisation_site"}
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def previous_head() -> str:
    """The revision the sites migration follows, wherever the history puts it."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_revision(REVISION).down_revision


def every_row() -> dict[str, list[tuple]]:
    """Every row of every table the database has, in a stable order."""
    with db.engine.connect() as connection:
        inspector = sa.inspect(connection)
        rows = {}
        for name in inspector.get_table_names():
            if name == "alembic_version":
                continue
            columns = [c["name"] for c in inspector.get_columns(name)]
            table = sa.table(name, *(sa.column(c) for c in columns))
            found = connection.execute(sa.select(table)).all()
            rows[name] = sorted((tuple(zip(columns, row, strict=True)) for row in found), key=repr)
        return rows


def run(app, *args: str) -> None:  # noqa: ANN001
    result = app.test_cli_runner().invoke(args=["db", *args])
    assert result.exit_code == 0, result.output


def test_the_bench_year_migrates_into_the_first_site_untouched(scratch_app):
    app = scratch_app
    with app.app_context():
        run(app, "upgrade")
        # The bench's year, laid out around a fixed day so that any clock gives the same data.
        facts = bench_data.build(app, one_offs=400, today=date(2027, 3, 15))
        assert facts.bookings > 400
        run(app, "downgrade", previous_head())
        db.session.remove()
        before = every_row()
        assert not NEW_TABLES & set(before)

        run(app, "upgrade", REVISION)  # later migrations add tables of their own
        db.session.remove()
        after = every_row()

        # Every row of every table that existed is unchanged; people have no chosen site yet.
        assert set(after) == set(before) | NEW_TABLES
        for table, rows in before.items():
            if table == "user":
                rows_after = [tuple(c for c in row if c[0] != "site_id") for row in after[table]]
                assert rows_after == rows
                assert {dict(row)["site_id"] for row in after[table]} == {None}
            else:
                assert after[table] == rows, table
        # Nobody is limited to some sites, and no organisation is: everyone keeps everything.
        assert after["user_site"] == [] and after["organisation_site"] == []

        first = db.session.scalar(sa.select(Site).order_by(Site.id).limit(1))
        assert db.session.scalar(sa.select(sa.func.count(Site.id))) == 1
        for model in (Resource, Closure, Season):
            assert set(db.session.scalars(sa.select(model.site_id))) <= {first.id}, model
        assert db.session.scalar(sa.select(sa.func.count(Resource.id))) > 0
        assert sites.current_site().id == first.id
        db.session.remove()
        db.engine.dispose()
