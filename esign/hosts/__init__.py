"""Several stateless service hosts on one PostgreSQL (see docs/DEPLOY.md).

Documents by their hash, in a folder (:class:`BlobStore`) or in the database (:class:`DbBlobStore`), and the
tables that hold the state hosts share, with the public rate limit's shared count (:class:`SharedRateCount`).
"""

from esign.hosts.blobs import STALE_TEMP_AFTER, BlobStore, PendingBlob, file_sha256
from esign.hosts.docstore import DbBlobStore, store_for
from esign.hosts.models import DocumentChunkRow, RateCountRow, StoredDocumentRow
from esign.hosts.ratecount import RateBlock, SharedRateCount

__all__ = [
    "STALE_TEMP_AFTER",
    "BlobStore",
    "DbBlobStore",
    "DocumentChunkRow",
    "PendingBlob",
    "RateBlock",
    "RateCountRow",
    "SharedRateCount",
    "StoredDocumentRow",
    "file_sha256",
    "store_for",
]
