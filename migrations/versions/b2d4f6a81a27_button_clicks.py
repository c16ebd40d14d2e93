"""button clicks

Counted clicks on URL buttons, through the web's redirect.

Revision ID: b2d4f6a81a27
Revises: a1c3e5f70916
Create Date: 2026-11-28 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b2d4f6a81a27'
down_revision = 'a1c3e5f70916'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
