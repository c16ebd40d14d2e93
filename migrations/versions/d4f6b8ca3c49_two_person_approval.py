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
    with op.batch_alter_table("mailings") as batch_op:
        batch_op.add_column(
            sa.Column("approval_required", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("approved_by", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("approval_asked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("approval_reminded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            "fk_mailings_approved_by_users", "users", ["approved_by"], ["tg_id"], ondelete="SET NULL"
        )


def downgrade():
    with op.batch_alter_table("mailings") as batch_op:
        batch_op.drop_constraint("fk_mailings_approved_by_users", type_="foreignkey")
        batch_op.drop_column("approval_reminded_at")
        batch_op.drop_column("approval_asked_at")
        batch_op.drop_column("approved_at")
        batch_op.drop_column("approved_by")
        batch_op.drop_column("approval_required")
