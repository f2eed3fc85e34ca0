"""Keep a device key per phone, so the records sealed on it open only for its own person

Revision ID: 0007_phone_keys
Revises: 0006_sync_epoch
Create Date: 2026-11-28 12:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_phone_keys'
down_revision = '0006_sync_epoch'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'phone_keys',
        sa.Column('id', sa.String(length=43), nullable=False),
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('secret', sa.LargeBinary(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('released_at', sa.DateTime(), nullable=True),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('phone_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_phone_keys_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone_key_id', sa.String(length=43), nullable=True))
        batch_op.create_index(batch_op.f('ix_devices_phone_key_id'), ['phone_key_id'], unique=False)
        batch_op.create_foreign_key('fk_devices_phone_key_id', 'phone_keys',
                                    ['phone_key_id'], ['id'])


def downgrade():
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_constraint('fk_devices_phone_key_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_devices_phone_key_id'))
        batch_op.drop_column('phone_key_id')
    with op.batch_alter_table('phone_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_phone_keys_user_id'))
    op.drop_table('phone_keys')
