"""MinHash signatures and LSH buckets: find the few stored articles a new one may copy.

A signature is 64 MinHash values over the hashes of the 5-syllable shingles of the match key
(:func:`newsspider.db.matchkey.shingle_hashes`), computed by rensa (MIT, a 1 MB Rust wheel with
no dependencies, ~10x faster than datasketch, which would pull numpy and scipy) for a whole
batch of texts in one call. Its first 30 values are cut into 10 bands of 3; each band hashes to
one 63-bit bucket that is stored in an indexed table. Two articles whose Jaccard similarity is
0.8 share a bucket with probability 1 - (1 - 0.8**3)**10 > 0.999, two at 0.3 with probability
0.24 (and are then told apart by their signatures, in memory), so a lookup is a handful of
indexed equality probes, never a scan. Candidates are then confirmed on their exact shingle
sets (:mod:`newsspider.db.linking`). 10 bands of 3 rather than 16 of 4 store 10 bucket rows per
article instead of 16, for the same recall above Jaccard 0.7.
"""

from __future__ import annotations

import struct
import sys
from array import array
from collections.abc import Sequence
from itertools import accumulate

from rensa import RMinHash

__all__ = ["BANDS", "NUM_PERM", "SIGNATURE_VERSION", "buckets", "estimate", "signatures"]

NUM_PERM = 64
BANDS = 10
ROWS = 3
SEED = 20240824
# Stored signatures are only comparable with signatures of the same algorithm: the loader
# records this and signs the stored articles again when it changes (see docs/database.md).
SIGNATURE_VERSION = (
    f"rensa-rminhash-{getattr(RMinHash, 'ALGORITHM_VERSION', 0)}/shingle-hashes-1/"
    f"{NUM_PERM}/{BANDS}x{ROWS}/{SEED}"
)
_PACK = struct.Struct(f"<{NUM_PERM}I")
_BAND_BYTES = ROWS * 4
_PRIME = (1 << 59) - 1


def signatures(shingle_hashes: Sequence[bytes]) -> list[bytes]:
    """Return the MinHash signature of each text's shingle hashes, packed as little-endian uint32.

    ``shingle_hashes`` holds, per text, little-endian uint64 values (8 bytes each). rensa signs
    the rows of one call on a thread pool once a call holds ~64 rows or 65,536 hashes, and a
    process with threads that later forks the loader's worker processes deadlocks them; so each
    call stays well below both, and a longer text is signed in pieces whose signatures are
    merged by their minimum (the signature of a union), which is the same signature exactly.
    """
    pieces: list[bytes] = []
    owners: list[int] = []
    for owner, hashes in enumerate(shingle_hashes):
        for start in range(0, max(len(hashes), 1), _CALL_TOKENS * 8):
            pieces.append(hashes[start : start + _CALL_TOKENS * 8])
            owners.append(owner)
    rows: list[list[int]] = []
    call: list[bytes] = []
    tokens = 0
    for piece in pieces:
        if call and (len(call) == _CALL_ROWS or tokens + len(piece) // 8 > _CALL_TOKENS):
            rows += _digests(call)
            call, tokens = [], 0
        call.append(piece)
        tokens += len(piece) // 8
    rows += _digests(call)
    merged: dict[int, list[int]] = {}
    for owner, row in zip(owners, rows, strict=True):
        merged[owner] = list(map(min, merged[owner], row)) if owner in merged else row
    return [_PACK.pack(*merged[owner]) for owner in range(len(shingle_hashes))]


_CALL_ROWS = 32
_CALL_TOKENS = 1 << 15


def _digests(pieces: list[bytes]) -> list[list[int]]:
    """Return rensa's MinHash values of each piece, in one call (single-threaded: see above)."""
    if not pieces:
        return []
    tokens = array("Q", b"".join(pieces))
    if sys.byteorder == "big":
        tokens.byteswap()
    offsets = array("Q", accumulate((len(piece) // 8 for piece in pieces), initial=0))
    rows: list[list[int]] = RMinHash.digest_matrix_from_flat_token_hashes(
        tokens, offsets, NUM_PERM, SEED
    ).to_rows()
    return rows


def buckets(packed: bytes) -> list[int]:
    """Return the LSH bucket of each band of a signature: 63-bit, so a signed BIGINT holds it.

    A band's 96 bits are folded modulo the Mersenne prime 2**59 - 1 and the band number goes
    in the top 4 bits: a stable hash (unlike ``hash()``), ~10x cheaper than blake2b per band.
    """
    return [
        (band << 59)
        | (int.from_bytes(packed[band * _BAND_BYTES : (band + 1) * _BAND_BYTES], "little") % _PRIME)
        for band in range(BANDS)
    ]


def estimate(a: bytes, b: bytes) -> float:
    """Return the Jaccard similarity two signatures estimate (the share of equal values)."""
    if len(a) != len(b):
        return 0.0
    equal = sum(x == y for x, y in zip(_PACK.unpack(a), _PACK.unpack(b), strict=True))
    return equal / NUM_PERM
