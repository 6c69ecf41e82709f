"""a booking lasts at most 31 days (CHECK); the feeds' version query bounded by updated_at

Revision ID: 0020_h37_booking_length
Revises: 0017_h29_feed_state
Create Date: 2026-12-03 06:30:00
"""

from alembic import op

revision = "0020_h37_booking_length"
down_revision = "0017_h29_feed_state"
branch_labels = None
depends_on = None

# Written out, not imported: a migration says what the schema was at its revision.
LENGTH = {
    "postgresql": "\"end\" - start <= interval '31 days'",
    # SQLite keeps times as text; their difference is counted in whole milliseconds.
    "sqlite": 'round((julianday("end") - julianday(start)) * 86400000) <= 2678400000',
}
INDEXES = {
    "ix_booking_resource_updated_at": ["resource_id", "updated_at"],
    "ix_booking_organisation_updated_at": ["organisation_id", "updated_at"],
}


def _sqlite_rebuild(change) -> None:  # noqa: ANN001
    """SQLite adds or drops a CHECK only by rebuilding the table, and dropping the old booking
    table runs the ON DELETE SET NULL of event.booking_id (foreign keys are on, and cannot be
    turned off inside the migration's transaction): keep those links and put them back."""
    op.execute(
        "CREATE TEMPORARY TABLE h37_event_booking AS "
        "SELECT id, booking_id FROM event WHERE booking_id IS NOT NULL"
    )
    with op.batch_alter_table("booking", recreate="always") as batch:
        change(batch)
    op.execute(
        "UPDATE event SET booking_id = "
        "(SELECT kept.booking_id FROM h37_event_booking AS kept WHERE kept.id = event.id) "
        "WHERE id IN (SELECT id FROM h37_event_booking)"
    )
    op.execute("DROP TABLE h37_event_booking")


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_rebuild(
            lambda batch: batch.create_check_constraint(op.f("ck_booking_length"), LENGTH[dialect])
        )
    else:
        op.create_check_constraint(op.f("ck_booking_length"), "booking", LENGTH[dialect])
    for name, columns in INDEXES.items():
        op.create_index(name, "booking", columns)


def downgrade():
    for name in INDEXES:
        op.drop_index(name, table_name="booking")
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_rebuild(
            lambda batch: batch.drop_constraint(op.f("ck_booking_length"), type_="check")
        )
    else:
        op.drop_constraint(op.f("ck_booking_length"), "booking", type_="check")
