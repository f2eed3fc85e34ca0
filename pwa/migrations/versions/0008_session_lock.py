"""Let a phone's lock hold its web session's pages back until the PIN is given

Revision ID: 0008_session_lock
Revises: 0007_phone_keys
Create Date: 2026-11-28 13:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_session_lock'
down_revision = '0007_phone_keys'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locked_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_column('locked_at')
