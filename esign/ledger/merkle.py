"""Merkle tree hashing, inclusion and consistency proofs exactly as in RFC 6962 / RFC 9162 §2.1.

Hashes: leaf = SHA-256(0x00 || data), interior node = SHA-256(0x01 || left || right), the empty
tree = SHA-256(""). Proofs are generated from *complete subtree* hashes addressed by
:data:`NodeId` ``(level, index)`` -- the hash of leaves ``[index * 2**level, (index + 1) * 2**level)``.
Every RFC 6962 subtree that appears in a proof is either such a node or a right-edge subtree that
is the right fold of a few of them, so a store that keeps every complete node answers any proof
with O(log n) reads (see :func:`inclusion_node_ids`). :class:`MemoryTree` keeps them in lists.

Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 step by step and fails closed: a proof element
that is not 32 bytes, a proof that is too long or too short, or sizes out of range all fail.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence

from esign.ledger.errors import InvalidProofError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MemoryTree",
    "NodeId",
    "NodeReader",
    "consistency_node_ids",
    "consistency_proof",
    "hash_children",
    "hash_leaf",
    "inclusion_node_ids",
    "inclusion_proof",
    "root_from_peaks",
    "root_hash",
    "span_node_ids",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

#: ``(level, index)``: the complete subtree over leaves ``[index << level, (index + 1) << level)``.
NodeId = tuple[int, int]
#: Fetches the hashes of the given complete nodes (all of them, or raises).
NodeReader = Callable[[Sequence[NodeId]], Mapping[NodeId, bytes]]

_Span = tuple[int, int]


def hash_leaf(data: bytes) -> bytes:
    """RFC 6962 leaf hash: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def span_node_ids(start: int, end: int) -> list[NodeId]:
    """The complete nodes whose right fold is MTH(D[start:end]), left to right.

    ``start`` must be aligned to the largest power of two not below ``end - start`` (which holds
    for every subtree RFC 6962 builds, and for ``start == 0``).
    """
    out: list[NodeId] = []
    pos, length = start, end - start
    for level in range(length.bit_length() - 1, -1, -1):
        if length >> level & 1:
            out.append((level, pos >> level))
            pos += 1 << level
    return out


def _fold(hashes: Sequence[bytes]) -> bytes:
    h = hashes[-1]
    for left in reversed(hashes[:-1]):
        h = hash_children(left, h)
    return h


def root_from_peaks(peaks: Sequence[bytes]) -> bytes:
    """The root of a tree from its compact range (the complete nodes of :func:`span_node_ids` (0, n))."""
    return _fold(peaks) if peaks else EMPTY_ROOT


def _inclusion_spans(index: int, size: int) -> list[_Span]:
    # RFC 9162 §2.1.3.1 PATH(m, D[n]), iteratively, innermost sibling first.
    out: list[_Span] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index - lo < k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo = lo + k
    out.reverse()
    return out


def _consistency_spans(old: int, size: int) -> list[_Span]:
    # RFC 9162 §2.1.4.1 SUBPROOF(m, D[n], true), iteratively.
    out: list[_Span] = []
    lo, hi, m, complete = 0, size, old, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    if not complete:
        out.append((lo, hi))
    out.reverse()
    return out


def _check_index(index: int, size: int) -> None:
    if not 0 <= index < size:
        raise InvalidProofError("条目序号超出日志范围", f"index {index} is outside a log of size {size}")


def _check_sizes(old: int, size: int) -> None:
    if not 0 <= old <= size:
        raise InvalidProofError("日志大小不合法", f"sizes {old} and {size} do not describe a growing log")


def inclusion_node_ids(index: int, size: int) -> list[NodeId]:
    """Every complete node an inclusion proof of ``index`` in a tree of ``size`` leaves needs."""
    _check_index(index, size)
    return [n for a, b in _inclusion_spans(index, size) for n in span_node_ids(a, b)]


def consistency_node_ids(old: int, size: int) -> list[NodeId]:
    """Every complete node a consistency proof from ``old`` to ``size`` needs."""
    _check_sizes(old, size)
    if old in (0, size):
        return []
    return [n for a, b in _consistency_spans(old, size) for n in span_node_ids(a, b)]


def _assemble(spans: Iterable[_Span], read: NodeReader) -> list[bytes]:
    spans = list(spans)
    ids = [[*span_node_ids(a, b)] for a, b in spans]
    nodes = read(sorted({n for group in ids for n in group}))
    return [_fold([nodes[n] for n in group]) for group in ids]


def inclusion_proof(index: int, size: int, read: NodeReader) -> list[bytes]:
    """The RFC 9162 inclusion proof (audit path) of leaf ``index`` in the tree of ``size`` leaves."""
    _check_index(index, size)
    return _assemble(_inclusion_spans(index, size), read)


def consistency_proof(old: int, size: int, read: NodeReader) -> list[bytes]:
    """The RFC 9162 consistency proof between the trees of ``old`` and ``size`` leaves.

    Empty when ``old`` is 0 or equal to ``size`` (those trees are consistent by definition).
    """
    _check_sizes(old, size)
    if old in (0, size):
        return []
    return _assemble(_consistency_spans(old, size), read)


def root_hash(size: int, read: NodeReader) -> bytes:
    """MTH of the first ``size`` leaves."""
    if size == 0:
        return EMPTY_ROOT
    ids = span_node_ids(0, size)
    nodes = read(ids)
    return _fold([nodes[n] for n in ids])


# -- verification (RFC 9162 §2.1.3.2, §2.1.4.2) ------------------------------------------------


def _bad(zh: str, en: str) -> InvalidProofError:
    return InvalidProofError(zh, en)


def _check_hashes(proof: Sequence[bytes]) -> None:
    if any(len(p) != HASH_SIZE for p in proof):
        raise _bad("证明中的哈希长度错误", "a proof element is not a 32-byte hash")


def _root_from_inclusion(index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes]) -> bytes:
    if not 0 <= index < size:
        raise _bad("条目序号超出日志范围", f"index {index} is outside a log of size {size}")
    _check_hashes(proof)
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            raise _bad("包含证明过长", "inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = hash_children(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = hash_children(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise _bad("包含证明过短", "inclusion proof is too short")
    return r


def verify_inclusion(index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` leaves with ``root``.

    Raises :class:`InvalidProofError` on any failure; returns nothing on success.
    """
    if len(leaf_hash) != HASH_SIZE or len(root) != HASH_SIZE:
        raise _bad("叶哈希或根哈希长度错误", "leaf hash and root must be 32-byte hashes")
    if _root_from_inclusion(index, size, leaf_hash, proof) != root:
        raise _bad("包含证明与根哈希不符", "inclusion proof does not lead to the root")


def verify_consistency(old: int, size: int, old_root: bytes, root: bytes, proof: Sequence[bytes]) -> None:
    """Check that the tree of ``old`` leaves with ``old_root`` is a prefix of the one with ``root``.

    As in RFC 9162, ``old == size`` needs equal roots and an empty proof; ``old == 0`` needs an
    empty proof (the empty tree is a prefix of every tree). Raises :class:`InvalidProofError`.
    """
    if not 0 <= old <= size:
        raise _bad("日志大小不合法", f"sizes {old} and {size} do not describe a growing log")
    if old == size:
        if proof or old_root != root:
            raise _bad("同一大小的两个根哈希不同", "same size but different roots, or a non-empty proof")
        return
    if old == 0:
        if proof:
            raise _bad("空树的一致性证明必须为空", "consistency proof from the empty tree must be empty")
        return
    if not proof:
        raise _bad("一致性证明为空", "consistency proof is empty")
    _check_hashes(proof)
    if len(old_root) != HASH_SIZE or len(root) != HASH_SIZE:
        raise _bad("根哈希长度错误", "roots must be 32-byte hashes")
    path = list(proof)
    if old & (old - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old - 1, size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise _bad("一致性证明过长", "consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = hash_children(c, fr)
            sr = hash_children(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = hash_children(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0 or fr != old_root or sr != root:
        raise _bad("一致性证明不成立", "consistency proof does not verify")


class MemoryTree:
    """A Merkle tree in memory keeping every complete node: O(1) amortized append, O(log n) proofs.

    ``levels[l][i]`` is the hash of node ``(l, i)``. Used by tests, the benchmark, the audit (to
    recompute a stored log) and :class:`esign.ledger.memory.MemoryLedger`.
    """

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [[]]
        for h in leaf_hashes:
            self.append_hash(h)

    @property
    def size(self) -> int:
        """Number of leaves."""
        return len(self.levels[0])

    def append(self, data: bytes) -> int:
        """Append leaf data; returns its index."""
        return self.append_hash(hash_leaf(data))

    def append_hash(self, leaf_hash: bytes) -> int:
        """Append a leaf by its hash; returns its index."""
        index = len(self.levels[0])
        self.levels[0].append(leaf_hash)
        level, i, h = 0, index, leaf_hash
        while i & 1:
            h = hash_children(self.levels[level][i - 1], h)
            level += 1
            i >>= 1
            if len(self.levels) == level:
                self.levels.append([])
            self.levels[level].append(h)
        return index

    def read(self, ids: Sequence[NodeId]) -> dict[NodeId, bytes]:
        """A :data:`NodeReader` over this tree."""
        try:
            return {(lv, i): self.levels[lv][i] for lv, i in ids}
        except IndexError as e:
            raise InvalidProofError("请求的节点不存在", "requested node is outside the tree") from e

    def peaks(self, size: int | None = None) -> list[bytes]:
        """The compact range of the first ``size`` leaves (default: all)."""
        ids = span_node_ids(0, self.size if size is None else size)
        nodes = self.read(ids)
        return [nodes[n] for n in ids]

    def root(self, size: int | None = None) -> bytes:
        """MTH of the first ``size`` leaves (default: all)."""
        return root_hash(self.size if size is None else size, self.read)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Inclusion proof of ``index`` in the tree of the first ``size`` leaves (default: all)."""
        return inclusion_proof(index, self.size if size is None else size, self.read)

    def consistency_proof(self, old: int, size: int | None = None) -> list[bytes]:
        """Consistency proof from ``old`` leaves to ``size`` leaves (default: all)."""
        return consistency_proof(old, self.size if size is None else size, self.read)
