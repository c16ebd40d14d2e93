"""recurring series

Recurring mailings: a series that creates each run ahead of its time.

Revision ID: e5a7c9db4d5a
Revises: d4f6b8ca3c49
Create Date: 2026-11-28 11:00:00.000000

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "e5a7c9db4d5a"
down_revision = "d4f6b8ca3c49"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "series",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("buttons", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("media_type", sa.String(length=16), nullable=True),
        sa.Column("media_file_id", sa.String(length=2048), nullable=True),
        sa.Column("segment", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("weekdays", postgresql.ARRAY(sa.SmallInteger()), server_default="{}", nullable=False),
        sa.Column("day", sa.SmallInteger(), nullable=True),
        sa.Column("at", sa.Time(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="active", nullable=False),
        sa.Column("runs_made", sa.Integer(), server_default="0", nullable=False),
        sa.Column("made_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("author_tg_id", sa.BigInteger(), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("idempotency_key", sa.String(length=64), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "status IN ('active', 'paused', 'finished', 'ended')", name=op.f("ck_series_status")
        ),
        sa.CheckConstraint("kind IN ('daily', 'weekdays', 'monthly')", name=op.f("ck_series_kind")),
        sa.CheckConstraint(
            "media_type IS NULL OR media_type IN "
            "('photo', 'animation', 'video', 'document', 'audio', 'voice')",
            name=op.f("ck_series_media_type"),
        ),
        sa.CheckConstraint(
            "(media_type IS NULL) = (media_file_id IS NULL)", name=op.f("ck_series_media_pair")
        ),
        sa.ForeignKeyConstraint(
            ["author_tg_id"], ["users.tg_id"], name=op.f("fk_series_author_tg_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_series_idempotency_key")),
    )
    op.create_index("ix_series_status", "series", ["status"], unique=False)
    with op.batch_alter_table("mailings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("series_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("series_occurrence_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_mailings_series_id_series"), "series", ["series_id"], ["id"], ondelete="SET NULL"
        )
        # One run per occurrence of a series, whoever makes it.
        batch_op.create_unique_constraint(
            "uq_mailings_series_occurrence", ["series_id", "series_occurrence_at"]
        )


def downgrade():
    with op.batch_alter_table("mailings", schema=None) as batch_op:
        batch_op.drop_constraint("uq_mailings_series_occurrence", type_="unique")
        batch_op.drop_constraint(batch_op.f("fk_mailings_series_id_series"), type_="foreignkey")
        batch_op.drop_column("series_occurrence_at")
        batch_op.drop_column("series_id")
    op.drop_index("ix_series_status", table_name="series")
    op.drop_table("series")
