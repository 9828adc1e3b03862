"""Several stateless service hosts on one PostgreSQL (see docs/DEPLOY.md).

Documents by their hash, in a folder (:class:`BlobStore`) or in the database (:class:`DbBlobStore`), and the
tables that hold the state hosts share.
"""

from esign.hosts.blobs import STALE_TEMP_AFTER, BlobStore, PendingBlob, file_sha256
from esign.hosts.docstore import DbBlobStore, store_for
from esign.hosts.models import DocumentChunkRow, RateCountRow, StoredDocumentRow

__all__ = [
    "STALE_TEMP_AFTER",
    "BlobStore",
    "DbBlobStore",
    "DocumentChunkRow",
    "PendingBlob",
    "RateCountRow",
    "StoredDocumentRow",
    "file_sha256",
    "store_for",
]
