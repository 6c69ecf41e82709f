"""a resource's bookings read by start with the end of their occupation in the index

Revision ID: 0023_occupation_index
Revises: 0022_feed_indexes
Create Date: 2026-12-04 18:00:00
"""

from alembic import op

revision = "0023_occupation_index"
down_revision = "0022_feed_indexes"
branch_labels = None
depends_on = None


def upgrade():
    # Every grid, the checks of a booking and its suggestions ask for a resource's bookings
    # that occupy part of a window: starts in a range that reaches back LONGEST_OCCUPATION
    # (a month), each kept only if its occupation ends after the window begins. With the end
    # in the index, that test is made on the index entries, not on a month of fetched rows.
    op.create_index(
        "ix_booking_resource_start_until", "booking", ["resource_id", "start", "occupied_until"]
    )
    op.drop_index("ix_booking_resource_start", table_name="booking")


def downgrade():
    op.create_index("ix_booking_resource_start", "booking", ["resource_id", "start"])
    op.drop_index("ix_booking_resource_start_until", table_name="booking")
