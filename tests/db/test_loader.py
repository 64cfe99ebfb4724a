"""Loading records: idempotent upserts, kept versions, bad lines, byte-exact Vietnamese."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsspider.db import Database, connect, load_files
from newsspider.db.records import parse_time
from newsspider.db.schema import MIGRATIONS

from .helpers import snapshot, write_jsonl

Records = list[dict[str, Any]]
VERSION_COLUMNS = ("article_id", "content_hash", "modified_at", "crawled_at", "title", "summary", "body_text",
                   "body_html", "loaded_at")  # fmt: skip
EDIT = {"content_hash": "sha256:" + "e" * 64, "modified_at": "2030-01-01T08:00:00+07:00"}


def _edited(record: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return record | EDIT | changes


def test_loading_twice_changes_nothing(db: Database, real_records: Records, tmp_path: Path) -> None:
    feed = write_jsonl(tmp_path / "feed.jsonl", real_records)
    first = load_files(db, [str(feed)])
    assert (first.inserted, first.updated, first.unchanged, first.bad) == (len(real_records), 0, 0, 0)
    rows = snapshot(db)
    # Each text is stored once: the current ones in the rows, none superseded yet.
    assert len(rows["articles"]) == len(rows["article_history"]) == len(real_records)
    assert rows["article_versions"] == []

    second = load_files(db, [str(feed), str(feed)])
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 2 * len(real_records))
    assert snapshot(db) == rows
    runs = db.execute("SELECT status, inserted, unchanged FROM load_runs ORDER BY id")
    assert runs == [("ok", len(real_records), 0), ("ok", 0, 2 * len(real_records))]


def test_an_edited_article_keeps_its_versions(db: Database, real_records: Records, tmp_path: Path) -> None:
    original = real_records[0]
    edited = _edited(original, body_text=original["body_text"] + "\n\nĐoạn bổ sung sau khi sửa bài.")
    load_files(db, [str(write_jsonl(tmp_path / "v1.jsonl", [original]))])
    stats = load_files(db, [str(write_jsonl(tmp_path / "v2.jsonl", [edited]))])
    assert (stats.inserted, stats.updated) == (0, 1)

    ((body, content_hash),) = db.execute("SELECT body_text, content_hash FROM articles")
    assert (body, content_hash) == (edited["body_text"], edited["content_hash"])
    versions = db.execute("SELECT content_hash, body_text, is_current FROM article_history")
    assert sorted(versions) == sorted([(original["content_hash"], original["body_text"], False),
                                       (edited["content_hash"], edited["body_text"], True)])  # fmt: skip
    ((*past, modified),) = db.execute(
        "SELECT content_hash, title, summary, body_html, modified_at FROM article_versions"
    )
    assert past == [original[name] for name in ("content_hash", "title", "summary", "body_html")]
    assert parse_time(modified) == parse_time(original["modified_at"])

    # The older version, loaded again later, changes nothing; nor does the edit loaded again.
    rows = snapshot(db)
    stale = load_files(db, [str(tmp_path / "v1.jsonl"), str(tmp_path / "v2.jsonl")])
    assert (stale.updated, stale.unchanged) == (0, 2)
    assert snapshot(db) == rows

    # A newer modified_at with the same text updates the row, but adds no version.
    recount = edited | {"modified_at": "2030-02-01T08:00:00+07:00", "view_count": 999}
    assert load_files(db, [str(write_jsonl(tmp_path / "v3.jsonl", [recount]))]).updated == 1
    assert db.execute("SELECT view_count FROM articles") == [(999,)]
    assert len(db.execute("SELECT 1 FROM article_history")) == 2


def test_two_versions_in_one_batch(db: Database, real_records: Records, tmp_path: Path) -> None:
    original = real_records[1]
    edited = _edited(original, title=original["title"] + " (cập nhật)")
    stats = load_files(db, [str(write_jsonl(tmp_path / "both.jsonl", [original, edited, original]))])
    assert (stats.inserted, stats.updated, stats.unchanged) == (1, 1, 1)
    assert db.execute("SELECT title FROM articles") == [(edited["title"],)]
    # The text superseded within the batch never reached the row, and is kept all the same.
    assert db.execute("SELECT title FROM article_versions") == [(original["title"],)]
    assert len(db.execute("SELECT 1 FROM article_history")) == 2


def test_a_reverted_edit_keeps_each_text_once(db: Database, real_records: Records, tmp_path: Path) -> None:
    original = real_records[2]
    edited = _edited(original, body_text="Bản sửa.")
    reverted = original | {"modified_at": "2030-02-01T08:00:00+07:00"}
    for name, record in (("a", original), ("b", edited), ("c", reverted)):
        load_files(db, [str(write_jsonl(tmp_path / f"{name}.jsonl", [record]))])
    history = db.execute("SELECT content_hash, body_text, is_current FROM article_history")
    assert sorted(history) == sorted([(original["content_hash"], original["body_text"], True),
                                      (edited["content_hash"], "Bản sửa.", False)])  # fmt: skip
    # The same three in one batch, into another article, end the same way.
    batch = [r | {"id": "egov:9003", "native_id": "9003"} for r in (original, edited, reverted)]
    load_files(db, [str(write_jsonl(tmp_path / "d.jsonl", batch))])
    history = db.execute(
        "SELECT content_hash, is_current FROM article_history WHERE article_id = ?", ("egov:9003",)
    )
    assert sorted(history) == sorted([(original["content_hash"], True), (edited["content_hash"], False)])


def test_bad_lines_are_reported_and_the_rest_loads(
    db: Database, real_records: Records, tmp_path: Path
) -> None:
    good = [json.dumps(r, ensure_ascii=False) for r in real_records[:4]]
    no_id = {k: v for k, v in real_records[4].items() if k != "id"}
    lines = [
        good[0],
        '{"id": "egov:1", "title": ',  # 2: truncated
        good[1],
        json.dumps(no_id, ensure_ascii=False),  # 4: missing id
        json.dumps(real_records[5] | {"view_count": "1.234"}),  # 5: wrong type
        "",  # blank lines are not records
        json.dumps(real_records[6] | {"published_at": "12/12/2019 17:05"}),  # 7: not ISO
        json.dumps(real_records[7] | {"title": "A\u0000B"}),  # 8: NUL
        "[1, 2]",  # 9: not an object
        good[2],
        good[3],
    ]
    feed = tmp_path / "mixed.jsonl"
    feed.write_bytes(("\n".join(lines) + "\n").encode() + b'{"title": "B\xe1c"}\n')  # 12: not UTF-8
    reported: list[tuple[str, int, str]] = []
    stats = load_files(db, [str(feed)], report=lambda *error: reported.append(error))

    assert [line for _, line, _ in reported] == [2, 4, 5, 7, 8, 9, 12]
    assert all(file == str(feed) for file, _, _ in reported)
    reasons = {line: reason for _, line, reason in reported}
    assert reasons[2].startswith("not JSON")
    assert "missing id" in reasons[4]
    assert "view_count: unexpected str" in reasons[5]
    assert "published_at" in reasons[7] and "ISO 8601" in reasons[7]
    assert "NUL" in reasons[8]
    assert "not a JSON object" in reasons[9]
    assert "not UTF-8 (byte 0xe1" in reasons[12]
    assert (stats.inserted, stats.bad) == (4, 7)
    assert sorted(i for (i,) in db.execute("SELECT id FROM articles")) == sorted(
        r["id"] for r in real_records[:4]
    )
    logged = db.execute("SELECT line, reason FROM load_errors ORDER BY line")
    assert [line for line, _ in logged] == [2, 4, 5, 7, 8, 9, 12]
    assert db.execute("SELECT status, bad FROM load_runs") == [("bad lines", 7)]


def test_vietnamese_text_round_trips_byte_exact(db: Database, real_records: Records, tmp_path: Path) -> None:
    tricky = "Thuỷ và Thủy, hoà/hòa, Đắk Lắk “trích dẫn” – m² … 😀 \\ 'nháy' \"kép\" \t tab"
    record = real_records[2] | {
        "title": "Uỷ ban nhân dân tỉnh Khánh Hoà: " + tricky,
        "summary": unicodedata.normalize("NFD", "Chuỗi NFD giữ nguyên: Nghệ An, Quảng Trị"),
        "body_text": real_records[2]["body_text"] + "\n\n" + tricky + "\n\nDòng cuối\u00a0có NBSP.",
        "authors": ["Nguyễn Thị Thuỷ", "Lê Văn Hoà"],
        "tags": ["xã hội hoá", "thuỷ lợi"],
    }
    load_files(db, [str(write_jsonl(tmp_path / "vi.jsonl", [record]))])
    columns = ("title", "summary", "body_text", "body_html", "authors", "tags", "images", "rating", "source")
    (row,) = db.execute(f"SELECT {', '.join(columns)} FROM articles")
    stored = dict(zip(columns, row, strict=True))
    for name in ("title", "summary", "body_text", "body_html", "source"):
        assert stored[name] is None and record[name] is None or stored[name].encode() == record[name].encode()
    for name in ("authors", "tags", "images", "rating"):
        value = stored[name] if not isinstance(stored[name], str) else json.loads(stored[name])
        assert value == record[name]
        # jsonb keeps no key order; the strings inside must still be the very same bytes
        as_json = json.dumps(record[name], ensure_ascii=False, sort_keys=True)
        assert json.dumps(value, ensure_ascii=False, sort_keys=True).encode() == as_json.encode()


def test_migrations_apply_once(db: Database) -> None:
    assert db.migrate() == []
    versions = db.execute("SELECT version FROM schema_migrations")
    assert [v for (v,) in versions] == [m.version for m in MIGRATIONS]


def test_a_database_of_the_first_schema_upgrades(db_url: str, real_records: Records, tmp_path: Path) -> None:
    """Migration 2: of the texts the first schema stored twice, the superseded ones stay."""
    original, other = real_records[0], real_records[1]
    edited = _edited(original, body_text="Bản sửa.")
    with connect(f"sqlite:///{tmp_path}/today.db") as today:
        load_files(today, [str(write_jsonl(tmp_path / "a.jsonl", [original, other]))])
        load_files(today, [str(write_jsonl(tmp_path / "b.jsonl", [edited]))])
        articles = today.execute("SELECT * FROM articles")
        history = today.execute("SELECT * FROM article_history")
        columns = [c for (c,) in today.execute("SELECT name FROM pragma_table_info('articles')")]
    with Database(db_url) as old:
        assert old.migrate(until=1) == [1]
        # As the first schema's loader left them: every version in article_versions, current ones too.
        with old.transaction():
            old.insert("articles", columns, articles)
            old.insert("article_versions", VERSION_COLUMNS, [row[:-1] for row in history])
        assert len(old.execute("SELECT 1 FROM article_versions")) == 3
    with connect(db_url) as db:
        assert [v for (v,) in db.execute("SELECT version FROM schema_migrations")] == [1, 2]
        assert db.execute("SELECT article_id, content_hash FROM article_versions") == [
            (original["id"], original["content_hash"])
        ]
        assert len(db.execute("SELECT 1 FROM article_history")) == 3
        assert load_files(db, [str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl")]).unchanged == 3
        assert len(db.execute("SELECT 1 FROM article_history")) == 3


def _rows(db: Database, query: str) -> list[tuple[Any, ...]]:
    rows = [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in db.execute(query)]
    return sorted(rows, key=repr)


def test_worker_processes_change_nothing(db: Database, real_records: Records, tmp_path: Path) -> None:
    from newsspider.db.linking import features_of_texts

    from .test_linking import republished

    assert features_of_texts([(None, None, None)])[0][1]  # a signature even of no text
    copies = [republished(real_records[5], "9001"), republished(real_records[6], "9002")]
    edit = _edited(real_records[3], body_text="Đã sửa.")
    feed = write_jsonl(tmp_path / "feed.jsonl", [copies[0], *real_records, edit, copies[1], real_records[3]])
    with feed.open("a", encoding="utf-8") as handle:
        handle.write("not json\n")
    with connect(f"sqlite:///{tmp_path}/inline.db") as reference:
        inline = load_files(reference, [str(feed)], batch_size=7, workers=0)
        pooled = load_files(db, [str(feed)], batch_size=7, workers=2)
        counts = ("inserted", "updated", "unchanged", "linked", "errors")
        assert [getattr(pooled, name) for name in counts] == [getattr(inline, name) for name in counts]
        assert (pooled.linked, pooled.updated, pooled.bad) == (2, 1, 1)
        for query in (
            "SELECT id, content_hash, match_hash, minhash, duplicate_of, duplicate_similarity FROM articles",
            "SELECT article_id, content_hash, body_text FROM article_history",
            "SELECT bucket, article_id FROM article_buckets",
        ):
            assert _rows(db, query) == _rows(reference, query)
        again = load_files(db, [str(feed)], batch_size=7, workers=2)
        assert again.unchanged == inline.inserted + inline.updated + inline.unchanged


def test_a_batch_the_database_refuses_fails_the_load(
    db: Database, real_records: Records, tmp_path: Path
) -> None:
    """The writer thread's failure ends the load: the batches before it stay, the run is marked failed."""
    refused = real_records[20]["id"]
    if db.dialect == "sqlite":
        db.execute(
            f"CREATE TRIGGER refuse BEFORE INSERT ON articles WHEN NEW.id = '{refused}' "
            "BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END"
        )
    else:
        db.execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'refused by a trigger'; END $$"
        )
        db.execute(
            f"CREATE TRIGGER refuse BEFORE INSERT ON articles FOR EACH ROW WHEN (NEW.id = '{refused}') "
            "EXECUTE FUNCTION refuse()"
        )
    feed = write_jsonl(tmp_path / "feed.jsonl", real_records)
    with pytest.raises(Exception, match="refused by a trigger"):
        load_files(db, [str(feed)], batch_size=5, workers=1)
    assert db.execute("SELECT status FROM load_runs") == [("failed",)]
    assert db.execute("SELECT count(*) FROM articles") == [(20,)]


_ODD_VALUES = [None, "", "x", 0, -1, 2**63, True, 1.5, [], ["a"], {}, {"score": 1}, "2019-12-12T17:05:00",
               "2019-12-12T17:05:00+07:00", "12/12/2019", "egov:1", "no id", "sha256:" + "a" * 64,
               "1.0", "1.1"]  # fmt: skip


@given(st.data())
@settings(max_examples=300, deadline=None)
def test_the_quick_check_agrees_with_the_reasons(real_records: Records, data: st.DataObject) -> None:
    """A record the quick check passes is one with no reason against it, and the other way round."""
    from newsspider.db.records import _fine, _reasons

    record = dict(data.draw(st.sampled_from(real_records)))
    for _ in range(data.draw(st.integers(0, 3))):
        name = data.draw(st.sampled_from([*record, "unknown"]))
        if data.draw(st.booleans()):
            record[name] = data.draw(st.sampled_from(_ODD_VALUES))
        else:
            record.pop(name, None)
    assert _fine(record) == (not _reasons(record))
