"""the outbox's facts: a mail written as what it must say, rendered by the sender at delivery

Revision ID: 0021_h38_outbox_facts
Revises: 0020_h37_booking_length
Create Date: 2026-12-03 06:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_h38_outbox_facts"
down_revision = "0020_h37_booking_length"
branch_labels = None
depends_on = None

CHECK = "ck_outgoing_mail_rendered_or_facts"
RENDERED_OR_FACTS = "facts IS NOT NULL OR (subject IS NOT NULL AND text_body IS NOT NULL)"


def upgrade():
    with op.batch_alter_table("outgoing_mail", schema=None) as batch_op:
        batch_op.add_column(sa.Column("facts", sa.JSON(), nullable=True))
        batch_op.alter_column("subject", existing_type=sa.String(length=300), nullable=True)
        batch_op.alter_column("text_body", existing_type=sa.Text(), nullable=True)
        batch_op.create_check_constraint(
            op.f("ck_outgoing_mail_rendered_or_facts"), RENDERED_OR_FACTS
        )


def downgrade():
    # A mail not rendered yet cannot be kept without its facts: it is rendered by no one.
    op.execute("DELETE FROM outgoing_mail WHERE text_body IS NULL OR subject IS NULL")
    with op.batch_alter_table("outgoing_mail", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(CHECK), type_="check")
        batch_op.alter_column("text_body", existing_type=sa.Text(), nullable=False)
        batch_op.alter_column("subject", existing_type=sa.String(length=300), nullable=False)
        batch_op.drop_column("facts")
