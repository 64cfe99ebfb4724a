"""Republications: a copy is linked to its original; different articles stay apart."""

from __future__ import annotations

import re
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from newsspider.db import Database, load_files
from newsspider.db.linking import features_of_texts
from newsspider.db.matchkey import _TONES
from newsspider.db.signature import SIGNATURE_VERSION

from .helpers import write_jsonl

Records = list[dict[str, Any]]
_OLD_STYLE = {new: old for old, new in _TONES.items()}
_NEW_STYLE_PAIR = re.compile("|".join(map(re.escape, _OLD_STYLE)))


def _other_tone_style(text: str) -> str:
    """Return ``text`` with open oa/oe/uy toned on the second vowel, as some portals write."""
    return _NEW_STYLE_PAIR.sub(lambda m: _OLD_STYLE[m.group()], text)


def republished(original: dict[str, Any], native_id: str = "9001") -> dict[str, Any]:
    """Return a portal's copy: lead prefix, other tone style, an NFD paragraph, NBSP, source line."""
    paragraphs = _other_tone_style(original["body_text"]).split("\n\n")
    paragraphs[0] = unicodedata.normalize("NFD", paragraphs[0])
    paragraphs[-1] = paragraphs[-1].replace(" ", "\u00a0", 2)
    body = "\n\n".join(paragraphs) + "\n\nNguồn tin: baobacgiang.com.vn"
    return original | {
        "id": f"copy:{native_id}",
        "native_id": native_id,
        "site": "copy",
        "url": f"https://copy.example.vn/tin-tuc/{native_id}.html",
        "canonical_url": None,
        "title": _other_tone_style(original["title"]),
        "summary": "(BGĐT) - " + _other_tone_style(original["summary"]),
        "body_text": body,
        "published_at": "2030-01-02T09:00:00+07:00",
        "content_hash": "sha256:" + "c" * 64,
    }


def _links(db: Database) -> dict[str, tuple[str, float]]:
    rows = db.execute(
        "SELECT id, duplicate_of, duplicate_similarity FROM articles WHERE duplicate_of IS NOT NULL"
    )
    return {article_id: (original, similarity) for article_id, original, similarity in rows}


def _record(real_records: Records, native_id: str) -> dict[str, Any]:
    return next(r for r in real_records if r["native_id"] == native_id)


@pytest.mark.parametrize("order", ["original first", "copy first", "copy in an earlier load"])
def test_a_republished_copy_is_linked_to_its_original(
    db: Database, real_records: Records, tmp_path: Path, order: str
) -> None:
    original = _record(real_records, "18")  # "Khánh thành nhà văn hóa thôn từ nguồn xã hội hóa"
    copy = republished(original)
    assert copy["body_text"] != original["body_text"] and "hoá" in copy["title"]
    if order == "original first":
        load_files(db, [str(write_jsonl(tmp_path / "a.jsonl", real_records + [copy]))])
    elif order == "copy first":
        load_files(db, [str(write_jsonl(tmp_path / "a.jsonl", [copy] + real_records))])
    else:
        assert load_files(db, [str(write_jsonl(tmp_path / "copy.jsonl", [copy]))]).inserted == 1
        load_files(db, [str(write_jsonl(tmp_path / "rest.jsonl", real_records))])

    assert _links(db) == {copy["id"]: (original["id"], 1.0)}
    # The stored text is the copy's own, never the normalised form.
    ((body, title),) = db.execute("SELECT body_text, title FROM articles WHERE id = ?", (copy["id"],))
    assert (body, title) == (copy["body_text"], copy["title"])


def test_a_shortened_copy_is_linked_with_its_similarity(
    db: Database, real_records: Records, tmp_path: Path
) -> None:
    original = _record(real_records, "6")  # the longest article: 1,638 characters
    copy = republished(original)
    copy["body_text"] = (
        copy["body_text"].rsplit("\n\n", 2)[0] + "\n\nTheo Báo Bắc Giang"
    )  # last paragraph cut
    second = republished(original, "9002") | {"published_at": "2030-01-03T09:00:00+07:00"}
    load_files(db, [str(write_jsonl(tmp_path / "a.jsonl", [second, copy, original]))])
    links = _links(db)
    assert set(links) == {copy["id"], second["id"]}
    assert {target for target, _ in links.values()} == {original["id"]}  # the earliest copy
    assert 0.8 <= links[copy["id"]][1] < 1.0 and links[second["id"]][1] == 1.0


def test_different_articles_on_the_same_topic_are_not_linked(
    db: Database, real_records: Records, tmp_path: Path
) -> None:
    # 6 and 7 open and close the same party congress; 4 and 20 are both about a council session.
    assert "Đại hội đại biểu Đảng bộ Các cơ quan" in _record(real_records, "6")["title"]
    assert "Đại hội đại biểu Đảng bộ Các cơ quan" in _record(real_records, "7")["title"]
    session = _record(real_records, "4")
    other_session = session | {
        "id": "egov:104",
        "native_id": "104",
        "title": "Kỳ họp thứ 11 HĐND tỉnh: Thông qua 18 nghị quyết quan trọng",
        "summary": "Kỳ họp thứ 11, HĐND tỉnh khóa XVIII bế mạc sau 2 ngày làm việc, thông qua 18 nghị quyết.",
        "body_text": "Chiều 10/7, Kỳ họp thứ 11, HĐND tỉnh khóa XVIII, nhiệm kỳ 2016 - 2021 đã bế mạc. "
        "Các đại biểu đã thảo luận về tình hình phát triển kinh tế - xã hội 6 tháng đầu năm, "
        "công tác phòng, chống dịch bệnh và giải ngân vốn đầu tư công.\n\n"
        "Kỳ họp đã thông qua 18 nghị quyết về quy hoạch, ngân sách và chính sách hỗ trợ nông nghiệp. "
        "Phát biểu bế mạc, Chủ tịch HĐND tỉnh đề nghị các cấp, các ngành khẩn trương triển khai.",
        "published_at": "2020-07-10T17:00:00+07:00",
        "content_hash": "sha256:" + "d" * 64,
    }
    load_files(db, [str(write_jsonl(tmp_path / "a.jsonl", real_records + [other_session]))])
    assert _links(db) == {}


def test_a_database_signed_by_an_earlier_algorithm_is_signed_again(
    db: Database, real_records: Records, tmp_path: Path
) -> None:
    original = _record(real_records, "18")
    load_files(db, [str(write_jsonl(tmp_path / "a.jsonl", real_records))])
    signed = _signed(db)
    # As an earlier newsspider left it: signatures and buckets of another algorithm.
    with db.transaction():
        db.execute("UPDATE articles SET match_hash = 'old', minhash = ?", (bytes(256),))
        db.execute("DELETE FROM article_buckets")
        db.insert("article_buckets", ("bucket", "article_id"), [(1, original["id"])])
        db.execute("UPDATE newsspider_meta SET value = 'rensa-rminhash-2/64/16/20240824'")

    copy = republished(original)
    assert load_files(db, [str(write_jsonl(tmp_path / "copy.jsonl", [copy]))]).linked == 1
    assert _links(db) == {copy["id"]: (original["id"], 1.0)}
    assert db.execute("SELECT value FROM newsspider_meta WHERE key = 'signature'") == [(SIGNATURE_VERSION,)]
    again = _signed(db)
    assert {k: v for k, v in again.items() if k != copy["id"]} == signed


def _signed(db: Database) -> dict[str, tuple[Any, ...]]:
    """Return each article's match hash, signature and buckets."""
    buckets: dict[str, list[int]] = {}
    for bucket, article_id in db.execute("SELECT bucket, article_id FROM article_buckets"):
        buckets.setdefault(article_id, []).append(bucket)
    return {
        article_id: (match_hash, bytes(minhash), sorted(buckets.get(article_id, [])))
        for article_id, match_hash, minhash in db.execute("SELECT id, match_hash, minhash FROM articles")
    }


def test_signing_starts_no_thread_and_long_texts_sign_the_same(real_records: Records) -> None:
    """Threads in the loader would deadlock the worker processes it forks (see signatures)."""
    tasks = Path("/proc/self/task")
    before = len(list(tasks.iterdir()))
    texts = [(r["title"], r["summary"], r["body_text"]) for r in real_records] * 100
    long_text = " ".join(f"{r['body_text']} {n}" for n in range(40) for r in real_records)
    computed = features_of_texts([*texts, ("", None, long_text)])
    assert len(list(tasks.iterdir())) == before
    # The long text, signed by rensa in one call in another process, has the same signature.
    hashes = computed[-1][2]
    assert len(hashes) // 8 > 2 * 2**15
    script = (
        "import sys, array, struct; from rensa import RMinHash; from newsspider.db import signature as s; "
        "data = sys.stdin.buffer.read(); tokens = array.array('Q', data); "
        "rows = RMinHash.digest_matrix_from_flat_token_hashes(tokens, array.array('Q', [0, len(tokens)]), "
        "s.NUM_PERM, s.SEED).to_rows(); sys.stdout.buffer.write(struct.pack('<64I', *rows[0]))"
    )
    alone = subprocess.run([sys.executable, "-c", script], input=hashes, capture_output=True, check=True)
    assert alone.stdout == computed[-1][1]
