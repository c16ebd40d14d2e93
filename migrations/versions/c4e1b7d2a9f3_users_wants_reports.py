"""users wants reports

Revision ID: c4e1b7d2a9f3
Revises: 738e90515033
Create Date: 2026-11-28 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e1b7d2a9f3'
down_revision = '738e90515033'
branch_labels = None
depends_on = None


def upgrade():
    # Every existing user keeps getting reports, as before: the default is on.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wants_reports', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('wants_reports')
