"""each person may hide a notice of the board from her home page

Revision ID: 0017_h28_notice_dismissals
Revises: 0010_h20_feeds
Create Date: 2026-12-02 20:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_h28_notice_dismissals"
down_revision = "0010_h20_feeds"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "board_notice_dismissal",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_board_notice_dismissal_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["board_notice.id"],
            name=op.f("fk_board_notice_dismissal_notice_id_board_notice"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "notice_id", name=op.f("pk_board_notice_dismissal")),
    )  # fmt: skip


def downgrade():
    op.drop_table("board_notice_dismissal")
