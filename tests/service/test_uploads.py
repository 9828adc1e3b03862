"""service.uploads.read_upload: the limit holds whether or not the parser recorded the file's size."""

from __future__ import annotations

import asyncio
import io

import pytest
from fastapi import UploadFile

from esign.errors import InputError, TooLargeError
from service.uploads import read_upload

LIMIT = 1000


def _upload(data: bytes, *, recorded: bool) -> UploadFile:
    return UploadFile(io.BytesIO(data), size=len(data) if recorded else None, filename="x.pdf")


@pytest.mark.parametrize("recorded", [True, False])
def test_a_file_at_the_limit_is_read_whole_and_one_byte_more_is_refused(recorded: bool) -> None:
    data = bytes(range(256)) * 4
    assert asyncio.run(read_upload(_upload(data[:LIMIT], recorded=recorded), limit=LIMIT)) == data[:LIMIT]
    with pytest.raises(TooLargeError) as refused:
        asyncio.run(read_upload(_upload(data[: LIMIT + 1], recorded=recorded), limit=LIMIT))
    assert refused.value.http_status == 413


def test_a_recorded_size_past_the_limit_is_refused_without_reading() -> None:
    upload = UploadFile(io.BytesIO(b"%PDF"), size=LIMIT + 1, filename="x.pdf")
    with pytest.raises(TooLargeError):
        asyncio.run(read_upload(upload, limit=LIMIT))
    assert upload.file.tell() == 0


def test_missing_and_empty_uploads_are_refused_with_their_codes() -> None:
    with pytest.raises(InputError) as missing:
        asyncio.run(read_upload(None, limit=LIMIT))
    with pytest.raises(InputError) as empty:
        asyncio.run(read_upload(_upload(b"", recorded=True), limit=LIMIT))
    assert (missing.value.code, empty.value.code) == ("file_required", "empty_file")
