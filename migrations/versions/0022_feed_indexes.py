"""personal feeds and each site's public agenda read on index ranges, not the whole table

Revision ID: 0022_feed_indexes
Revises: 0021_h38_outbox_facts
Create Date: 2026-12-03 08:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_feed_indexes"
down_revision = "0021_h38_outbox_facts"
branch_labels = None
depends_on = None

# Written out, not imported: a migration says what the schema was at its revision.
BY_PERSON = {
    "ix_booking_created_by_start": ["created_by_id", "start"],
    "ix_booking_created_by_updated_at": ["created_by_id", "updated_at"],
}
PUBLIC = {"ix_booking_public_start": "start", "ix_booking_public_updated_at": "updated_at"}


def upgrade():
    for name, columns in BY_PERSON.items():
        op.create_index(name, "booking", columns)
    for name, column in PUBLIC.items():
        op.create_index(
            name,
            "booking",
            [column],
            postgresql_where=sa.text("is_public IS true"),
            sqlite_where=sa.text("is_public IS 1"),
        )


def downgrade():
    for name in [*PUBLIC, *BY_PERSON]:
        op.drop_index(name, table_name="booking")
