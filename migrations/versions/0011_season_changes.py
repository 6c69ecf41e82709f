"""season requests withdrawn, what the association asked, the manager's messages

Revision ID: 0010_h17_seasons
Revises: 0009_practical_info
Create Date: 2026-12-02 16:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_h17_seasons"
down_revision = "0009_practical_info"
branch_labels = None
depends_on = None

STATUSES = "status IN ('requested', 'accepted', 'declined', 'withdrawn')"
OLD_STATUSES = "status IN ('requested', 'accepted', 'declined')"


def upgrade():
    with op.batch_alter_table("season_request") as batch:
        batch.drop_constraint(op.f("ck_season_request_status"), type_="check")
        batch.create_check_constraint("status", STATUSES)
        batch.add_column(sa.Column("asked", sa.JSON(), nullable=True))
    op.create_table(
        "season_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("season_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("resource_id", sa.Integer(), nullable=True),
        sa.Column("organisation_ids", sa.JSON(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user.id"],
            name=op.f("fk_season_message_author_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resource.id"],
            name=op.f("fk_season_message_resource_id_resource"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["season_id"],
            ["season.id"],
            name=op.f("fk_season_message_season_id_season"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_season_message")),
    )
    with op.batch_alter_table("season_message") as batch:
        batch.create_index(batch.f("ix_season_message_season_id"), ["season_id"], unique=False)


def downgrade():
    with op.batch_alter_table("season_message") as batch:
        batch.drop_index(batch.f("ix_season_message_season_id"))
    op.drop_table("season_message")
    op.execute("UPDATE season_request SET status = 'declined' WHERE status = 'withdrawn'")
    with op.batch_alter_table("season_request") as batch:
        batch.drop_column("asked")
        batch.drop_constraint(op.f("ck_season_request_status"), type_="check")
        batch.create_check_constraint("status", OLD_STATUSES)
