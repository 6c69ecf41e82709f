"""a room's practical information (keys, alarm, cleaning), sent with each booking made

Revision ID: 0009_practical_info
Revises: 0008_seasons
Create Date: 2026-12-02 12:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_practical_info"
down_revision = "0008_seasons"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("resource") as batch:
        batch.add_column(sa.Column("practical_info", sa.Text(), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("resource") as batch:
        batch.drop_column("practical_info")
