"""sites: managers limited to some sites, organisations working in some, each person's site

Revision ID: 0017_h30_sites
Revises: 0010_h20_feeds
Create Date: 2026-12-02 20:05:00

Nothing existing moves: resources and closures already belong to the first site, and no row
in the new tables means every site, so every manager and organisation keeps what it had.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_h30_sites"
down_revision = "0017_h28_notice_dismissals"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "user_site",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_user_site_site_id_site"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_user_site_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "site_id", name=op.f("pk_user_site")),
    )
    op.create_index(op.f("ix_user_site_site_id"), "user_site", ["site_id"])
    op.create_table(
        "organisation_site",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_organisation_site_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
            name=op.f("fk_organisation_site_site_id_site"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organisation_id", "site_id", name=op.f("pk_organisation_site")),
    )
    op.create_index(op.f("ix_organisation_site_site_id"), "organisation_site", ["site_id"])
    # A plain column (see User.site_id): SQLite adds and drops it in place, where rebuilding
    # the user table would run the foreign keys' ON DELETE of every table that points to it.
    op.add_column("user", sa.Column("site_id", sa.Integer(), nullable=True))


def downgrade():
    op.drop_column("user", "site_id")
    op.drop_index(op.f("ix_organisation_site_site_id"), table_name="organisation_site")
    op.drop_table("organisation_site")
    op.drop_index(op.f("ix_user_site_site_id"), table_name="user_site")
    op.drop_table("user_site")
