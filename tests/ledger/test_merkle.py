"""RFC 6962 hashing and proofs against the transparency-dev/merkle vectors, exhaustively to 64
leaves, and on random trees up to 10^5 leaves."""

from __future__ import annotations

import base64
import hashlib
import json
import random
from pathlib import Path

import pytest

from esign.ledger.errors import InvalidProofError
from esign.ledger.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    consistency_node_ids,
    hash_children,
    hash_leaf,
    inclusion_node_ids,
    verify_consistency,
    verify_inclusion,
)

VECTORS = Path(__file__).parent / "vectors"
TABLES = json.loads((VECTORS / "verify_test_tables.json").read_text())
LEAVES = [bytes.fromhex(h) for h in TABLES["leaves_hex"]]
ROOTS = [bytes.fromhex(h) for h in TABLES["roots_hex"]]


def _b64(s: str) -> bytes:
    return base64.b64decode(s)


def _mth(leaves: list[bytes]) -> bytes:
    """The RFC 6962 §2.1 definition, literally (recursive), as an independent reference."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hash_leaf(leaves[0])
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return hash_children(_mth(leaves[:k]), _mth(leaves[k:]))


def test_empty_root_and_hash_prefixes():
    assert EMPTY_ROOT.hex() == TABLES["empty_tree_hex"]
    assert hash_leaf(b"") == hashlib.sha256(b"\x00").digest()
    assert hash_children(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()


def test_roots_of_the_reference_tree():
    tree = MemoryTree()
    for i, leaf in enumerate(LEAVES):
        tree.append(leaf)
        assert tree.root() == ROOTS[i], i
        assert _mth(LEAVES[: i + 1]) == ROOTS[i]


@pytest.mark.parametrize("case", TABLES["inclusion_proofs"], ids=lambda c: f"{c['leaf']}-{c['size']}")
def test_inclusion_proof_table(case):
    tree = MemoryTree(hash_leaf(x) for x in LEAVES)
    index, size = case["leaf"] - 1, case["size"]
    want = [bytes.fromhex(h) for h in case["proof"]]
    assert tree.inclusion_proof(index, size) == want
    verify_inclusion(index, size, hash_leaf(LEAVES[index]), want, ROOTS[size - 1])


@pytest.mark.parametrize("case", TABLES["consistency_proofs"], ids=lambda c: f"{c['size1']}-{c['size2']}")
def test_consistency_proof_table(case):
    tree = MemoryTree(hash_leaf(x) for x in LEAVES)
    old, size = case["size1"], case["size2"]
    want = [bytes.fromhex(h) for h in case["proof"]]
    assert tree.consistency_proof(old, size) == want
    verify_consistency(old, size, ROOTS[old - 1], ROOTS[size - 1], want)


def _files(kind: str) -> list[Path]:
    return sorted((VECTORS / kind).rglob("*.json"))


@pytest.mark.parametrize("path", _files("inclusion"), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_inclusion_vector_files(path):
    v = json.loads(path.read_text())
    proof = [_b64(p) for p in v["proof"] or []]
    args = (v["leafIdx"], v["treeSize"], _b64(v["leafHash"]), proof, _b64(v["root"]))
    if v["wantErr"]:
        with pytest.raises(InvalidProofError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize("path", _files("consistency"), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_consistency_vector_files(path):
    v = json.loads(path.read_text())
    proof = [_b64(p) for p in v["proof"] or []]
    args = (v["size1"], v["size2"], _b64(v["root1"]), _b64(v["root2"]), proof)
    if v["wantErr"]:
        with pytest.raises(InvalidProofError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


def test_vector_files_present():
    # A vector directory that silently went missing would make the tests above vacuous.
    assert len(_files("inclusion")) >= 20 and len(_files("consistency")) >= 20


def _corruptions(proof: list[bytes]) -> list[list[bytes]]:
    out = [[*proof, b"\x00" * 32], [b"\x00" * 32, *proof], [*proof, b""]]
    if proof:
        out.append(proof[:-1])
        for i in range(len(proof)):
            bad = list(proof)
            bad[i] = bytes([bad[i][0] ^ 1]) + bad[i][1:]
            out.append(bad)
    return out


def test_all_proofs_up_to_64_leaves():
    data = [f"leaf {i}".encode() for i in range(64)]
    tree = MemoryTree()
    roots = [EMPTY_ROOT]
    for d in data:
        tree.append(d)
        roots.append(tree.root())
    for size in range(1, 65):
        assert roots[size] == _mth(data[:size])
        for index in range(size):
            leaf = hash_leaf(data[index])
            proof = tree.inclusion_proof(index, size)
            assert len(inclusion_node_ids(index, size)) <= 2 * size.bit_length()
            verify_inclusion(index, size, leaf, proof, roots[size])
            for bad in _corruptions(proof):
                with pytest.raises(InvalidProofError):
                    verify_inclusion(index, size, leaf, bad, roots[size])
            with pytest.raises(InvalidProofError):
                verify_inclusion(index, size, leaf, proof, roots[size - 1] if size > 1 else ROOTS[1])
            if size > 1:
                with pytest.raises(InvalidProofError):
                    verify_inclusion((index + 1) % size, size, leaf, proof, roots[size])
        for old in range(0, size + 1):
            proof = tree.consistency_proof(old, size)
            verify_consistency(old, size, roots[old], roots[size], proof)
            if 0 < old < size:
                assert len(consistency_node_ids(old, size)) >= len(proof)
                for bad in _corruptions(proof):
                    with pytest.raises(InvalidProofError):
                        verify_consistency(old, size, roots[old], roots[size], bad)
                with pytest.raises(InvalidProofError):
                    verify_consistency(old, size, roots[old - 1] if old > 1 else ROOTS[7], roots[size], proof)
                with pytest.raises(InvalidProofError):
                    verify_consistency(old, size, roots[old], roots[size - 1], proof)


def test_out_of_range_is_refused():
    tree = MemoryTree(hash_leaf(x) for x in LEAVES)
    for index, size in [(0, 0), (8, 8), (-1, 8)]:
        with pytest.raises(InvalidProofError):
            tree.inclusion_proof(index, size)
    for args in [(3, 2, ROOTS[2], ROOTS[1], []), (-1, 2, ROOTS[0], ROOTS[1], [])]:
        with pytest.raises(InvalidProofError):
            verify_consistency(*args)


def test_random_trees_up_to_100000():
    rng = random.Random(6962)
    n = 100_000
    tree = MemoryTree(hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(n))
    sizes = [n, 65_537, 65_536, 99_999, *(rng.randrange(1, n + 1) for _ in range(30))]
    for size in sizes:
        root = tree.root(size)
        for _ in range(20):
            index = rng.randrange(size)
            proof = tree.inclusion_proof(index, size)
            assert len(proof) <= size.bit_length()
            verify_inclusion(index, size, tree.levels[0][index], proof, root)
        old = rng.randrange(1, size + 1)
        verify_consistency(old, size, tree.root(old), root, tree.consistency_proof(old, size))
    # One full recomputation by the literal definition to anchor the fast tree.
    assert tree.root(1000) == _mth_hashes(tree.levels[0][:1000])


def _mth_hashes(hashes: list[bytes]) -> bytes:
    if len(hashes) == 1:
        return hashes[0]
    k = 1 << ((len(hashes) - 1).bit_length() - 1)
    return hash_children(_mth_hashes(hashes[:k]), _mth_hashes(hashes[k:]))
