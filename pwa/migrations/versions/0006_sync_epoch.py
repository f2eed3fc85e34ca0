"""Name the database's history, so phones can tell a server restored from a backup

Revision ID: 0006_sync_epoch
Revises: 0005_sessions_and_throttling
Create Date: 2026-11-28 11:00:00.000000

"""
import uuid

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_sync_epoch'
down_revision = '0005_sessions_and_throttling'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('change_counter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('epoch', sa.String(length=32), nullable=True))
    op.execute(f"UPDATE change_counter SET epoch = '{uuid.uuid4().hex}'")
    with op.batch_alter_table('change_counter', schema=None) as batch_op:
        batch_op.alter_column('epoch', existing_type=sa.String(length=32), nullable=False)


def downgrade():
    with op.batch_alter_table('change_counter', schema=None) as batch_op:
        batch_op.drop_column('epoch')
