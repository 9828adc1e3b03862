"""Several stateless service hosts on one PostgreSQL (see docs/DEPLOY.md).

Documents in the database (:class:`DbBlobStore`) and the tables that hold the state hosts share.
"""

from esign.hosts.docstore import DbBlobStore, store_for
from esign.hosts.models import DocumentChunkRow, RateCountRow, StoredDocumentRow

__all__ = ["DbBlobStore", "DocumentChunkRow", "RateCountRow", "StoredDocumentRow", "store_for"]
