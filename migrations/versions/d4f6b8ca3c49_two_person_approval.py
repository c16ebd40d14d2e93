"""two person approval

A second person's approval before a large mailing can start.

Revision ID: d4f6b8ca3c49
Revises: c3e5a7b92b38
Create Date: 2026-11-28 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4f6b8ca3c49'
down_revision = 'c3e5a7b92b38'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
