"""audience ahead of time: mailings.fanout_from, users.updated_at index

A mailing's audience starts going into the ledger shortly before its send_at (while it is still
scheduled); `fanout_from` says since when, and the start adds or removes whoever changed since then,
found through the new index on users.updated_at.

Revision ID: b8d2f6e4c1a5
Revises: a3c9e1f0b7d4
Create Date: 2026-11-28 05:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b8d2f6e4c1a5'
down_revision = 'a3c9e1f0b7d4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('mailings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fanout_from', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index('ix_users_updated_at', ['updated_at'], unique=False)


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index('ix_users_updated_at')
    with op.batch_alter_table('mailings', schema=None) as batch_op:
        batch_op.drop_column('fanout_from')
