"""a stamp request may be a file of several batches (an operator's batch run again over the same files)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 03:00:00
"""
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('stamp_batch_items', schema=None) as batch_op:
        batch_op.drop_constraint('uq_stamp_batch_items_request_id', type_='unique')
        batch_op.create_index(batch_op.f('ix_stamp_batch_items_request_id'), ['request_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('stamp_batch_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stamp_batch_items_request_id'))
        batch_op.create_unique_constraint('uq_stamp_batch_items_request_id', ['request_id'])
