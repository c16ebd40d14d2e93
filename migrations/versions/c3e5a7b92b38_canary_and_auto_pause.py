"""canary and auto pause

A canary sample before the rest, and a mailing that pauses itself when its sends fail.

`mailings.canary` holds a mailing's canary settings; `canary_until` is when its sample finished plus
the wait, `canary_passed_at` when the rest was let go. `pause_reason` says why a paused mailing
paused. `deliveries.canary` marks the sample's rows (NULL for every other row, so it costs the
fan-out nothing); a partial index finds them without reading the rest of the mailing's rows.

Revision ID: c3e5a7b92b38
Revises: b2d4f6a81a27
Create Date: 2026-11-28 11:00:00.000000

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "c3e5a7b92b38"
down_revision = "b2d4f6a81a27"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("mailings", sa.Column("canary", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.add_column("mailings", sa.Column("canary_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column("mailings", sa.Column("canary_passed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "mailings", sa.Column("pause_reason", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
    )
    op.add_column("deliveries", sa.Column("canary", sa.Boolean(), nullable=True))
    op.create_index(
        "ix_deliveries_canary", "deliveries", ["mailing_id", "status"], postgresql_where=sa.text("canary")
    )


def downgrade():
    op.drop_index("ix_deliveries_canary", table_name="deliveries", postgresql_where=sa.text("canary"))
    op.drop_column("deliveries", "canary")
    op.drop_column("mailings", "pause_reason")
    op.drop_column("mailings", "canary_passed_at")
    op.drop_column("mailings", "canary_until")
    op.drop_column("mailings", "canary")
