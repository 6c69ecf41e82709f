"""resource values (in-kind value), anonymous counts of purged appointments, public page

Revision ID: 0010_h22_reports
Revises: 0010_h18_preferences
Create Date: 2026-12-02 16:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_h22_reports"
down_revision = "0010_h18_preferences"
branch_labels = None
depends_on = None
PUBLIC_TEXTS = (
    "public_presentation",
    "public_offer",
    "public_audience",
    "public_hours",
    "public_contact",
)


def upgrade():
    op.create_table(
        "resource_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("per_hour_cents", sa.Integer(), nullable=True),
        sa.Column("per_half_day_cents", sa.Integer(), nullable=True),
        sa.Column("per_day_cents", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "per_hour_cents IS NOT NULL OR per_half_day_cents IS NOT NULL "
            "OR per_day_cents IS NOT NULL",
            name=op.f("ck_resource_value_some_price"),
        ),
        sa.CheckConstraint(
            "coalesce(per_hour_cents, 0) >= 0 AND coalesce(per_half_day_cents, 0) >= 0 "
            "AND coalesce(per_day_cents, 0) >= 0",
            name=op.f("ck_resource_value_prices_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resource.id"],
            name=op.f("fk_resource_value_resource_id_resource"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_resource_value_created_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_value")),
        sa.UniqueConstraint("resource_id", "valid_from", name="uq_resource_value_day"),
    )
    op.create_index("ix_resource_value_resource_id", "resource_value", ["resource_id"])
    op.create_table(
        "appointment_count",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("permanence_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_appointment_count_organisation_id_organisation"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_count")),
    )
    op.create_index("ix_appointment_count_month", "appointment_count", ["month"])
    with op.batch_alter_table("organisation") as batch:
        batch.add_column(
            sa.Column("public_shown", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        for name in PUBLIC_TEXTS:
            batch.add_column(sa.Column(name, sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("site") as batch:
        batch.add_column(sa.Column("directions", sa.Text(), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("site") as batch:
        batch.drop_column("directions")
    with op.batch_alter_table("organisation") as batch:
        for name in ("public_shown", *PUBLIC_TEXTS):
            batch.drop_column(name)
    op.drop_index("ix_appointment_count_month", table_name="appointment_count")
    op.drop_table("appointment_count")
    op.drop_index("ix_resource_value_resource_id", table_name="resource_value")
    op.drop_table("resource_value")
