"""One OFD package (GB/T 33190-2016 §7.2: a ZIP container whose root holds ``OFD.xml``), read safely.

:meth:`OfdPackage.from_bytes` reads every entry once, under the same per-document budget as a PDF
(:mod:`esign.budget`), and refuses before anything else looks at the content:

* not a ZIP (``ofd_not_zip``), or a ZIP without an ``OFD.xml`` whose root is ``ofd:OFD``
  (``ofd_not_ofd``);
* entry names that could leave the package or mean two things (``ofd_unsafe_path``): ``..`` or
  ``.`` segments, absolute names, backslashes, drive letters, empty segments, control characters;
* the same name twice (``ofd_duplicate_entry``) — readers disagree on which one wins;
* an entry whose local file header disagrees with the central directory (name, method, CRC,
  sizes) or whose data overlaps another's (``ofd_zip_mismatch``: the "overlapping files" zip bomb
  and the "two readers see two documents" trick, APPNOTE.TXT §4.3.7/§4.3.12);
* encrypted entries (``ofd_encrypted``) and compression other than stored/deflate
  (``ofd_unsupported_compression``; GB/T 33190 §7.2 names deflate);
* too many entries, an entry or the whole package decompressing past the budget (``too_complex``,
  HTTP 422). Decompression is bounded while it runs (64 KiB chunks counted against
  :class:`~esign.budget.Meter`), never inflated first and checked after.

XML parts are parsed by :func:`esign.ofd.xml.parse_xml` (no DTD, no entities, no network).
Paths follow GB/T 33190 §7.2: a ``ST_Loc`` starting with ``/`` is relative to the package root,
otherwise to the folder of the file that names it.

Not checked here: what the XML means (that is :mod:`esign.ofd.verify` and the stamper's business).
"""

from __future__ import annotations

import io
import itertools
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lxml import etree

from esign.budget import Budget, Meter
from esign.errors import InputError
from esign.ofd.xml import OFD_NS, parse_xml, q

__all__ = ["MAX_ENTRIES", "OfdPackage", "is_ofd", "write_package"]

MAX_ENTRIES = 10_000
"""Most entries one package may have (a 2 000-page OFD with resources stays far below)."""

_CHUNK = 64 * 1024
_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_LOCAL_SIG = b"PK\x03\x04"
_BAD_NAME = re.compile(r"[\x00-\x1f\x7f\\:]")


def _err(code: str, zh: str, en: str, **data: object) -> InputError:
    return InputError(zh, en, code=code, field="file", **data)


def _not_zip(detail: str) -> InputError:
    return _err(
        "ofd_not_zip",
        "文件不是有效的 OFD（OFD 是 ZIP 包，此文件无法作为 ZIP 读取）。",
        f"The file is not a valid OFD (an OFD is a ZIP package): {detail}.",
    )


def _check_name(raw: str) -> str:
    """The entry name as stored, refused unless it is a plain relative path inside the package."""
    name = raw[:-1] if raw.endswith("/") else raw
    segs = name.split("/")
    if (
        not name
        or raw.startswith("/")
        or _BAD_NAME.search(name)
        or any(s in ("", ".", "..") for s in segs)
        or len(raw) > 1024
    ):
        raise _err(
            "ofd_unsafe_path",
            f"OFD 包内条目名称不安全（{raw[:80]!r}）：不允许 “..”、绝对路径、反斜杠或控制字符。",
            f"Unsafe entry name in the OFD package ({raw[:80]!r}): '..', absolute paths, "
            "backslashes and control characters are not allowed.",
            entry=raw[:200],
        )
    return raw


def _mismatch(name: str, what: str) -> InputError:
    return _err(
        "ofd_zip_mismatch",
        f"OFD 包结构不一致：条目 {name} 的本地文件头与中央目录不符（{what}），拒绝处理。",
        f"Inconsistent OFD package: the local header of {name} disagrees with the central directory ({what}).",
        entry=name[:200],
    )


def _check_local(data: bytes, info: zipfile.ZipInfo) -> tuple[int, int]:
    """Compare the local file header with the central directory; return the entry's byte span."""
    off = info.header_offset
    if off < 0 or off + _LOCAL.size > len(data):
        raise _mismatch(info.filename, "header offset")
    sig, _ver, flags, method, _t, _d, crc, csize, usize, nlen, xlen = _LOCAL.unpack_from(data, off)
    if sig != _LOCAL_SIG:
        raise _mismatch(info.filename, "signature")
    lname = data[off + _LOCAL.size : off + _LOCAL.size + nlen]
    cname = info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437", "replace")
    if lname != cname and lname.decode("utf-8", "replace") != info.orig_filename:
        raise _mismatch(info.filename, "name")
    if method != info.compress_type:
        raise _mismatch(info.filename, "compression method")
    if (flags & 0x1) != (info.flag_bits & 0x1):
        raise _mismatch(info.filename, "encryption flag")
    if not flags & 0x8:  # sizes and CRC are in the local header itself
        if crc != info.CRC:
            raise _mismatch(info.filename, "CRC")
        if csize != 0xFFFFFFFF and (csize != info.compress_size or usize != info.file_size):
            raise _mismatch(info.filename, "sizes")
    start = off + _LOCAL.size + nlen + xlen
    end = start + info.compress_size
    if end > len(data):
        raise _mismatch(info.filename, "data past the end of the file")
    return off, end


def _inflate(zf: zipfile.ZipFile, info: zipfile.ZipInfo, meter: Meter) -> bytes:
    out = bytearray()
    limit = meter.budget.stream_bytes
    if info.file_size > limit:
        raise meter.refuse(
            f"条目 {info.filename} 解压后超过 {limit // (1024 * 1024)} MB",
            f"the entry {info.filename} inflates to more than {limit // (1024 * 1024)} MiB",
            limit="stream_bytes",
        )
    try:
        with zf.open(info) as f:
            while chunk := f.read(_CHUNK):
                out += chunk
                meter.charge_decoded(len(chunk))
                if len(out) > limit:
                    raise meter.refuse(
                        f"条目 {info.filename} 解压后超过 {limit // (1024 * 1024)} MB",
                        f"the entry {info.filename} inflates to more than {limit // (1024 * 1024)} MiB",
                        limit="stream_bytes",
                    )
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as e:
        raise _err(
            "ofd_zip_corrupt",
            f"OFD 包中的条目 {info.filename} 已损坏（{e}）。",
            f"The entry {info.filename} of the OFD package is corrupt: {e}.",
            entry=info.filename[:200],
        ) from e
    return bytes(out)


@dataclass(frozen=True)
class OfdPackage:
    """An immutable, fully read OFD package. Make it with :meth:`from_bytes`."""

    names: tuple[str, ...]
    """File entry names in central-directory order (folders left out), e.g. ``Doc_0/Document.xml``."""
    _files: Mapping[str, bytes]
    namespace: str = OFD_NS
    """The namespace the producer used for the OFD elements (root of ``OFD.xml``). GB/T 33190 names
    :data:`~esign.ofd.xml.OFD_NS`; older producers write ``http://www.ofdspec.org`` and easyofd its
    own. :meth:`xml` gives every part in :data:`~esign.ofd.xml.OFD_NS` whatever this is."""

    @classmethod
    def from_bytes(cls, data: bytes, *, budget: Budget | Meter | None = None) -> OfdPackage:
        """Read ``data`` as an OFD; refuse hostile or broken packages (see the module docstring).

        ``budget`` is the request's :class:`~esign.budget.Meter` (charged for what is inflated) or a
        :class:`~esign.budget.Budget`; by default the budget of a file of ``len(data)`` bytes."""
        if isinstance(budget, Meter):
            meter = budget
        else:
            meter = Meter(budget if budget is not None else Budget.for_size(len(data)))
        if not data.startswith(_LOCAL_SIG) and not data.startswith(b"PK\x05\x06"):
            raise _not_zip("no ZIP signature at the start")
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
            infos = zf.infolist()
        except (
            zipfile.BadZipFile,
            zipfile.LargeZipFile,
            ValueError,
            EOFError,
            OSError,
            struct.error,
            NotImplementedError,  # a "version needed to extract" zipfile does not know
        ) as e:
            raise _not_zip(str(e) or type(e).__name__) from e
        if len(infos) > min(MAX_ENTRIES, meter.budget.objects):
            raise meter.refuse(
                f"ZIP 条目超过 {min(MAX_ENTRIES, meter.budget.objects)} 个",
                f"more than {min(MAX_ENTRIES, meter.budget.objects)} ZIP entries",
                limit="entries",
                entries=len(infos),
            )
        seen: set[str] = set()
        spans: list[tuple[int, int, str]] = []
        for info in infos:
            raw = _check_name(info.filename)
            key = raw.rstrip("/")
            if key in seen or key.casefold() in seen:
                raise _err(
                    "ofd_duplicate_entry",
                    f"OFD 包中条目 {key[:80]} 出现不止一次，拒绝处理。",
                    f"The OFD package holds the entry {key[:80]} more than once; refused.",
                    entry=key[:200],
                )
            seen.add(key)
            seen.add(key.casefold())
            if info.flag_bits & 0x1:
                raise _err(
                    "ofd_encrypted",
                    f"OFD 包中的条目 {key[:80]} 已加密，无法处理。",
                    f"The entry {key[:80]} of the OFD package is encrypted.",
                )
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise _err(
                    "ofd_unsupported_compression",
                    f"OFD 包中的条目 {key[:80]} 使用了不支持的压缩方式（{info.compress_type}），只接受 Deflate。",
                    f"The entry {key[:80]} uses compression method {info.compress_type}; only deflate is accepted.",
                )
            start, end = _check_local(data, info)
            spans.append((start, end, key))
        spans.sort()
        for (_s1, e1, n1), (s2, _e2, n2) in itertools.pairwise(spans):
            if s2 < e1:
                raise _mismatch(n2, f"data overlaps {n1}")
        files: dict[str, bytes] = {}
        names: list[str] = []
        with meter.active():
            for info in infos:
                if info.is_dir():
                    continue
                files[info.filename] = _inflate(zf, info, meter)
                names.append(info.filename)
            meter.check()
        if "OFD.xml" not in files:
            raise _err(
                "ofd_not_ofd",
                "文件是 ZIP 包，但根目录没有 OFD.xml，不是 OFD 文件。",
                "The file is a ZIP package without OFD.xml at its root: not an OFD.",
            )
        root = parse_xml(files["OFD.xml"], "OFD.xml")
        qname = etree.QName(root)
        if qname.localname != "OFD" or not qname.namespace:
            raise _err(
                "ofd_not_ofd",
                f"OFD.xml 的根元素不是 ofd:OFD（实际为 {str(root.tag)[:120]}），不是 OFD 文件。",
                f"The root element of OFD.xml is {str(root.tag)[:120]}, not ofd:OFD: not an OFD.",
            )
        return cls(tuple(names), files, qname.namespace)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._files

    def read(self, name: str) -> bytes:
        """The decompressed bytes of entry ``name`` (a package path, no leading slash)."""
        try:
            return self._files[name]
        except KeyError:
            raise _err(
                "ofd_missing_part",
                f"OFD 包中缺少引用的文件 {name[:120]}。",
                f"The OFD package lacks the referenced file {name[:120]}.",
                entry=name[:200],
            ) from None

    def xml(self, name: str) -> etree._Element:
        """Entry ``name`` parsed by :func:`esign.ofd.xml.parse_xml` (no DTD, no entities)."""
        root = parse_xml(self.read(name), name)
        if self.namespace != OFD_NS:
            _renamespace(root, self.namespace)
        return root

    def files(self) -> dict[str, bytes]:
        """A copy of every entry (name → bytes), in package order."""
        return {n: self._files[n] for n in self.names}

    def doc_roots(self) -> tuple[str, ...]:
        """Package paths of the documents' ``Document.xml`` (OFD.xml ``DocBody/DocRoot``, in order)."""
        root = self.xml("OFD.xml")
        out = []
        for el in root.iter(q("DocRoot")):
            out.append(self.resolve("OFD.xml", (el.text or "").strip()))
        return tuple(out)

    def resolve(self, base: str, ref: str) -> str:
        """The package path named by ``ref`` in the file ``base`` (GB/T 33190 §7.2 ST_Loc).

        Refuses (``ofd_unsafe_path``) a reference that leaves the package or is empty."""
        ref = ref.strip()
        if ref.startswith("/"):
            joined = ref.lstrip("/")
        else:
            joined = posixpath.join(posixpath.dirname(base), ref)
        if not ref or "\\" in ref or _BAD_NAME.search(ref.replace(":", "")):
            raise _err(
                "ofd_unsafe_path",
                f"OFD 中的路径引用 {ref[:80]!r}（出现在 {base}）无效。",
                f"Invalid path reference {ref[:80]!r} in {base}.",
            )
        norm = posixpath.normpath(joined)
        if norm.startswith("../") or norm == ".." or norm.startswith("/") or norm == ".":
            raise _err(
                "ofd_unsafe_path",
                f"OFD 中的路径引用 {ref[:80]!r}（出现在 {base}）指向包外，拒绝处理。",
                f"The path reference {ref[:80]!r} in {base} points outside the package; refused.",
            )
        return norm


def _renamespace(root: etree._Element, ns: str) -> None:
    """Move the elements of a producer's own namespace into :data:`OFD_NS` (in place)."""
    old = f"{{{ns}}}"
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.startswith(old):
            el.tag = q(el.tag[len(old) :])
    etree.cleanup_namespaces(root)


def is_ofd(data: bytes) -> bool:
    """Whether ``data`` is meant as an OFD, by content: a ZIP (local header signature first) holding an
    entry named ``OFD.xml`` (the name is stored uncompressed in the headers).

    Cheap and never raises; it decides which reader answers, so a broken or hostile package still
    reaches :meth:`OfdPackage.from_bytes` and gets its precise refusal (a wrong root included)."""
    return data[:4] == _LOCAL_SIG and b"OFD.xml" in data


_EPOCH = (1980, 1, 1, 0, 0, 0)


def write_package(entries: Mapping[str, bytes] | Iterable[tuple[str, bytes]]) -> bytes:
    """A deterministic OFD ZIP of ``entries`` in the given order (fixed timestamps, deflate level 6,
    UTF-8 names); the same entries always give the same bytes. Names are checked like on reading."""
    items = list(entries.items()) if isinstance(entries, Mapping) else list(entries)
    buf = io.BytesIO()
    seen: set[str] = set()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, content in items:
            _check_name(name)
            if name in seen:
                raise _err(
                    "ofd_duplicate_entry",
                    f"OFD 包中条目 {name[:80]} 出现不止一次。",
                    f"The OFD package would hold the entry {name[:80]} twice.",
                )
            seen.add(name)
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            zf.writestr(info, content, compresslevel=6)
    return buf.getvalue()
