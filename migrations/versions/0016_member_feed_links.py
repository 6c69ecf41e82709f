"""members' own links to their organisation's calendar: feed tokens of kind "member"

Revision ID: 0010_h20_feeds
Revises: 0010_h19_waitlist
Create Date: 2026-12-02 16:10:00
"""

from alembic import op

revision = "0010_h20_feeds"
down_revision = "0010_h19_waitlist"
branch_labels = None
depends_on = None

OLD = "kind IN ('organisation', 'resource', 'social_worker', 'personal')"
NEW = "kind IN ('organisation', 'resource', 'social_worker', 'personal', 'member')"


def upgrade():
    with op.batch_alter_table("feed_token") as batch:
        batch.drop_constraint(op.f("ck_feed_token_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_feed_token_kind"), NEW)


def downgrade():
    op.execute("DELETE FROM feed_token WHERE kind = 'member'")
    with op.batch_alter_table("feed_token") as batch:
        batch.drop_constraint(op.f("ck_feed_token_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_feed_token_kind"), OLD)
