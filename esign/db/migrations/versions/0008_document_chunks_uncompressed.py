"""documents' chunks are stored as they are, not compressed again (PostgreSQL)

A stored document is a PDF or an OFD, whose contents are compressed already (Flate streams, a ZIP
package). PostgreSQL would still try to compress every chunk over 2 kB (TOAST's default ``EXTENDED``
storage, pglz), which costs the database server CPU on each stamp and gains nothing: measured on the
stamp flow, 1.7 of the 9.5 ms the server spends per stamp. ``EXTERNAL`` keeps the chunks out of line,
uncompressed (https://www.postgresql.org/docs/15/storage-toast.html). Rows written before keep their
form and read as before. SQLite has no such setting: nothing to do there.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 12:00:00
"""
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE document_chunks ALTER COLUMN data SET STORAGE EXTERNAL')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE document_chunks ALTER COLUMN data SET STORAGE EXTENDED')
