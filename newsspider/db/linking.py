"""Republication links: point each article at the earliest stored copy it duplicates.

Candidates come from shared LSH buckets (:mod:`newsspider.db.signature`); each is confirmed
on exact shingle sets, so ``duplicate_similarity`` is a measured figure, not an estimate.
Records arrive out of order (the original may be crawled after its copies), so an earlier
article that arrives late takes over the copies it is confirmed against.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from newsspider.db.matchkey import (
    codes_hash,
    jaccard_and_containment,
    record_codes,
    shingle_hashes,
)
from newsspider.db.signature import buckets, estimate, signatures

__all__ = [
    "LINK_THRESHOLD",
    "Features",
    "Linker",
    "Node",
    "computed_features",
    "features",
    "features_of_texts",
]

# A candidate must estimate this close before its text is compared ...
ESTIMATE_THRESHOLD = 0.5
# ... and its shingles must agree this much (Jaccard, or containment of the shorter text in
# the longer: a copy that drops the last paragraph is still a copy; research/vietnamese.md §5).
LINK_THRESHOLD = 0.8
# Below this many shingles (~14 words) only an identical key links: short notices share
# their few words by chance.
MIN_SHINGLES = 10


@dataclass
class Features:
    """What linking needs of an article's text."""

    match_hash: str
    minhash: bytes
    # The shingle hashes (8 bytes each), when known: the exact set is made of them on first use,
    # as most texts are never compared exactly.
    hashes: bytes | None = field(default=None, repr=False)
    shingles: set[int] | None = field(default=None, repr=False)

    @cached_property
    def buckets(self) -> list[int]:
        return buckets(self.minhash)

    def exact_shingles(self) -> set[int] | None:
        """Return the set of shingle hashes (made on first use); None when they are not known."""
        if self.shingles is None and self.hashes is not None:
            self.shingles = set(memoryview(self.hashes).cast("Q"))
        return self.shingles


def features(title: str | None, summary: str | None, body_text: str | None) -> Features:
    """Return the match hash, signature and shingles of an article's text."""
    return computed_features(features_of_texts([(title, summary, body_text)])[0])


Texts = tuple[str | None, str | None, str | None]
Computed = tuple[str, bytes, bytes, list[int]]


def features_of_texts(texts: list[Texts]) -> list[Computed]:
    """Return (match hash, signature, shingle hashes, buckets) of each (title, summary, body_text).

    Runs in the loader's worker processes, or in the loader for what they did not cover; what
    comes back is bytes and ints, cheap to pickle. One rensa call signs all the texts.
    """
    keys = [record_codes(title, summary, body_text) for title, summary, body_text in texts]
    hashes = [shingle_hashes(key) for key in keys]
    return [
        (codes_hash(key), minhash, grams, buckets(minhash))
        for key, grams, minhash in zip(keys, hashes, signatures(hashes), strict=True)
    ]


def computed_features(computed: Computed) -> Features:
    """Return the :class:`Features` of what :func:`features_of_texts` computed."""
    match_hash, minhash, hashes, bands = computed
    result = Features(match_hash, minhash, hashes=hashes)
    result.__dict__["buckets"] = bands  # the cached_property, already known
    return result


@dataclass
class Node:
    """An article as linking sees it: its time, its link and its text's features."""

    id: str
    published: datetime
    features: Features
    duplicate_of: str | None = None
    similarity: float | None = None
    root_published: datetime | None = None  # published time of duplicate_of
    changed: bool = field(default=False, compare=False)

    def order(self) -> tuple[datetime, str]:
        return (self.published, self.id)


class Linker:
    """Links the articles of one batch against stored candidates and each other."""

    def __init__(self, nodes: dict[str, Node], index: dict[int, set[str]]) -> None:
        self.nodes = nodes  # stored candidates and the batch's articles, by id
        self.index = index  # bucket -> ids

    def similarity(self, a: Features, b: Features) -> float:
        """Return the Jaccard similarity of two confirmed duplicates; 0 when they are not."""
        if a.match_hash == b.match_hash:
            return 1.0
        if estimate(a.minhash, b.minhash) < ESTIMATE_THRESHOLD:
            return 0.0
        a_shingles, b_shingles = a.exact_shingles(), b.exact_shingles()
        if a_shingles is None or b_shingles is None or min(len(a_shingles), len(b_shingles)) < MIN_SHINGLES:
            return 0.0
        jaccard, containment = jaccard_and_containment(a_shingles, b_shingles)
        # The figure is the Jaccard index (how much of the two texts is shared): a cut copy is
        # linked by its containment but says it is not the whole text.
        return max(round(jaccard, 4), 0.0001) if max(jaccard, containment) >= LINK_THRESHOLD else 0.0

    def candidates(self, node: Node, old_buckets: Iterable[int] = ()) -> set[str]:
        """Return the ids sharing a bucket with ``node``; register its buckets instead of old ones."""
        for bucket in old_buckets:
            self.index.get(bucket, set()).discard(node.id)
        found: set[str] = set()
        for bucket in node.features.buckets:
            ids = self.index.setdefault(bucket, set())
            found |= ids
            ids.add(node.id)
        found.discard(node.id)
        return found

    def link(self, node: Node, candidate_ids: Iterable[str]) -> None:
        """Set ``node``'s link to its earliest confirmed copy; take over later copies."""
        confirmed = []
        for other_id in candidate_ids:
            other = self.nodes.get(other_id)
            if other is None:
                continue
            score = self.similarity(node.features, other.features)
            if score:
                confirmed.append((other, score))
        earlier = [(o, s) for o, s in confirmed if o.order() < node.order()]
        if earlier:
            root, score = min(earlier, key=lambda pair: pair[0].order())
            self._point(node, root, score)
        else:
            self._point(node, None, None)
        for other, score in confirmed:
            if other.order() > node.order() and (
                other.root_published is None
                or other.duplicate_of is None
                or (other.root_published, other.duplicate_of) > node.order()
            ):
                self._point(other, node, score)

    @staticmethod
    def _point(node: Node, root: Node | None, score: float | None) -> None:
        root_id = root.id if root else None
        if (node.duplicate_of, node.similarity) != (root_id, score):
            node.duplicate_of, node.similarity = root_id, score
            node.root_published = root.published if root else None
            node.changed = True
