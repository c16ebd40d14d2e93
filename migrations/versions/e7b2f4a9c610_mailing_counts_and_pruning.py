"""mailing counts and pruning: a finished mailing keeps its delivery counts; old ledger rows go

`mailings.delivery_counts` holds the ledger's counts per status, written when the mailing finishes
(and again, under the mailing's lock, just before its rows are pruned); `deliveries_pruned_at` is
when the prune job took the mailing's per-recipient rows away (DELIVERY_RETENTION_DAYS after it
ended). Both are NULL for every existing mailing: stats read the ledger until a prune counts it.

Revision ID: e7b2f4a9c610
Revises: d5a0c3e8f1b2
Create Date: 2026-11-28 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = 'e7b2f4a9c610'
down_revision = 'd5a0c3e8f1b2'
branch_labels = None
depends_on = None


def upgrade():
    # Nullable columns without defaults: a catalog change only, no rewrite of the mailings table.
    op.add_column('mailings', sa.Column('delivery_counts', postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.add_column('mailings', sa.Column('deliveries_pruned_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column('mailings', 'deliveries_pruned_at')
    op.drop_column('mailings', 'delivery_counts')
