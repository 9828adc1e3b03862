"""stamp requests that can never be stamped end as failed, with their error code

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 23:50:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('stamp_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failure_code', sa.String(length=64), server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('stamp_requests', schema=None) as batch_op:
        batch_op.drop_column('failure_code')
