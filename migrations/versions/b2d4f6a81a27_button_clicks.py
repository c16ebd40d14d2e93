"""button clicks

Counted clicks on URL buttons, through the web's redirect: one row per (mailing, button, recipient)
with the first click's time; mailing_buttons.clicks keeps a button's total once the rows are pruned.

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
    op.create_table(
        'button_clicks',
        sa.Column('mailing_id', sa.BigInteger(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.BigInteger(), nullable=False),
        sa.Column('clicked_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(
            ['mailing_id'], ['mailings.id'], name=op.f('fk_button_clicks_mailing_id_mailings'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.tg_id'], name=op.f('fk_button_clicks_user_id_users'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('mailing_id', 'position', 'user_id', name=op.f('pk_button_clicks')),
    )
    with op.batch_alter_table('button_clicks', schema=None) as batch_op:
        batch_op.create_index('ix_button_clicks_user_id', ['user_id'], unique=False)
    with op.batch_alter_table('mailing_buttons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('clicks', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('mailing_buttons', schema=None) as batch_op:
        batch_op.drop_column('clicks')
    op.drop_table('button_clicks')
