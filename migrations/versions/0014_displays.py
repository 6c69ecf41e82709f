"""door displays: a secret, revocable link per room for a tablet at its door

Revision ID: 0010_h21_displays
Revises: 0010_h22_reports
Create Date: 2026-12-02 16:10:00
"""

import sqlalchemy as sa
from alembic import op



revision = "0010_h21_displays"
down_revision = "0010_h22_reports"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "display_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("selector", sa.String(length=24), nullable=False),
        sa.Column("verifier_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_display_link_created_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resource.id"],
            name=op.f("fk_display_link_resource_id_resource"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_display_link")),
        sa.UniqueConstraint("selector", name=op.f("uq_display_link_selector")),
    )
    with op.batch_alter_table("display_link") as batch:
        batch.create_index(batch.f("ix_display_link_resource_id"), ["resource_id"], unique=False)


def downgrade():
    with op.batch_alter_table("display_link") as batch:
        batch.drop_index(batch.f("ix_display_link_resource_id"))
    op.drop_table("display_link")
