"""recurring series

Recurring mailings: a series that creates each run ahead of its time.

Revision ID: e5a7c9db4d5a
Revises: d4f6b8ca3c49
Create Date: 2026-11-28 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5a7c9db4d5a'
down_revision = 'd4f6b8ca3c49'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
