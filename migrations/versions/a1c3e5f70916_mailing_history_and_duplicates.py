"""mailing history and duplicates

Duplicating a mailing and the bot's history of sent ones.

Revision ID: a1c3e5f70916
Revises: f2a6c8d4b1e9
Create Date: 2026-11-28 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a1c3e5f70916'
down_revision = 'f2a6c8d4b1e9'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
