"""Merkle trees and proofs exactly as RFC 9162 §2.1 defines them (Certificate Transparency
2.0): leaf hash = SHA-256(0x00 ‖ input), node hash = SHA-256(0x01 ‖ left ‖ right), the split
at the largest power of two below the size; inclusion proofs (§2.1.3) and consistency proofs
(§2.1.4) with their verification algorithms.

The tree is read through ``get(level, index)``: the stored hash of the complete subtree over
leaves [index·2^level, (index+1)·2^level). A proof in a tree of n leaves reads O(log² n) of
them, whatever n is; ``ancestors`` lists the complete subtrees a new leaf finishes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

Get = Callable[[int, int], bytes]
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def ancestors(index: int, leaf: bytes, get: Get) -> list[tuple[int, int, bytes]]:
    """(level, index, hash) of leaf ``index`` and of every subtree it completes."""
    out = [(0, index, leaf)]
    level, i, h = 0, index, leaf
    while i % 2 == 1:
        h = node_hash(get(level, i - 1), h)
        level, i = level + 1, i // 2
        out.append((level, i, h))
    return out


def root(get: Get, a: int, b: int) -> bytes:
    """MTH(D[a:b]) from the stored complete subtrees."""
    n = b - a
    if n == 0:
        return EMPTY_ROOT
    if n & (n - 1) == 0 and a % n == 0:
        return get(n.bit_length() - 1, a // n)
    k = split(n)
    return node_hash(root(get, a, a + k), root(get, a + k, b))


def inclusion(get: Get, m: int, a: int, b: int) -> list[bytes]:
    """PATH(m, D[a:b]) (§2.1.3.1), ``m`` an absolute leaf index."""
    if b - a <= 1:
        return []
    k = split(b - a)
    if m - a < k:
        return [*inclusion(get, m, a, a + k), root(get, a + k, b)]
    return [*inclusion(get, m, a + k, b), root(get, a, a + k)]


def consistency(get: Get, m: int, n: int) -> list[bytes]:
    """PROOF(m, D[n]) (§2.1.4.1) for 0 < m <= n."""

    def sub(m: int, a: int, b: int, whole: bool) -> list[bytes]:
        n = b - a
        if m == n:
            return [] if whole else [root(get, a, b)]
        k = split(n)
        if m <= k:
            return [*sub(m, a, a + k, whole), root(get, a + k, b)]
        return [*sub(m - k, a + k, b, False), root(get, a, a + k)]

    return sub(m, 0, n, True)


def verify_inclusion(index: int, size: int, leaf: bytes, path: list[bytes], root_: bytes) -> bool:
    """§2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = node_hash(p, r)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root_


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: list[bytes]
) -> bool:
    """§2.1.4.2."""
    if first > second or first == 0:
        return False
    if first == second:
        return not proof and first_root == second_root
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    if not path:
        return False
    fn, sn = first - 1, second - 1
    while fn % 2 == 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_root and sr == second_root
