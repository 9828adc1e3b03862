"""several hosts on one database: documents in chunked rows, public rate counts, job leases

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 00:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'stored_documents',
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('chunks', sa.Integer(), nullable=False),
        sa.Column('stored_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('sha256', name=op.f('pk_stored_documents')),
    )
    with op.batch_alter_table('stored_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stored_documents_stored_at'), ['stored_at'], unique=False)
    op.create_table(
        'document_chunks',
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ['sha256'], ['stored_documents.sha256'],
            name=op.f('fk_document_chunks_sha256_stored_documents'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('sha256', 'seq', name=op.f('pk_document_chunks')),
    )
    op.create_table(
        'rate_counts',
        sa.Column('client', sa.String(length=64), nullable=False),
        sa.Column('minute', sa.BigInteger(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('client', 'minute', name=op.f('pk_rate_counts')),
    )
    with op.batch_alter_table('rate_counts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rate_counts_minute'), ['minute'], unique=False)
    op.create_table(
        'job_leases',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('holder', sa.String(length=128), nullable=False),
        sa.Column('until', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_job_leases')),
    )


def downgrade() -> None:
    op.drop_table('job_leases')
    with op.batch_alter_table('rate_counts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rate_counts_minute'))
    op.drop_table('rate_counts')
    op.drop_table('document_chunks')
    with op.batch_alter_table('stored_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stored_documents_stored_at'))
    op.drop_table('stored_documents')
