"""the record of what happened: events, and when each person last saw their notices

Revision ID: 0006_events
Revises: 0006_outbox
Create Date: 2026-12-02 11:00:00
"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = "0006_events"
down_revision = "0006_outbox"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("resource_id", sa.Integer(), nullable=True),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("subject_type", sa.String(length=20), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["user.id"], name=op.f("fk_event_actor_id_user"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["booking_id"], ["booking.id"], name=op.f("fk_event_booking_id_booking"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"], name=op.f("fk_event_organisation_id_organisation"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["resource_id"], ["resource.id"], name=op.f("fk_event_resource_id_resource"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event")),
    )
    op.create_index("ix_event_at", "event", ["at"])
    op.create_index("ix_event_organisation_at", "event", ["organisation_id", "at"])
    op.create_index("ix_event_resource_at", "event", ["resource_id", "at"])
    op.create_index("ix_event_actor_at", "event", ["actor_id", "at"])
    op.create_index("ix_event_booking_at", "event", ["booking_id", "at"])
    op.create_index("ix_event_subject", "event", ["subject_type", "subject_id"])
    op.create_table(
        "notices_seen",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_notices_seen_user_id_user"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notices_seen")),
    )


def downgrade():
    op.drop_table("notices_seen")
    op.drop_table("event")
