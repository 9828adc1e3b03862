"""Reading uploads with a size limit.

By the time a route runs, Starlette has received the whole multipart body and put each file into a
spooled temporary file: in memory up to :data:`SPOOL_BYTES` (:func:`keep_small_files_in_memory`;
Starlette's own default is 1 MiB, past which every 64 KiB piece goes to disk through a worker
thread and is read back the same way), on disk beyond. :func:`read_upload` refuses a file past the
limit by its recorded size, before reading it, and otherwise reads it in one call: it never holds
more than ``limit + 1`` bytes of it.
"""

from __future__ import annotations

from fastapi import UploadFile
from starlette.formparsers import MultiPartParser

from esign.errors import InputError, TooLargeError

__all__ = ["SPOOL_BYTES", "keep_small_files_in_memory", "read_upload"]

#: Uploaded files up to this size stay in memory while the form is parsed (a scanned page is ~10 MB).
SPOOL_BYTES = 16 * 1024 * 1024


def keep_small_files_in_memory() -> None:
    """Raise Starlette's spooling threshold (a class attribute, so for the whole process) to
    :data:`SPOOL_BYTES`: the route reads the file into memory anyway, and a file that has gone to disk
    costs a thread hop per 64 KiB both ways. Larger files still go to disk while they arrive."""
    MultiPartParser.spool_max_size = SPOOL_BYTES


async def read_upload(upload: UploadFile | None, *, limit: int) -> bytes:
    """The upload's bytes; 413 past ``limit``, 400 when empty or missing."""
    if upload is None:
        raise InputError(
            "请上传 PDF 或 OFD 文件（表单字段 file）。",
            "Upload a PDF or OFD in the form field 'file'.",
            code="file_required",
            field="file",
        )
    if upload.size is not None and upload.size > limit:  # the size the parser recorded: refused unread
        raise _too_large(limit)
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise _too_large(limit)
    if not data:
        raise InputError("上传的文件是空的。", "The uploaded file is empty.", code="empty_file", field="file")
    return data


def _too_large(limit: int) -> TooLargeError:
    return TooLargeError(
        f"文件超过大小上限（{limit // (1024 * 1024)} MB）。",
        f"The file exceeds the size limit of {limit} bytes.",
        field="file",
        limit=limit,
    )
