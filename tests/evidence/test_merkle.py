"""RFC 9162 trees and proofs: our stored-subtree computation against the RFC's recursive
definition, every inclusion and consistency proof verified by the RFC's algorithms, and a
flipped byte breaking them."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from csoapi.evidence import merkle


def mth(leaves: list[bytes]) -> bytes:
    """MTH straight from RFC 9162 §2.1.1."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return merkle.leaf_hash(leaves[0])
    k = merkle.split(n)
    return merkle.node_hash(mth(leaves[:k]), mth(leaves[k:]))


def build(leaves: list[bytes]):
    nodes: dict[tuple[int, int], bytes] = {}

    def get(level: int, index: int) -> bytes:
        return nodes[(level, index)]

    for i, data in enumerate(leaves):
        for level, index, h in merkle.ancestors(i, merkle.leaf_hash(data), get):
            nodes[(level, index)] = h
    return get


def flip(b: bytes, at: int) -> bytes:
    return b[:at] + bytes([b[at] ^ 1]) + b[at + 1 :]


def test_known_sizes_and_split():
    assert [merkle.split(n) for n in (2, 3, 4, 5, 8, 9)] == [1, 2, 2, 4, 4, 8]
    assert merkle.root(build([]), 0, 0) == hashlib.sha256(b"").digest()


leaves_st = st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(leaves=leaves_st, data=st.data())
def test_every_inclusion_proof_verifies_and_a_flip_breaks_it(leaves, data):
    get = build(leaves)
    n = len(leaves)
    for size in range(1, n + 1):
        r = merkle.root(get, 0, size)
        assert r == mth(leaves[:size])
        for m in range(size):
            path = merkle.inclusion(get, m, 0, size)
            assert merkle.verify_inclusion(m, size, merkle.leaf_hash(leaves[m]), path, r)
    m = data.draw(st.integers(0, n - 1))
    path = merkle.inclusion(get, m, 0, n)
    r = merkle.root(get, 0, n)
    leaf = merkle.leaf_hash(leaves[m])
    at = data.draw(st.integers(0, 31))
    assert not merkle.verify_inclusion(m, n, merkle.leaf_hash(flip(leaves[m], at)), path, r)
    assert not merkle.verify_inclusion(m, n, leaf, path, flip(r, at))
    if path:
        j = data.draw(st.integers(0, len(path) - 1))
        bad = [*path[:j], flip(path[j], at), *path[j + 1 :]]
        assert not merkle.verify_inclusion(m, n, leaf, bad, r)


@settings(max_examples=60, deadline=None)
@given(leaves=leaves_st, data=st.data())
def test_every_consistency_proof_verifies_and_a_flip_breaks_it(leaves, data):
    get = build(leaves)
    n = len(leaves)
    for second in range(1, n + 1):
        r2 = merkle.root(get, 0, second)
        for first in range(1, second + 1):
            r1 = merkle.root(get, 0, first)
            proof = merkle.consistency(get, first, second)
            assert merkle.verify_consistency(first, second, r1, r2, proof), (first, second)
    first = data.draw(st.integers(1, n))
    r1, r2 = merkle.root(get, 0, first), merkle.root(get, 0, n)
    proof = merkle.consistency(get, first, n)
    at = data.draw(st.integers(0, 31))
    assert not merkle.verify_consistency(first, n, flip(r1, at), r2, proof)
    if proof:
        j = data.draw(st.integers(0, len(proof) - 1))
        bad = [*proof[:j], flip(proof[j], at), *proof[j + 1 :]]
        assert not merkle.verify_consistency(first, n, r1, r2, bad)


def test_a_rewritten_leaf_changes_every_later_root():
    leaves = [bytes([i]) * 32 for i in range(7)]
    old = build(leaves)
    leaves[2] = b"\xff" * 32
    new = build(leaves)
    for size in range(3, 8):
        assert merkle.root(old, 0, size) != merkle.root(new, 0, size)
    assert merkle.root(old, 0, 2) == merkle.root(new, 0, 2)
