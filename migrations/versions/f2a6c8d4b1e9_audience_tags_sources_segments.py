"""audience: users.tags (GIN-indexed), users.first_source/last_source, mailings.segment, invite_links

Tags are free-form labels on a user (a source is the tag `src:<payload>` as well); a mailing's
optional segment filters its audience by language, role, tags, source and subscription date.

Revision ID: f2a6c8d4b1e9
Revises: b8d2f6e4c1a5
Create Date: 2026-11-28 08:30:00.000000

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = 'f2a6c8d4b1e9'
down_revision = 'b8d2f6e4c1a5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'invite_links',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('source', sa.String(length=64), nullable=False),
        sa.Column('created_by', sa.String(length=128), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invite_links')),
        sa.UniqueConstraint('source', name=op.f('uq_invite_links_source')),
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('tags', postgresql.ARRAY(sa.String(length=64)), server_default='{}', nullable=False)
        )
        batch_op.add_column(sa.Column('first_source', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('last_source', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_users_tags', ['tags'], unique=False, postgresql_using='gin')
    with op.batch_alter_table('mailings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('segment', postgresql.JSONB(astext_type=sa.Text()), nullable=True))


def downgrade():
    op.drop_table('invite_links')
    with op.batch_alter_table('mailings', schema=None) as batch_op:
        batch_op.drop_column('segment')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index('ix_users_tags', postgresql_using='gin')
        batch_op.drop_column('last_source')
        batch_op.drop_column('first_source')
        batch_op.drop_column('tags')
