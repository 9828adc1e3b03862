"""The budget's figures (:class:`Budget`) and what one request has spent of them (:class:`Meter`).

See :mod:`esign.budget` for what is bounded and why; this module holds the numbers.
"""

from __future__ import annotations

import contextlib
import contextvars
import ctypes
import ctypes.util
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pyhanko.pdf_utils.decode_limits import DecodeLimits, DecodePurpose, DocumentDecodeBudget, StreamDecodeLimits

from esign.errors import TooComplexError

__all__ = [
    "MAX_CPU_SECONDS",
    "MAX_DECODED_BYTES",
    "MAX_IMPRESSIONS",
    "MAX_OBJECTS",
    "MAX_PAGES",
    "MAX_STREAM_BYTES",
    "MAX_TEXT_CONTENT_BYTES",
    "Budget",
    "Meter",
    "MiB",
    "active_meter",
    "check_impressions",
    "checkpoint",
    "release_free_memory",
    "tune_allocator",
]

MiB = 1024 * 1024

MAX_DECODED_BYTES = 160 * MiB
"""Ceiling of the decoded bytes of one document (all streams, all revisions)."""
MAX_STREAM_BYTES = 64 * MiB
"""Ceiling of one decoded stream."""
MAX_OBJECTS = 200_000
"""Ceiling of cross-reference entries over all revisions."""
MAX_PAGES = 2_000
"""Most pages a document may have."""
MAX_IMPRESSIONS = 200
"""Most seal images one stamping may put on a document (the register's 使用数)."""
MAX_TEXT_CONTENT_BYTES = 32 * MiB
"""Ceiling of what PDFium may decode to search the text of a document."""
MAX_CPU_SECONDS = 4.0
"""Ceiling of the CPU time spent reading one document."""


@dataclass(frozen=True)
class Budget:
    """The limits for one document; make it with :meth:`for_size`."""

    decoded_bytes: int
    """Bytes all stream decoders together may produce."""
    stream_bytes: int
    """Bytes one stream may decode to."""
    objects: int
    """Cross-reference entries over all revisions."""
    pages: int
    """Pages."""
    text_content_bytes: int
    """Decoded page content (content streams, forms, fonts) PDFium may parse for a text search."""
    cpu_seconds: float
    """CPU time of the reading thread."""

    @classmethod
    def for_size(cls, size: int) -> Budget:
        """The budget of a file of ``size`` bytes: a base, a share proportional to the file, a ceiling."""
        size = max(0, int(size))
        decoded = min(48 * MiB + 4 * size, MAX_DECODED_BYTES)
        return cls(
            decoded_bytes=decoded,
            stream_bytes=min(MAX_STREAM_BYTES, decoded),
            objects=min(10_000 + size // 64, MAX_OBJECTS),
            pages=MAX_PAGES,
            text_content_bytes=min(8 * MiB + size, MAX_TEXT_CONTENT_BYTES),
            cpu_seconds=min(1.5 + 0.25 * size / MiB, MAX_CPU_SECONDS),
        )

    def decode_limits(self) -> DecodeLimits:
        """pyHanko's per-stream limits for this budget (the document total is kept by :class:`Meter`)."""
        tight = {
            DecodePurpose.OBJECT_STREAM: StreamDecodeLimits(
                max_ratio=100, ratio_floor=4 * MiB, max_output_size=16 * MiB
            ),
            DecodePurpose.XREF_STREAM: StreamDecodeLimits(max_ratio=None, max_output_size=self.objects * 20),
            DecodePurpose.XMP_METADATA: StreamDecodeLimits(max_ratio=100, ratio_floor=MiB, max_output_size=4 * MiB),
            DecodePurpose.CERTIFICATE: StreamDecodeLimits(max_ratio=None, max_output_size=MiB),
            DecodePurpose.OCSP_RESPONSE: StreamDecodeLimits(max_ratio=None, max_output_size=4 * MiB),
            DecodePurpose.CRL: StreamDecodeLimits(max_ratio=50, ratio_floor=4 * MiB, max_output_size=None),
        }
        return DecodeLimits(
            per_stream=StreamDecodeLimits(max_ratio=1100, ratio_floor=MiB, max_output_size=self.stream_bytes),
            per_purpose=tight,
            document_budget=DocumentDecodeBudget(base_allowance=self.decoded_bytes, max_ratio=0),
        )


@dataclass
class Meter:
    """What one request has spent of its :class:`Budget`. Not shared between threads.

    The first limit crossed is remembered: pyHanko (and our own readers) catch some exceptions and
    carry on, so the callers ask :meth:`check` at the end and the refusal still wins.
    """

    budget: Budget
    decoded: int = 0
    objects: int = 0
    text_content: int = 0
    exceeded: tuple[str, str, dict[str, Any]] | None = None
    """The first limit crossed: Chinese and English reason and data (kept as text, not as an
    exception, whose traceback would hold the reader and its decoded streams alive in a cycle)."""
    _cpu_starts: dict[int, float] = field(default_factory=lambda: {threading.get_ident(): time.thread_time()})
    _wall_start: float = field(default_factory=time.perf_counter)

    @classmethod
    def for_size(cls, size: int) -> Meter:
        """A fresh meter for a file of ``size`` bytes."""
        return cls(Budget.for_size(size))

    @property
    def cpu_seconds(self) -> float:
        """CPU time of the calling thread since it first used the meter (pyHanko may hand work to
        other threads, which carry the meter in their context; thread clocks are not comparable)."""
        now = time.thread_time()
        return now - self._cpu_starts.setdefault(threading.get_ident(), now)

    def refuse(self, what_zh: str, what_en: str, **data: Any) -> TooComplexError:
        """Remember the refusal (the first one is kept) and return it as a new exception."""
        if self.exceeded is None:
            self.exceeded = (what_zh, what_en, data)
        zh, en, kept = self.exceeded
        return TooComplexError(
            f"文件内容过于复杂，超出单个文件的处理限额（{zh}），拒绝处理。",
            f"The document is too complex to process: {en}.",
            field="file",
            **kept,
        )

    @contextlib.contextmanager
    def active(self) -> Iterator[Meter]:
        """Make this the meter of the current context: cross-reference entries parsed by any reader,
        pyHanko's per-stream limits and :func:`checkpoint` charge it."""
        token = _ACTIVE.set(self)
        try:
            yield self
        finally:
            _ACTIVE.reset(token)

    def check(self, *, cpu: bool = True) -> None:
        """Raise the remembered refusal, and (``cpu``) refuse when the CPU time is spent."""
        if self.exceeded is not None:
            raise self.refuse(*self.exceeded[:2])
        if not cpu:
            return
        # A thread cannot have spent more CPU time since it started on this document than wall time
        # has passed since the meter was made, so the thread clock (a system call, which on a busy
        # machine hands the processor to another process) is read only once that could be over budget.
        if (
            time.perf_counter() - self._wall_start <= self.budget.cpu_seconds
            and threading.get_ident() in self._cpu_starts
        ):
            return
        spent = self.cpu_seconds
        if spent > self.budget.cpu_seconds:
            raise self.refuse(
                f"处理时间超过 {self.budget.cpu_seconds:.1f} 秒",
                f"reading it took more than {self.budget.cpu_seconds:.1f} s of CPU time",
                limit="cpu_seconds",
                cpu_seconds=round(spent, 2),
            )

    def charge_decoded(self, n: int) -> None:
        """Count ``n`` decoded bytes; refuse past the document total (and at it, when ``n`` is 0:
        nothing more may be decoded)."""
        self.decoded += n
        if self.decoded > self.budget.decoded_bytes or (n == 0 and self.decoded >= self.budget.decoded_bytes):
            raise self.refuse(
                f"解压后数据超过 {self.budget.decoded_bytes // MiB} MB",
                f"its streams decode to more than {self.budget.decoded_bytes // MiB} MiB",
                limit="decoded_bytes",
            )
        self.check()

    def charge_objects(self, n: int = 1) -> None:
        """Count cross-reference entries; refuse past the object budget."""
        self.objects += n
        if self.objects > self.budget.objects:
            raise self.refuse(
                f"对象数超过 {self.budget.objects}",
                f"it has more than {self.budget.objects} objects",
                limit="objects",
            )

    def check_pages(self, count: int) -> None:
        """Refuse a document with more pages than the budget."""
        if count > self.budget.pages:
            raise self.refuse(
                f"页数超过 {self.budget.pages}", f"it has more than {self.budget.pages} pages", limit="pages"
            )
        self.check()

    def charge_chunk(self, chunk: bytes) -> None:
        """:meth:`charge_text_content` for a decoded chunk of a font program."""
        self.charge_text_content(len(chunk))

    def charge_text_content(self, n: int) -> None:
        """Count page content PDFium would have to decode; refuse past the text-search budget."""
        self.text_content += n
        if self.text_content > self.budget.text_content_bytes:
            raise self.refuse(
                f"页面内容解压后超过 {self.budget.text_content_bytes // MiB} MB，无法检索文字",
                f"its page content decodes to more than {self.budget.text_content_bytes // MiB} MiB for text search",
                limit="text_content_bytes",
            )
        self.check()


_ACTIVE: contextvars.ContextVar[Meter | None] = contextvars.ContextVar("esign_budget_meter", default=None)


def active_meter() -> Meter | None:
    """The meter made active by :meth:`Meter.active` in this context, if any."""
    return _ACTIVE.get()


def checkpoint() -> None:
    """Refuse if the active meter (:meth:`Meter.active`) is over budget; loops over pages,
    revisions and objects call this."""
    meter = _ACTIVE.get()
    if meter is not None:
        meter.check()


def check_impressions(count: int) -> None:
    """Refuse a stamping that would put more than :data:`MAX_IMPRESSIONS` seal images on a document."""
    if count > MAX_IMPRESSIONS:
        raise TooComplexError(
            f"一次盖章最多 {MAX_IMPRESSIONS} 处印章（骑缝章每页算一处），本次需要 {count} 处，拒绝处理。",
            f"One stamping puts at most {MAX_IMPRESSIONS} seal images on a document (a riding seal counts "
            f"one per page); this one needs {count}.",
            field="placement",
            limit="impressions",
            impressions=count,
        )


def tune_allocator() -> bool:
    """Let a long-running process give decoded buffers back to the system (glibc only).

    glibc serves requests above ``M_MMAP_THRESHOLD`` with their own mappings, returned to the
    system when freed; but it raises that threshold after every such free (up to 32 MiB), so after
    one large document the next one's buffers come from heap arenas that are rarely trimmed: the
    memory stays with the process. A fixed threshold (which also turns that adjustment off) keeps
    large buffers in mappings. Returns whether it was applied.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, 256 * 1024) == 1)


_M_MMAP_THRESHOLD = -3  # <malloc.h>


def release_free_memory() -> bool:
    """Hand the heap's free memory back to the system now (glibc's ``malloc_trim``; elsewhere nothing).

    glibc keeps memory freed in the middle of its heap resident for reuse; memory freed by one phase of
    a request (PDFium's parse of a large document) then still counts while the next phase (signing,
    whose small Python objects come from arenas of their own) grows beside it. Trimming in between
    makes the request's peak the larger of the two phases instead of their sum. It walks the free
    lists: about 0.1 ms in a running service, so it is for large documents, not every request.
    Returns whether it was done.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return False
    trim(0)
    return True
