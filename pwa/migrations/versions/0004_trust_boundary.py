"""Records remember the change they were created at; open sync reviews counted per device

Revision ID: 0004_trust_boundary
Revises: 0003_push_notices
Create Date: 2026-11-28 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_trust_boundary'
down_revision = '0003_push_notices'
branch_labels = None
depends_on = None

SYNCED = ('patients', 'check_ins', 'follow_ups', 'asset_referrals', 'community_assets')


def upgrade():
    for table in SYNCED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('created_seq', sa.BigInteger(), nullable=True))
        # The best a record made before this knows: its last change. Feed deletions then leave
        # out those changed after a patient left, and the phone purges them with the patient.
        op.execute(f'UPDATE {table} SET created_seq = seq')
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('created_seq', existing_type=sa.BigInteger(), nullable=False)

    with op.batch_alter_table('sync_reviews', schema=None) as batch_op:
        batch_op.create_index('ix_sync_reviews_device_open', ['device_id', 'resolved_at'], unique=False)


def downgrade():
    with op.batch_alter_table('sync_reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_reviews_device_open')

    for table in SYNCED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('created_seq')
