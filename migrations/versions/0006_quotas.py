"""quotas per organisation or kind, groups of resources; expected people, quota override note

Revision ID: 0006_quotas
Revises: 0005
Create Date: 2026-12-02 10:46:44.471765

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_quotas'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('resource_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resource_group')),
    sa.UniqueConstraint('name', name=op.f('uq_resource_group_name'))
    )
    op.create_table('quota',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('organisation_kind', sa.String(length=12), nullable=True),
    sa.Column('resource_id', sa.Integer(), nullable=True),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('season_start', sa.Date(), nullable=True),
    sa.Column('season_end', sa.Date(), nullable=True),
    sa.Column('unit', sa.String(length=10), nullable=False),
    sa.Column('maximum', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("period <> 'season' OR (season_start IS NOT NULL AND season_end >= season_start)", name=op.f('ck_quota_season')),
    sa.CheckConstraint("period IN ('week', 'month', 'season')", name=op.f('ck_quota_period')),
    sa.CheckConstraint("unit IN ('hours', 'bookings')", name=op.f('ck_quota_unit')),
    sa.CheckConstraint('(organisation_id IS NULL) <> (organisation_kind IS NULL)', name=op.f('ck_quota_who')),
    sa.CheckConstraint('(resource_id IS NULL) <> (group_id IS NULL)', name=op.f('ck_quota_what')),
    sa.CheckConstraint('maximum >= 0', name=op.f('ck_quota_maximum')),
    sa.CheckConstraint("organisation_kind IS NULL OR organisation_kind IN ('association', 'partner')", name=op.f('ck_quota_kind')),
    sa.ForeignKeyConstraint(['group_id'], ['resource_group.id'], name=op.f('fk_quota_group_id_resource_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_quota_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], name=op.f('fk_quota_resource_id_resource'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quota'))
    )
    with op.batch_alter_table('quota', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quota_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quota_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quota_resource_id'), ['resource_id'], unique=False)

    op.create_table('resource_group_member',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['resource_group.id'], name=op.f('fk_resource_group_member_group_id_resource_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], name=op.f('fk_resource_group_member_resource_id_resource'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'resource_id', name=op.f('pk_resource_group_member'))
    )
    # Plain ADD/DROP COLUMN: rebuilding the booking table on SQLite would cascade.
    op.add_column('booking', sa.Column('expected_people', sa.Integer(), nullable=True))
    op.add_column('booking', sa.Column('quota_override_note', sa.Text(), nullable=False, server_default=''))
    if op.get_bind().dialect.name != 'sqlite':  # SQLite cannot drop a default without a rebuild
        op.alter_column('booking', 'quota_override_note', server_default=None)



def downgrade():
    op.drop_column('booking', 'quota_override_note')
    op.drop_column('booking', 'expected_people')

    op.drop_table('resource_group_member')
    with op.batch_alter_table('quota', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quota_resource_id'))
        batch_op.drop_index(batch_op.f('ix_quota_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_quota_group_id'))

    op.drop_table('quota')
    op.drop_table('resource_group')
