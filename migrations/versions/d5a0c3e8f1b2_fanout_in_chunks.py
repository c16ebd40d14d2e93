"""fan-out in chunks: the mailing's fan-out cursor; the ledger's foreign keys become delete triggers

A mailing starts with its first chunk of deliveries and the rest follow in chunks while it sends;
`mailings.fanout_cursor` is the last user id fanned out (NULL once every active user has a row).
The two foreign keys of `deliveries` checked and share-locked the referenced mailing and user for
every inserted row, more than half of a fan-out's time. Rows are only ever inserted by the fan-out,
from existing users for a mailing it has just locked, so the checks bought only the cascade on
delete; two triggers keep that cascade (deleting a mailing or a user deletes their deliveries).
The lease index serves only the lease expirer, which looks at `sending` rows: partial on those, a
fanned-out (pending) row no longer costs an entry in it.

Revision ID: d5a0c3e8f1b2
Revises: c4e1b7d2a9f3
Create Date: 2026-11-28 02:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5a0c3e8f1b2'
down_revision = 'c4e1b7d2a9f3'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('mailings', sa.Column('fanout_cursor', sa.BigInteger(), nullable=True))
    op.drop_constraint('fk_deliveries_mailing_id_mailings', 'deliveries', type_='foreignkey')
    op.drop_constraint('fk_deliveries_user_id_users', 'deliveries', type_='foreignkey')
    op.drop_index('ix_deliveries_lease', table_name='deliveries')
    op.create_index(
        'ix_deliveries_lease', 'deliveries', ['lease_expires_at'], postgresql_where=sa.text("status = 'sending'")
    )
    op.execute(
        """
        CREATE FUNCTION deliveries_follow_mailing() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM deliveries WHERE mailing_id = OLD.id;
            RETURN OLD;
        END $$;
        CREATE TRIGGER deliveries_follow_mailing BEFORE DELETE ON mailings
            FOR EACH ROW EXECUTE FUNCTION deliveries_follow_mailing();
        CREATE FUNCTION deliveries_follow_user() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM deliveries WHERE user_id = OLD.tg_id;
            RETURN OLD;
        END $$;
        CREATE TRIGGER deliveries_follow_user BEFORE DELETE ON users
            FOR EACH ROW EXECUTE FUNCTION deliveries_follow_user();
        """
    )


def downgrade():
    op.execute(
        """
        DROP TRIGGER deliveries_follow_user ON users;
        DROP FUNCTION deliveries_follow_user();
        DROP TRIGGER deliveries_follow_mailing ON mailings;
        DROP FUNCTION deliveries_follow_mailing();
        """
    )
    op.drop_index('ix_deliveries_lease', table_name='deliveries')
    op.create_index('ix_deliveries_lease', 'deliveries', ['status', 'lease_expires_at'])
    op.create_foreign_key(
        'fk_deliveries_user_id_users', 'deliveries', 'users', ['user_id'], ['tg_id'], ondelete='CASCADE'
    )
    op.create_foreign_key(
        'fk_deliveries_mailing_id_mailings', 'deliveries', 'mailings', ['mailing_id'], ['id'], ondelete='CASCADE'
    )
    op.drop_column('mailings', 'fanout_cursor')
