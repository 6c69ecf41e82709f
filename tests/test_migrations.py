"""The migration history builds exactly the schema the models describe, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from pole.db import db
from tests.factories import make_booking, make_organisation, make_resource

EXCLUSION = "ex_booking_no_overlap"
MONDAY_10H = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def schema_differences() -> list:
    """What `flask db migrate` would write if it ran now: nothing, when models and history agree."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    # The PostgreSQL-only exclusion constraint is written by hand in the migration; alembic
    # neither reflects nor compares it (it is checked on its own below).
    return [d for d in differences if EXCLUSION not in repr(d)]


def tables() -> set[str]:
    with db.engine.connect() as connection:
        return set(sa.inspect(connection).get_table_names())


def has_exclusion_constraint() -> bool:
    with db.engine.connect() as connection:
        return bool(
            connection.execute(
                sa.text("SELECT 1 FROM pg_constraint WHERE conname = :name AND contype = 'x'"),
                {"name": EXCLUSION},
            ).scalar()
        )


def test_the_migrated_database_matches_the_models(app):
    assert schema_differences() == []


def test_the_history_goes_down_to_nothing_and_up_again(scratch_app, backend):
    runner = scratch_app.test_cli_runner()
    with scratch_app.app_context():
        for command in (["upgrade"], ["downgrade", "base"]):
            result = runner.invoke(args=["db", *command])
            assert result.exit_code == 0, result.output
        assert tables() == {"alembic_version"}

        result = runner.invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        assert tables() == {"alembic_version"} | set(db.metadata.tables)
        assert schema_differences() == []
        if backend == "postgresql":
            assert has_exclusion_constraint()


@pytest.mark.parametrize("backend", ["postgresql"])  # the constraint is PostgreSQL's own
def test_postgresql_refuses_two_overlapping_room_bookings(app):
    assert has_exclusion_constraint()
    room = make_resource(buffer_minutes=30)
    restos, secours = make_organisation(), make_organisation()
    make_booking(room, restos, MONDAY_10H, hours=2)

    # 12:00-13:00 touches the booking but not its 30 minutes of cleaning: refused.
    with pytest.raises(sa.exc.IntegrityError, match=EXCLUSION):
        make_booking(room, secours, MONDAY_10H + timedelta(hours=2))
    db.session.rollback()

    # After the cleaning time, or once the first booking is cancelled, the room is free.
    make_booking(room, secours, MONDAY_10H + timedelta(hours=2, minutes=30))
    make_booking(room, secours, MONDAY_10H, hours=1, status="cancelled")
