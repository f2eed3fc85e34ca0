"""How a follow-up went, when it was marked done

Revision ID: 0012_follow_up_outcome
Revises: 0011_outcomes
Create Date: 2026-11-28 18:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_follow_up_outcome'
down_revision = '0011_outcomes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome', sa.String(length=30), nullable=True))


def downgrade():
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_column('outcome')
