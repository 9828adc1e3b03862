"""Reading uploads with a size limit: a huge upload is refused while it streams, never buffered whole."""

from __future__ import annotations

from fastapi import UploadFile

from esign.errors import InputError, TooLargeError

__all__ = ["read_upload"]

_CHUNK = 1024 * 1024


async def read_upload(upload: UploadFile | None, *, limit: int) -> bytes:
    """The upload's bytes; 413 past ``limit``, 400 when empty or missing."""
    if upload is None:
        raise InputError(
            "请上传 PDF 或 OFD 文件（表单字段 file）。",
            "Upload a PDF or OFD in the form field 'file'.",
            code="file_required",
            field="file",
        )
    chunks: list[bytes] = []
    size = 0
    while chunk := await upload.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise TooLargeError(
                f"文件超过大小上限（{limit // (1024 * 1024)} MB）。",
                f"The file exceeds the size limit of {limit} bytes.",
                field="file",
                limit=limit,
            )
        chunks.append(chunk)
    if not size:
        raise InputError("上传的文件是空的。", "The uploaded file is empty.", code="empty_file", field="file")
    return b"".join(chunks)
