"""Remember when each phone last synced, for the admin's devices page

Revision ID: 0010_device_last_sync
Revises: 0009_patients_app
Create Date: 2026-11-28 15:55:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_device_last_sync'
down_revision = '0009_patients_app'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_synced_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_column('last_synced_at')
