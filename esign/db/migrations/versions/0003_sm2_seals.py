"""SM2 certificates and GB/T 38540 seal data of seals

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 23:30:00
"""
import sqlalchemy as sa
from alembic import op

import esign.db.base

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('seals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sm2_key_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('sm2_cert_serial', sa.String(length=64), nullable=True))
    op.create_table('seal_data',
    sa.Column('seal_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('es_id', sa.String(length=64), nullable=False),
    sa.Column('sm2_cert_serial', sa.String(length=64), nullable=False),
    sa.Column('der', sa.LargeBinary(), nullable=False),
    sa.Column('valid_start', esign.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('valid_end', esign.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('made_at', esign.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['seal_id'], ['seals.id'], name=op.f('fk_seal_data_seal_id_seals')),
    sa.PrimaryKeyConstraint('seal_id', name=op.f('pk_seal_data')),
    sa.UniqueConstraint('es_id', name=op.f('uq_seal_data_es_id'))
    )


def downgrade() -> None:
    op.drop_table('seal_data')
    with op.batch_alter_table('seals', schema=None) as batch_op:
        batch_op.drop_column('sm2_cert_serial')
        batch_op.drop_column('sm2_key_id')
