"""Invitations and password resets, temporary passwords, check-ins seen, practice texts

Revision ID: 0009_patients_app
Revises: 0008_session_lock
Create Date: 2026-11-28 14:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_patients_app'
down_revision = '0008_session_lock'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'access_links',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('purpose', sa.String(length=20), nullable=False),
        sa.Column('code_digest', sa.String(length=64), nullable=False),
        sa.Column('patient_id', sa.Uuid(), nullable=True),
        sa.Column('user_id', sa.Uuid(), nullable=True),
        sa.Column('created_by_id', sa.Uuid(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['patient_id'], ['patients.id']),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code_digest'),
    )
    with op.batch_alter_table('access_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_links_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_links_user_id'), ['user_id'], unique=False)
    op.create_table(
        'check_in_looks',
        sa.Column('check_in_id', sa.Uuid(), nullable=False),
        sa.Column('seen_by_id', sa.Uuid(), nullable=False),
        sa.Column('seen_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['check_in_id'], ['check_ins.id']),
        sa.ForeignKeyConstraint(['seen_by_id'], ['users.id']),
        sa.PrimaryKeyConstraint('check_in_id'),
    )
    op.create_table(
        'practice_texts',
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('text', sa.String(length=4000), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by_id', sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id']),
        sa.PrimaryKeyConstraint('key'),
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
    op.drop_table('practice_texts')
    op.drop_table('check_in_looks')
    with op.batch_alter_table('access_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_links_user_id'))
        batch_op.drop_index(batch_op.f('ix_access_links_patient_id'))
    op.drop_table('access_links')
