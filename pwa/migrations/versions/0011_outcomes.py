"""What the outcomes report and the directory review need

Patients gain why they were discharged; referrals gain when they were made and when the person
first went; assets gain when someone last checked their details were still right. Check-ins gain
an index on the one they correct, so a report can leave corrected ones out without a scan each.

Referrals already stored are given the only times there are: made when they were stored (if they
got as far as "referred"), attended when last changed (if attended).

Revision ID: 0011_outcomes
Revises: 0010_device_last_sync
Create Date: 2026-11-28 17:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_outcomes'
down_revision = '0010_device_last_sync'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discharge_reason', sa.String(length=30), nullable=True))
    with op.batch_alter_table('asset_referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('referred_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('attended_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('community_assets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checked_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_check_ins_amends_id'), ['amends_id'], unique=False)
    op.execute(
        "UPDATE asset_referrals SET referred_at = created_at "
        "WHERE status IN ('referred', 'attended')"
    )
    op.execute("UPDATE asset_referrals SET attended_at = updated_at WHERE status = 'attended'")


def downgrade():
    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_check_ins_amends_id'))
    with op.batch_alter_table('community_assets', schema=None) as batch_op:
        batch_op.drop_column('checked_at')
    with op.batch_alter_table('asset_referrals', schema=None) as batch_op:
        batch_op.drop_column('attended_at')
        batch_op.drop_column('referred_at')
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_column('discharge_reason')
