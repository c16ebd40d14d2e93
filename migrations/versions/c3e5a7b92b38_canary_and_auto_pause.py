"""canary and auto pause

A canary sample before the rest, and a mailing that pauses itself when its sends fail.

Revision ID: c3e5a7b92b38
Revises: b2d4f6a81a27
Create Date: 2026-11-28 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3e5a7b92b38'
down_revision = 'b2d4f6a81a27'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
