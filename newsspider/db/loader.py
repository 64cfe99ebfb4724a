"""Load article records into the database: idempotent upserts, kept versions, linked copies.

Records are written in batches, one transaction each, under the loaders' lock: the batch's
stored state is read, every record is decided against it (new, newer, or nothing to do),
republications are linked, and the result is written with COPY (PostgreSQL) or executemany
(SQLite). A record that does not change its article costs one indexed read and no write, so
loading the same file twice changes nothing.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import queue
import threading
from collections import deque
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from newsspider.db.database import Database, now
from newsspider.db.linking import (
    ESTIMATE_THRESHOLD,
    Computed,
    Features,
    Linker,
    Node,
    computed_features,
    features,
    features_of_texts,
)
from newsspider.db.records import FIELDS, JSON_FIELDS, parse_time
from newsspider.db.signature import SIGNATURE_VERSION, estimate

__all__ = ["LoadStats", "Loader"]

_DERIVED = ("match_hash", "minhash", "duplicate_of", "duplicate_similarity")
_ARTICLE_COLUMNS = (*FIELDS, *_DERIVED, "loaded_at", "updated_at")
_VERSION_COLUMNS = (
    "article_id",
    "content_hash",
    "modified_at",
    "crawled_at",
    "title",
    "summary",
    "body_text",
    "body_html",
    "loaded_at",
)
_KEEP_VERSION = (
    f"INSERT INTO article_versions ({', '.join(_VERSION_COLUMNS)}) VALUES ({', '.join('?' * 9)}) "
    "ON CONFLICT (article_id, content_hash) DO NOTHING"
)
# An updated article's stored text becomes a past version; loaded_at is when the row got it.
_KEEP_REPLACED = (
    f"INSERT INTO article_versions ({', '.join(_VERSION_COLUMNS)}) "
    "SELECT id, content_hash, modified_at, crawled_at, title, summary, body_text, body_html, updated_at "
    "FROM articles WHERE id IN (?) ON CONFLICT (article_id, content_hash) DO NOTHING"
)
_UPDATE_ARTICLE = (
    f"UPDATE articles SET {', '.join(f'{c} = ?' for c in (*FIELDS, *_DERIVED, 'updated_at') if c != 'id')} "
    "WHERE id = ?"
)
_STATE = (
    "SELECT a.id, a.content_hash, a.modified_at, a.crawled_at, a.published_at, a.match_hash, a.minhash, "
    "a.duplicate_of, a.duplicate_similarity, r.published_at FROM articles a "
    "LEFT JOIN articles r ON r.id = a.duplicate_of WHERE a.id IN (?)"
)


@dataclass
class LoadStats:
    """What a load did; ``errors`` holds (file, line, reason) of each bad line."""

    lines: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    linked: int = 0
    errors: list[tuple[str, int, str]] = field(default_factory=list)

    @property
    def bad(self) -> int:
        return len(self.errors)


@dataclass
class _Pending:
    """A batch waiting to be written: records, bad lines, and its features being computed."""

    batch: list[dict[str, Any]]
    errors: list[tuple[str, int, str]]
    futures: dict[tuple[int, ...], Future[list[Computed]]]


@dataclass
class _Stored:
    """An article as stored, as far as deciding and linking need it."""

    content_hash: str
    modified: datetime | None
    crawled: datetime
    node: Node


class Loader:
    """Buffer records and write them in batches; keep the run in the load log."""

    def __init__(
        self,
        db: Database,
        *,
        origin: str,
        files: Sequence[str] = (),
        batch_size: int = 1000,
        workers: int = 0,
    ) -> None:
        self.db, self.batch_size = db, batch_size
        self.stats = LoadStats()
        self._batch: list[dict[str, Any]] = []
        self._errors: list[tuple[str, int, str]] = []
        # With workers, a full batch's features are computed in other processes while a writer
        # thread writes the batch before it and this thread reads and checks the next one:
        # batches still go in order, one transaction each. The database's C code (SQLite's
        # writes, libpq) runs without the GIL, so the loader's process can use more than one core.
        self._pool: ProcessPoolExecutor | None = None
        self._pending: deque[_Pending] = deque()
        self._handoff: queue.Queue[tuple[list[dict[str, Any]], list[tuple[str, int, str]]] | None]
        self._handoff = queue.Queue(maxsize=1)
        self._writer: threading.Thread | None = None
        self._failure: BaseException | None = None
        self._discard = False
        if workers > 0 and "fork" in multiprocessing.get_all_start_methods():
            # fork: a spawned worker would import the caller's __main__ again. The children
            # never touch the inherited connection and leave by os._exit, which closes nothing.
            self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
            self._chunks = workers * 2
            # The pool forks every worker at its first task: now, before the writer thread exists,
            # as a fork copies only the forking thread and any lock another one holds stays held.
            self._pool.submit(int).result()
        self._check_signature_version()
        with db.transaction():
            rows = db.execute(
                "INSERT INTO load_runs (origin, files, started_at, status) "
                "VALUES (?, ?, ?, 'running') RETURNING id",
                (origin, json.dumps(list(files), ensure_ascii=False), now()),
            )
        self.run_id: int = rows[0][0]

    def add(self, record: dict[str, Any]) -> None:
        """Queue one valid record; write the batch when it is full."""
        self.stats.lines += 1
        self._batch.append(record)
        if len(self._batch) >= self.batch_size:
            if self._pool is None:
                self.flush()
            else:
                self._hand_off()

    def bad_line(self, file: str, line: int, reason: str) -> None:
        """Record a line that could not be loaded (written to ``load_errors`` with the next batch)."""
        self.stats.lines += 1
        self.stats.errors.append((file, line, reason))
        self._errors.append((file, line, reason))

    def flush(self) -> None:
        """Write the queued records and errors, each batch in one transaction."""
        if self._pool is not None:
            self._hand_off()
            self._stop_writer()
            return
        self._pending.append(_Pending(self._batch, self._errors, {}))
        self._batch, self._errors = [], []
        while self._pending:
            self._write_pending(self._pending.popleft())

    def close(self) -> None:
        """Stop the writer thread and the worker processes, writing nothing more (``finish`` does, too)."""
        self._discard = True
        try:
            self._stop_writer()
        finally:
            self._discard = False
            pool, self._pool = self._pool, None
            self._pending.clear()
            if pool is not None:
                pool.shutdown(cancel_futures=True)

    def _hand_off(self) -> None:
        """Give the buffered batch to the writer thread; wait while it has one not started yet."""
        batch, errors = self._batch, self._errors
        self._batch, self._errors = [], []
        if self._writer is None:
            self._writer = threading.Thread(target=self._write_batches, name="newsspider-writer", daemon=True)
            self._writer.start()
        self._handoff.put((batch, errors))
        if self._failure is not None:
            raise self._failure

    def _stop_writer(self) -> None:
        """Let the writer thread write what it holds (unless closing) and end; raise what it raised."""
        writer, self._writer = self._writer, None
        if writer is None:
            return
        self._handoff.put(None)
        writer.join()
        failure, self._failure = self._failure, None
        if failure is not None and not self._discard:
            raise failure

    def _write_batches(self) -> None:
        """The writer thread: send each batch handed off to the workers, then write the one before it.

        After a failure it only takes what is handed off (so the reading thread never waits for
        it forever) until told to end; the reading thread raises the failure.
        """
        finished = False
        while not finished:
            item = self._handoff.get()
            finished = item is None
            if self._failure is not None or self._discard:
                continue
            try:
                if item is not None:
                    self._queue(*item)
                while len(self._pending) > (0 if finished else 1):  # the one queued now is computed meanwhile
                    self._write_pending(self._pending.popleft())
            except BaseException as error:  # noqa: BLE001 - handed to the reading thread
                self._failure = error

    def _queue(self, batch: list[dict[str, Any]], errors: list[tuple[str, int, str]]) -> None:
        """Queue a batch, its records' features already being computed by the workers."""
        assert self._pool is not None
        # Only texts the database does not hold yet need features: this read is a guess (the
        # batch is decided later, in its transaction), and what it misses is computed there.
        stored = set(
            self.db.select_in(
                "SELECT id, content_hash FROM articles WHERE id IN (?)", [r["id"] for r in batch]
            )
        )
        wanted = [i for i, r in enumerate(batch) if (r["id"], r["content_hash"]) not in stored]
        size = max(1, -(-len(wanted) // self._chunks))
        futures = {}
        for start in range(0, len(wanted), size):
            chunk = wanted[start : start + size]
            texts = [
                (batch[i].get("title"), batch[i].get("summary"), batch[i].get("body_text")) for i in chunk
            ]
            futures[tuple(chunk)] = self._pool.submit(features_of_texts, texts)
        self._pending.append(_Pending(batch, errors, futures))

    def _write_pending(self, pending: _Pending) -> None:
        computed: dict[int, Computed] = {}
        for chunk, future in pending.futures.items():
            computed.update(zip(chunk, future.result(), strict=True))
        # A batch allocates ~1,000 short-lived containers per record and frees them all: the
        # cyclic collector finds nothing here but costs ~20% of the load.
        collecting = gc.isenabled()
        gc.disable()
        try:
            with self.db.transaction():
                if pending.batch:
                    self._write(pending.batch, computed)
                self.db.executemany(
                    "INSERT INTO load_errors (run_id, file, line, reason) VALUES (?, ?, ?, ?)",
                    [(self.run_id, *error) for error in pending.errors],
                )
        finally:
            if collecting:
                gc.enable()

    def finish(self, status: str | None = None) -> LoadStats:
        """Write what is queued and close the run in the load log; return the totals.

        A batch that fails to write marks the run ``failed`` (the batches before it stay) and
        its error is raised.
        """
        try:
            if status is None:
                self.flush()
                status = "bad lines" if self.stats.bad else "ok"
        except BaseException:
            self.close()
            self._end_run("failed")
            raise
        self.close()
        return self._end_run(status)

    def _end_run(self, status: str) -> LoadStats:
        s = self.stats
        with self.db.transaction():
            self.db.execute(
                "UPDATE load_runs SET finished_at = ?, status = ?, lines = ?, inserted = ?, updated = ?, "
                "unchanged = ?, linked = ?, bad = ? WHERE id = ?",
                (now(), status, s.lines, s.inserted, s.updated, s.unchanged, s.linked, s.bad, self.run_id),
            )
        return s

    def _check_signature_version(self) -> None:
        """Record the signature algorithm; sign the stored articles again if theirs is another.

        Signatures of two algorithms never match, so a database signed by an earlier newsspider
        is brought to this one's, in the same transaction as the version it records.
        """
        with self.db.transaction():
            rows = self.db.execute("SELECT value FROM newsspider_meta WHERE key = 'signature'")
            if rows and rows[0][0] == SIGNATURE_VERSION:
                return
            if rows:
                self._sign_again()
                self.db.execute("DELETE FROM newsspider_meta WHERE key = 'signature'")
            self.db.execute(
                "INSERT INTO newsspider_meta (key, value) VALUES ('signature', ?)", (SIGNATURE_VERSION,)
            )

    def _sign_again(self, chunk: int = 1000) -> None:
        """Compute every stored article's match hash, signature and buckets again.

        The links stay: they were confirmed on the texts themselves, not on their signatures.
        """
        db, last = self.db, ""
        db.execute("DELETE FROM article_buckets")
        while True:
            rows = db.execute(
                "SELECT id, title, summary, body_text FROM articles WHERE id > ? ORDER BY id LIMIT ?",
                (last, chunk),
            )
            if not rows:
                return
            computed = features_of_texts([(title, summary, body) for _, title, summary, body in rows])
            ids = [row[0] for row in rows]
            db.executemany(
                "UPDATE articles SET match_hash = ?, minhash = ? WHERE id = ?",
                [
                    (match_hash, minhash, i)
                    for i, (match_hash, minhash, _, _) in zip(ids, computed, strict=True)
                ],
            )
            db.insert(
                "article_buckets",
                ("bucket", "article_id"),
                sorted((b, i) for i, (*_, bands) in zip(ids, computed, strict=True) for b in bands),
            )
            last = ids[-1]

    def _write(self, batch: list[dict[str, Any]], computed: dict[int, Computed]) -> None:
        ids = list(dict.fromkeys(record["id"] for record in batch))
        stored = {row[0]: _stored(row) for row in self.db.select_in(_STATE, ids)}
        old_buckets = {i: s.node.features.buckets for i, s in stored.items()}
        current: dict[str, _Stored] = dict(stored)
        final: dict[str, dict[str, Any]] = {}  # id -> the record to store
        versions: dict[tuple[str, str], dict[str, Any]] = {}
        relink: dict[str, Node] = {}
        for position, record in enumerate(batch):
            before = current.get(record["id"])
            if before is not None and not _supersedes(record, before):
                self.stats.unchanged += 1
                continue
            new_text = before is None or before.content_hash != record["content_hash"]
            published = _time(record["published_at"])
            node = before.node if before else Node(record["id"], published, Features("", b""))
            node.published = published
            if new_text:
                done = computed.get(position)
                node.features = (
                    computed_features(done)
                    if done is not None
                    else features(record.get("title"), record.get("summary"), record.get("body_text"))
                )
                relink[node.id] = node
                versions[(record["id"], record["content_hash"])] = record
            current[record["id"]] = _Stored(
                record["content_hash"],
                parse_time(record.get("modified_at")),
                _time(record["crawled_at"]),
                node,
            )
            if record["id"] in stored or record["id"] in final:
                self.stats.updated += 1
            else:
                self.stats.inserted += 1
            final[record["id"]] = record
        relinked = self._link(list(relink.values()), stored, old_buckets) if relink else []
        self._store(final, stored, current, versions, old_buckets, relinked)

    def _link(
        self, batch: list[Node], stored: dict[str, _Stored], old_buckets: dict[str, list[int]]
    ) -> list[Node]:
        """Link the batch's new texts to stored candidates and each other; return the moved links."""
        wanted = sorted({b for node in batch for b in node.features.buckets})
        index: dict[int, set[str]] = {}
        for bucket, article_id in self.db.select_in(
            "SELECT bucket, article_id FROM article_buckets WHERE bucket IN (?)", wanted, "bigint[]"
        ):
            index.setdefault(bucket, set()).add(article_id)
        nodes = {i: s.node for i, s in stored.items()}
        missing = sorted({i for ids in index.values() for i in ids} - set(nodes))
        for row in self.db.select_in(_STATE, missing):
            nodes[row[0]] = _stored(row).node
        nodes.update((node.id, node) for node in batch)
        linker = Linker(nodes, index)
        candidates = {node.id: linker.candidates(node, old_buckets.get(node.id, ())) for node in batch}
        self._load_shingles(nodes, batch, candidates)
        before = {i: n.duplicate_of for i, n in nodes.items()}
        for node in batch:
            linker.link(node, candidates[node.id])
        relinked = [n for n in nodes.values() if n.changed]
        self.stats.linked += sum(1 for n in relinked if n.duplicate_of and n.duplicate_of != before[n.id])
        return relinked

    def _load_shingles(
        self, nodes: dict[str, Node], batch: list[Node], candidates: dict[str, set[str]]
    ) -> None:
        """Read the text of the stored candidates whose signatures come close, for exact checks."""
        need = set()
        for node in batch:
            for other_id in candidates[node.id]:
                other = nodes[other_id]
                if (
                    other.features.shingles is None
                    and other.features.hashes is None
                    and other.features.match_hash != node.features.match_hash
                    and estimate(node.features.minhash, other.features.minhash) >= ESTIMATE_THRESHOLD
                ):
                    need.add(other_id)  # close, not identical: the text decides
        rows = self.db.select_in(
            "SELECT id, title, summary, body_text FROM articles WHERE id IN (?)", sorted(need)
        )
        computed = features_of_texts([(title, summary, body) for _, title, summary, body in rows])
        for (article_id, *_), (_, _, hashes, _) in zip(rows, computed, strict=True):
            nodes[article_id].features.hashes = hashes

    def _store(
        self,
        final: dict[str, dict[str, Any]],
        stored: dict[str, _Stored],
        current: dict[str, _Stored],
        versions: dict[tuple[str, str], dict[str, Any]],
        old_buckets: dict[str, list[int]],
        relinked: list[Node],
    ) -> None:
        """Write the batch's decisions: rows, versions, buckets and moved links."""
        at = now()
        new_rows, updates, new_buckets, gone_buckets = [], [], [], []
        for article_id, record in final.items():
            node = current[article_id].node
            values = _row(record, node)
            if article_id in stored:
                updates.append((*values[1:], at, article_id))
            else:
                new_rows.append((*values, at, at))
        for (article_id, _), _record in versions.items():
            node = current[article_id].node
            if article_id in stored:
                gone_buckets += [(b, article_id) for b in old_buckets[article_id]]
            new_buckets += [(b, article_id) for b in node.features.buckets]
        db = self.db
        # The text an update replaces is kept first, straight from the row it is about to leave,
        # and so are the texts a batch superseded itself; the current text lives in the row only.
        replaced = [i for i in final if i in stored and stored[i].content_hash != final[i]["content_hash"]]
        db.select_in(_KEEP_REPLACED, replaced)
        db.executemany(
            _KEEP_VERSION,
            [
                (i, h, r.get("modified_at"), r["crawled_at"], r["title"], r.get("summary"),
                 r["body_text"], r["body_html"], at)
                for (i, h), r in versions.items()
                if h != final[i]["content_hash"]
            ],
        )  # fmt: skip
        # A text that comes back (an edit reverted) is the current one again, not a past one.
        db.executemany(
            "DELETE FROM article_versions WHERE article_id = ? AND content_hash = ?",
            [(i, final[i]["content_hash"]) for i in replaced],
        )
        db.insert("articles", _ARTICLE_COLUMNS, new_rows)
        db.executemany(_UPDATE_ARTICLE, updates)
        moved = [(n.duplicate_of, n.similarity, n.id) for n in relinked if n.id not in final]
        db.executemany("UPDATE articles SET duplicate_of = ?, duplicate_similarity = ? WHERE id = ?", moved)
        db.executemany(
            "DELETE FROM article_buckets WHERE bucket = ? AND article_id = ?", _unique(gone_buckets)
        )
        # In key order: the B-tree takes them leaf by leaf (SQLite: ~20% faster than at random).
        db.insert("article_buckets", ("bucket", "article_id"), sorted(_unique(new_buckets)))


def _supersedes(record: dict[str, Any], before: _Stored) -> bool:
    """Return True when ``record`` is newer than what is stored (see docs/database.md, 'Upsert')."""
    modified = parse_time(record.get("modified_at"))
    if modified is not None and before.modified is not None:
        if modified != before.modified:
            return modified > before.modified
    elif _time(record["crawled_at"]) < before.crawled:
        return False
    return record["content_hash"] != before.content_hash


def _stored(row: Sequence[Any]) -> _Stored:
    article_id, content_hash, modified, crawled, published, match_hash, minhash, dup, similarity, root = row
    node = Node(
        article_id, _time(published), Features(match_hash, bytes(minhash)), dup, similarity, parse_time(root)
    )
    return _Stored(content_hash, parse_time(modified), _time(crawled), node)


def _time(value: Any) -> datetime:
    parsed = parse_time(value)
    assert parsed is not None
    return parsed


def _row(record: dict[str, Any], node: Node) -> list[Any]:
    """Return the article's column values (record fields, then derived ones), in column order."""
    values = list(map(record.get, FIELDS))
    for index, nullable in _JSON_COLUMNS:
        value = values[index]
        if value is None:
            if not nullable:
                values[index] = "[]"
        elif value == []:
            values[index] = "[]"
        else:
            values[index] = _to_json(value)
    values += (node.features.match_hash, node.features.minhash, node.duplicate_of, node.similarity)
    return values


# (position, whether SQL NULL stands for a null value): rating is NULL when null, lists are [].
_JSON_COLUMNS = tuple((i, name == "rating") for i, name in enumerate(FIELDS) if name in JSON_FIELDS)


def _to_json(value: Any) -> str:
    """Return ``value`` as JSON text (UTF-8, not escaped); orjson: ~10x the standard encoder."""
    return orjson.dumps(value).decode()


def _unique(pairs: Iterable[tuple[int, str]]) -> list[tuple[int, str]]:
    return list(dict.fromkeys(pairs))
