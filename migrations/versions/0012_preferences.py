"""each person's choice of mail per kind, the daily digest's items, the daily mails sent,
and the outbox's unsubscribe link

Revision ID: 0010_h18_preferences
Revises: 0010_h17_seasons
Create Date: 2026-12-02 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_h18_preferences"
down_revision = "0010_h17_seasons"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notification_choice",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("choice", sa.String(length=10), nullable=False),
        sa.CheckConstraint(
            "choice IN ('each', 'digest', 'never')", name=op.f("ck_notification_choice_choice")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_notification_choice_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "kind", name=op.f("pk_notification_choice")),
    )
    op.create_table(
        "digest_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_digest_item_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_item")),
    )
    op.create_index("ix_digest_item_user_id", "digest_item", ["user_id", "id"], unique=False)
    op.create_table(
        "daily_mail",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "purpose IN ('digest', 'reminder')", name=op.f("ck_daily_mail_purpose")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_daily_mail_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "day", "purpose", name=op.f("pk_daily_mail")),
    )
    with op.batch_alter_table("outgoing_mail") as batch:
        batch.add_column(sa.Column("unsubscribe_url", sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table("outgoing_mail") as batch:
        batch.drop_column("unsubscribe_url")
    op.drop_table("daily_mail")
    op.drop_index("ix_digest_item_user_id", table_name="digest_item")
    op.drop_table("digest_item")
    op.drop_table("notification_choice")
