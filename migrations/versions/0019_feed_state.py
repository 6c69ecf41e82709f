"""feeds' shared state: each link's rate-limit bucket, and the generation built feeds are keyed by

Revision ID: 0017_h29_feed_state
Revises: 0010_h20_feeds
Create Date: 2026-12-02 20:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_h29_feed_state"
down_revision = "0017_h30_sites"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "feed_rate_bucket",
        sa.Column("selector", sa.String(length=24), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("selector", name=op.f("pk_feed_rate_bucket")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Every feed request writes its bucket. Unlogged, the row writes no WAL, so its commit
        # waits for no disk flush; a crash empties the table, which only refills the buckets.
        op.execute("ALTER TABLE feed_rate_bucket SET UNLOGGED")
    op.create_table(
        "feed_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_generation")),
    )


def downgrade():
    op.drop_table("feed_generation")
    op.drop_table("feed_rate_bucket")
