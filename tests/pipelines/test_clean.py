"""Clean: boilerplate elements and lines go; the article, and prose that merely looks alike, stays."""

from __future__ import annotations

import pytest
from gold import BOILERPLATE_PHRASES, FIXTURES, article_file, gold_records
from lxml.html import fragment_fromstring

from newsspider.pipelines.clean import clean_record
from newsspider.text.boilerplate import is_boilerplate_line, remove_boilerplate_lines
from newsspider.text.html import sanitize_html, serialize_children

SEED = (FIXTURES / "seed/sample-page.txt").read_text(encoding="utf-8")
SEED_TITLE = "Khai mạc Đại hội đại biểu Đảng bộ Các cơ quan tỉnh Bắc Giang lần thứ XVIII"
SEED_BOILERPLATE = [
    "Thứ hai - 24/08/2020 00:08 150 0",
    "Nguồn tin: baobacgiang.com.vn:",
    "Tổng số điểm của bài viết là: 10 trong 2 đánh giá",
    "Xếp hạng: 5 - 2 phiếu bầu",
    "Click để đánh giá bài viết",
    "Ý kiến bạn đọc",
    "Bạn đã không sử dụng Site, Bấm vào đây để duy trì trạng thái đăng nhập. Thời gian chờ: 60 giây",
]
SEED_CAPTIONS = [
    "Đồng chí Lê Thị Thu Hồng phát biểu chỉ đạo Đại hội.",
    "Quang cảnh Đại hội.",
    "Đoàn Chủ tịch Đại hội.",
    "Bí thư Đảng ủy CCQ tỉnh khóa XVII Thân Minh Quế phát biểu khai mạc.",
    "Đồng chí Lê Thị Thu Hồng tặng hoa chúc mừng Đại hội.",
]
LOOKALIKE_PROSE = [
    "Xếp hạng chung cuộc, đội tuyển Bắc Giang đứng thứ ba toàn quốc.",
    "Theo nguồn tin từ Sở Y tế, toàn tỉnh đã tiêm hơn 1 triệu liều vắc xin.",
    "Trong tuần, tòa soạn đã nhận được nhiều ý kiến bạn đọc gửi về tòa soạn về vấn đề này.",
    "Tổng số điểm của thí sinh là: 27 điểm, cao nhất khối A.",
    "Bình luận về kết quả này, ông Nguyễn Văn A cho rằng cần thêm thời gian.",
    "Click để đánh giá bài viết là một dòng chữ quen thuộc trên các cổng thông tin.",
]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def test_seed_page_boilerplate_never_survives() -> None:
    kept = _lines(remove_boilerplate_lines(SEED, title=SEED_TITLE))
    for line in SEED_BOILERPLATE:
        assert line not in kept
    assert SEED_TITLE not in kept  # printed twice above the article, a field not body text


def test_seed_page_article_survives_with_each_caption_once() -> None:
    kept = _lines(remove_boilerplate_lines(SEED, title=SEED_TITLE))
    article = [line for line in _lines(SEED) if line not in SEED_BOILERPLATE and line != SEED_TITLE]
    for caption in SEED_CAPTIONS:
        assert kept.count(caption) == 1
        assert caption.rstrip(".") not in kept  # the alt-text copy without the final period
    prose = [line for line in article if len(line) > 80]
    assert prose and all(line in kept for line in prose)
    assert len(kept) == len({line.rstrip(".") for line in article})  # nothing else went missing


@pytest.mark.parametrize("line", LOOKALIKE_PROSE)
def test_prose_that_contains_boilerplate_words_survives(line: str) -> None:
    assert not is_boilerplate_line(line)
    assert remove_boilerplate_lines(f"Mở đầu.\n\n{line}\n\nKết thúc.") == f"Mở đầu.\n\n{line}\n\nKết thúc."


@pytest.mark.parametrize("line", SEED_BOILERPLATE)
def test_boilerplate_line_with_odd_unicode_is_still_recognised(line: str) -> None:
    import unicodedata

    assert is_boilerplate_line("  " + unicodedata.normalize("NFD", line).replace(" ", "\u00a0") + " ")


def test_boilerplate_elements_removed_from_a_whole_article_column() -> None:
    """A body container that wraps everything (mobile themes, broken markup) is cleaned too."""
    gold = next(g for g in gold_records("egov-short") if g["id"] == 6)
    html = article_file("egov-short", gold).read_text(encoding="utf-8")
    column = html[html.index('<div class="news_column') : html.index('<div class="col-sm-6 col-md-6')]
    record = {"url": gold["url"], "title": gold["title"], "body_html": column, "summary": None}
    clean_record(record)
    for phrase in BOILERPLATE_PHRASES:
        assert phrase not in record["body_text"], phrase
        assert phrase not in record["body_html"], phrase
    for paragraph in gold["body_text"].split("\n"):
        assert paragraph in record["body_text"]
    assert "Chúc mừng Đại hội thành công tốt đẹp!" not in record["body_text"]  # a reader comment


def test_body_html_is_sanitized_and_absolute() -> None:
    record = {
        "url": "http://portal.example/tin/a-1.html",
        "body_html": '<p onclick="x()" style="color:red">Chữ <script>alert(1)</script>'
        '<img src="/uploads/a.jpg" alt="A"><a href="javascript:alert(1)">l</a></p>',
    }
    clean_record(record)
    assert record["body_html"] == (
        '<p>Chữ <img src="http://portal.example/uploads/a.jpg" alt="A">'
        '<a rel="noopener noreferrer nofollow">l</a></p>'
    )
    assert record["body_text"] == "Chữ l"


LINKED_BODY = (
    "<p><a href=' rel/page.html '>a</a> <a href='//cdn.example.org/x'>b</a> <a href='#top'>c</a>"
    " <a href='mailto:toa@example.org'>d</a> <a href='javascript:void(0)'>e</a> <a>f</a></p>"
    "<p style='background:url(bg.png)'><img src='../img/1.jpg' alt='g'><img src='data:image/png;base64,AA'>"
    "<blockquote cite='q.html'>h</blockquote><object data='o.swf'></object></p>"
)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8088/tin-tuc/bai-1.html", "https://a.gov.vn/vi/news/"])
def test_links_made_absolute_as_lxml_did(url: str) -> None:
    """Only the links the sanitizer keeps are rewritten; the markup equals lxml's full rewrite."""
    record = {"url": url, "body_html": LINKED_BODY, "title": None}
    clean_record(record)
    root = fragment_fromstring(LINKED_BODY, create_parent="div")
    root.make_links_absolute(url, resolve_base_href=False)
    assert record["body_html"] == sanitize_html(serialize_children(root))
    assert 'src="' + url.rsplit("/", 2)[0] + '/img/1.jpg"' in record["body_html"]
