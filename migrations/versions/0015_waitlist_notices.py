"""the waiting list (wishes to be told when a taken time frees up), the noticeboard; the one-off
permanence notice gives way to the notices made from events

Revision ID: 0010_h19_waitlist
Revises: 0010_h21_displays
Create Date: 2026-12-02 16:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_h19_waitlist"
down_revision = "0010_h21_displays"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "waitlist_wish",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("told_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer_by", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=10), nullable=True),
        sa.CheckConstraint(
            "end_reason IS NULL OR end_reason IN ('booked', 'withdrawn', 'passed', 'lapsed')",
            name=op.f("ck_waitlist_wish_end_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_waitlist_wish_user_id_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_waitlist_wish_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resource.id"],
            name=op.f("fk_waitlist_wish_resource_id_resource"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_wish")),
    )
    op.create_index("ix_waitlist_wish_user_id", "waitlist_wish", ["user_id"])
    op.create_index(
        "ix_waitlist_wish_resource_open", "waitlist_wish", ["resource_id", "ended_at", "start"]
    )
    op.create_index("ix_waitlist_wish_answer_by", "waitlist_wish", ["ended_at", "answer_by"])
    op.create_table(
        "board_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("to_all", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user.id"], name=op.f("fk_board_notice_author_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_notice")),
    )
    op.create_index("ix_board_notice_until", "board_notice", ["withdrawn_at", "until"])
    op.create_table(
        "board_notice_audience",
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["board_notice.id"],
            name=op.f("fk_board_notice_audience_notice_id_board_notice"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisation.id"],
            name=op.f("fk_board_notice_audience_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "notice_id", "organisation_id", name=op.f("pk_board_notice_audience")
        ),
    )
    # The home page's notices come from the events now: the old notices go with their table.
    with op.batch_alter_table("permanence_notice") as batch:
        batch.drop_index("ix_permanence_notice_organisation_id")
    op.drop_table("permanence_notice")


def downgrade():
    op.create_table(
        "permanence_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("permanence_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("message", sa.String(length=400), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_permanence_notice_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["permanence_id"],
            ["permanence.id"],
            name=op.f("fk_permanence_notice_permanence_id_permanence"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permanence_notice")),
    )
    op.create_index(
        "ix_permanence_notice_organisation_id", "permanence_notice", ["organisation_id"]
    )
    op.drop_table("board_notice_audience")
    op.drop_table("board_notice")
    op.drop_table("waitlist_wish")
