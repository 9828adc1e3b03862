"""Hostile OFD packages built by code (issue 17): each small on disk, each a different way a ZIP or
its XML can hurt a reader. Used by tests/ofd/test_package.py and the verify route tests."""

from __future__ import annotations

import functools
import io
import warnings
import zipfile

__all__ = [
    "HOSTILE_OFDS",
    "OFD_XML",
    "billion_laughs",
    "central_local_mismatch",
    "crc_mismatch",
    "duplicate_entry",
    "encrypted_flag",
    "many_entries",
    "minimal_ofd",
    "not_ofd_root",
    "path_traversal",
    "unknown_zip_version",
    "xxe",
    "zip_bomb_entry",
    "zip_bomb_total",
    "zip_of",
]

MiB = 1024 * 1024
OFD_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" Version="1.0" DocType="OFD"><ofd:DocBody>'
    b"<ofd:DocInfo><ofd:DocID>00000000000000000000000000000000</ofd:DocID></ofd:DocInfo>"
    b"<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"
)
DOCUMENT_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<ofd:Document xmlns:ofd="http://www.ofdspec.org/2016"><ofd:CommonData><ofd:MaxUnitID>3</ofd:MaxUnitID>'
    b"<ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea></ofd:CommonData>"
    b'<ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>'
)
CONTENT_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Content><ofd:Layer ID="2">'
    b'<ofd:TextObject ID="3" Boundary="20 20 100 10" Font="4" Size="5"><ofd:TextCode X="0" Y="5">'
    b"\xe5\x86\xb3\xe5\xae\x9a</ofd:TextCode></ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>"
)


def zip_of(entries: list[tuple[str, bytes]], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A ZIP of ``entries`` exactly as given (duplicates and odd names kept)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are the point of some fixtures
        for name, data in entries:
            zf.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data, compress_type=method)
    return buf.getvalue()


def minimal_ofd(*extra: tuple[str, bytes]) -> bytes:
    """A valid one-page OFD (plus ``extra`` entries)."""
    return zip_of(
        [
            ("OFD.xml", OFD_XML),
            ("Doc_0/Document.xml", DOCUMENT_XML),
            ("Doc_0/Pages/Page_0/Content.xml", CONTENT_XML),
            *list(extra),
        ]
    )


def _big_entry(name: str, size: int) -> tuple[zipfile.ZipInfo, int]:
    info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info, size


@functools.cache
def _bomb(sizes: tuple[int, ...]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr(zipfile.ZipInfo("OFD.xml", (1980, 1, 1, 0, 0, 0)), OFD_XML)
        for i, size in enumerate(sizes):
            info, _ = _big_entry(f"Doc_0/Res/fill_{i}.bin", size)
            with zf.open(info, "w") as f:
                zero = b"\0" * MiB
                for _ in range(size // MiB):
                    f.write(zero)
    return buf.getvalue()


def zip_bomb_entry() -> bytes:
    """One entry of 256 MiB of zeros (~250 KB on disk)."""
    return _bomb((256 * MiB,))


def zip_bomb_total() -> bytes:
    """Five entries of 40 MiB each: each within one entry's limit, together past the document's."""
    return _bomb((40 * MiB,) * 5)


def path_traversal() -> bytes:
    """An entry named ``../../etc/cron.d/evil``."""
    return minimal_ofd(("../../etc/cron.d/evil", b"* * * * * root true\n"))


def absolute_path() -> bytes:
    """An entry named ``/etc/passwd``."""
    return minimal_ofd(("/etc/passwd", b"x"))


def backslash_path() -> bytes:
    """An entry named ``..\\evil.xml`` (Windows separators)."""
    return minimal_ofd(("..\\evil.xml", b"x"))


def duplicate_entry() -> bytes:
    """``Doc_0/Pages/Page_0/Content.xml`` twice, with different content."""
    return minimal_ofd(("Doc_0/Pages/Page_0/Content.xml", CONTENT_XML.replace(b'ID="3"', b'ID="9"')))


def central_local_mismatch() -> bytes:
    """The local header of Content.xml names another file than the central directory."""
    data = minimal_ofd()
    name = b"Doc_0/Pages/Page_0/Content.xml"
    at = data.index(name)  # first occurrence: the local header's name
    out = bytearray(data)
    out[at : at + len(name)] = b"Doc_0/Pages/Page_9/Content.xml"
    return bytes(out)


def crc_mismatch() -> bytes:
    """The local header of Document.xml carries another CRC than the central directory."""
    data = minimal_ofd()
    name = b"Doc_0/Document.xml"
    at = data.index(name) - 30  # start of its local header
    assert data[at : at + 4] == b"PK\x03\x04"
    out = bytearray(data)
    out[at + 14 : at + 18] = b"\x01\x02\x03\x04"
    return bytes(out)


def encrypted_flag() -> bytes:
    """Content.xml marked as encrypted (flag bit 0) in both headers."""
    data = bytearray(minimal_ofd())
    name = b"Doc_0/Pages/Page_0/Content.xml"
    local = data.index(name) - 30
    central = data.index(name, local + 31) - 46
    assert data[central : central + 4] == b"PK\x01\x02"
    data[local + 6] |= 1
    data[central + 8] |= 1
    return bytes(data)


def unknown_zip_version() -> bytes:
    """The central directory says Content.xml needs ZIP version 6.9 to extract (no reader here knows it)."""
    data = bytearray(minimal_ofd())
    name = b"Doc_0/Pages/Page_0/Content.xml"
    central = data.index(name, data.index(name) + 1) - 46
    assert data[central : central + 4] == b"PK\x01\x02"
    data[central + 6] = 69
    return bytes(data)


def many_entries(n: int = 10_050) -> bytes:
    """``n`` empty entries."""
    return minimal_ofd(*[(f"Doc_0/Res/r{i}.xml", b"") for i in range(n)])


def xxe() -> bytes:
    """OFD.xml with an external entity reading /etc/passwd."""
    ofd = b'<?xml version="1.0"?>\n<!DOCTYPE ofd:OFD [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n' + OFD_XML.split(
        b"\n", 1
    )[1].replace(b"00000000000000000000000000000000", b"&x;")
    return zip_of([("OFD.xml", ofd), ("Doc_0/Document.xml", DOCUMENT_XML)])


def billion_laughs() -> bytes:
    """Document.xml with the classic nested-entity expansion."""
    ents = b'<!ENTITY l0 "ha">' + b"".join(b'<!ENTITY l%d "%s">' % (i, (b"&l%d;" % (i - 1)) * 10) for i in range(1, 10))
    doc = (
        b'<?xml version="1.0"?>\n<!DOCTYPE d ['
        + ents
        + b"]>\n"
        + DOCUMENT_XML.split(b"\n", 1)[1].replace(b"<ofd:MaxUnitID>3", b"<ofd:MaxUnitID>&l9;3")
    )
    return zip_of([("OFD.xml", OFD_XML), ("Doc_0/Document.xml", doc)])


def not_ofd_root() -> bytes:
    """A ZIP whose OFD.xml is some other XML (an OOXML-style root)."""
    return zip_of([("OFD.xml", b'<?xml version="1.0"?><Types xmlns="urn:x"/>')])


HOSTILE_OFDS = {
    "zip_bomb_entry": (zip_bomb_entry, "too_complex"),
    "zip_bomb_total": (zip_bomb_total, "too_complex"),
    "path_traversal": (path_traversal, "ofd_unsafe_path"),
    "absolute_path": (absolute_path, "ofd_unsafe_path"),
    "backslash_path": (backslash_path, "ofd_unsafe_path"),
    "duplicate_entry": (duplicate_entry, "ofd_duplicate_entry"),
    "central_local_mismatch": (central_local_mismatch, "ofd_zip_mismatch"),
    "crc_mismatch": (crc_mismatch, "ofd_zip_mismatch"),
    "encrypted_flag": (encrypted_flag, "ofd_encrypted"),
    "many_entries": (many_entries, "too_complex"),
    "unknown_zip_version": (unknown_zip_version, "ofd_not_zip"),
    "xxe": (xxe, "ofd_xml_forbidden"),
    "not_ofd_root": (not_ofd_root, "ofd_not_ofd"),
    "no_ofd_xml": (lambda: zip_of([("Doc_0/Document.xml", DOCUMENT_XML)]), "ofd_not_ofd"),
    "not_zip": (lambda: b"%PDF-1.7\n" + b"x" * 100, "ofd_not_zip"),
    "truncated_zip": (lambda: minimal_ofd()[:-40], "ofd_not_zip"),
}
"""name → (builder, expected error code). billion_laughs is read lazily (in Document.xml) and
tested through :meth:`OfdPackage.xml`."""
