"""What is not the article: boilerplate elements and boilerplate lines.

Cleaning runs in two passes. Elements are removed first, by selector, because markup says
reliably what a block is (a rating form, a comment section). What survives is then filtered
line by line, but only a *whole* line that has the exact shape of a CMS phrase is dropped:
real prose that merely contains the words ("Xếp hạng chung cuộc, đội tuyển …", "Theo nguồn
tin từ Sở Y tế …") stays. Phrases come from NukeViet's language files
(``shared/research/nukeviet.md`` §3) and from the seed page (``shared/seed/``).
"""

from __future__ import annotations

import re
import unicodedata

from cssselect import GenericTranslator
from lxml.etree import XPath

__all__ = ["BOILERPLATE_ELEMENTS", "is_boilerplate_line", "remove_boilerplate_lines"]

# Blocks around (and sometimes pasted inside) an article body, and the blocks that hold fields
# of the record (title, summary, header row, lead image, author/source lines, tags): when a body
# container wraps them too, they must not be read as body text.
_ELEMENT_SELECTORS = ", ".join(
    [
        "script", "style", "noscript", "template", "iframe", "form", "button", "select",
        "#form3B", "#stringrating", "#idcomment", "#showcomment", "#formcomment",
        ".comment-title", ".comment-form", ".comment-list",
        "#timeoutsess", ".chromeframe", "#sitemodal", "#openidResult",
        ".socialicon", ".fb-like", ".fb-share-button", ".twitter-share-button",
        ".zalo-share-button", "a.dimgray", "ul.list-inline.text-right",
        ".other-news", ".optabarea", "#news-relatednew", "#news-related",
        "ul.detail-related", "ul.related",
        "ul.temp-breadcrumbs", "ul.breadcrumbs", ".breadcrumbs-wrap",
        ".news-download-file", ".alert-info",
        ".hidden", ".hide", ".d-none", "[itemprop='publisher']",
        "h1[itemprop='headline']", "[itemprop='description']", ".newsdetailmetatop",
        "figure.article", "#imgpreview", "p.h5.text-right",
    ]
)  # fmt: skip
BOILERPLATE_ELEMENTS = XPath(
    GenericTranslator().css_to_xpath(_ELEMENT_SELECTORS)
    + " | descendant-or-self::div[contains(@class, 'h5')][em[contains(@class, 'fa-tags')]]"
)

_WEEKDAY = r"(?:Chủ nhật|Thứ (?:hai|ba|tư|năm|sáu|bảy))"
_LINE_PATTERNS = [
    # rating block (4.3–4.5 and 4.6 wordings; also the VHV look-alike platform)
    r"Tổng số điểm (?:của bài viết )?là:? ?\d+ (?:trong|sau) \d+ (?:đánh giá|lượt xếp hạng)",
    r"(?:Xếp hạng|Điểm trung bình theo thang điểm 5 là):? ?[\d.,]+ ?- ?\d+ (?:phiếu bầu|lượt xếp hạng)",
    r"Click để (?:đánh giá|xếp hạng) bài viết",
    r"(?:Đánh giá|Xếp hạng) bài viết",
    r"Bài viết (?:rất kém|kém|đạt|tốt|rất tốt)",
    # comments
    r"Ý kiến bạn đọc|Bình luận|Gửi bình luận(?: của bạn)?|Ẩn/Hiện ý kiến|Bình luận thành công",
    r"Sắp xếp theo (?:bình luận mới|bình luận cũ|số lượt thích)|Mới trước|Cũ trước",
    r"Trả lời|Thích|Không thích|Thiết lập lại|Mã an toàn|Tên của bạn",
    r"Bạn cần (?:đăng nhập với tư cách là|trở thành thành viên của nhóm) .{1,80} để có thể bình luận",
    r"Gửi thành công\. Bình luận của bạn sẽ hiển thị sau khi được kiểm duyệt",
    # session timeout box, printed hidden into every page
    r"Bạn đã không sử dụng [Ss]ite,? Bấm vào đây để duy trì trạng thái đăng nhập\.?"
    r"(?: Thời gian chờ: ?\d+ giây)?",
    r"Trình duyệt của bạn đã tắt chức năng hỗ trợ JavaScript\..*",
    r"Bạn đang sử dụng một trình duyệt lỗi thời.*",
    # header row: publish time, views, comments ("Thứ hai - 24/08/2020 00:08 150 0")
    rf"{_WEEKDAY} - \d{{2}}/\d{{2}}/\d{{4}} \d{{2}}:\d{{2}}(?: [\d.]+){{0,2}}",
    # lines that are fields, never body: source, author, poster, tags
    r"Nguồn tin ?: ?.{0,150}",
    r"(?:Tác giả(?: bài viết)?|Người đăng bài viết) ?: ?.{0,100}",
    r"Tags ?: ?.{0,300}",
    r"(?:Đã xem|Phản hồi|Đăng lúc) ?: ?[\d.:/ ]+",
    # share, print, save, send widgets and related-news headings
    r"Tweet|Chia sẻ|In ra|In bài viết này|Đóng cửa sổ này|Lưu bài viết này",
    r"Gửi bài viết qua email|Giới thiệu bài viết cho bạn bè|URL của bản tin này:?.*",
    r"Theo dòng sự kiện|Những tin mới hơn|Những tin cũ hơn|Các tin khác|Xem tiếp(?:\.\.\.|…)?",
    r"Tin cùng chuyên mục|Tin liên quan|Bài viết liên quan|Tin khác|Tin mới nhất|Tin xem nhiều",
    r"File đính kèm|Tập tin ?: ?.{0,200}|Nhấn vào để tải file\.?|Xem trước",
    r"Trang nhất|Trang trước|Trang sau",
    r"Powered by NukeViet.*",
]
_BOILERPLATE = re.compile("|".join(f"(?:{p})" for p in _LINE_PATTERNS), re.IGNORECASE)
_TRAILING_PUNCT = ".:;,!…"


def _comparable(line: str) -> str:
    return " ".join(unicodedata.normalize("NFC", line).split())


def is_boilerplate_line(line: str) -> bool:
    """Return True when the whole line is a CMS phrase, not article text."""
    return _BOILERPLATE.fullmatch(_comparable(line)) is not None


def remove_boilerplate_lines(text: str, *, title: str | None = None) -> str:
    """Drop boilerplate lines, repeats of the title, and a line printed twice in a row.

    A caption printed twice (image alt text, then the figcaption with a final period) keeps
    its fuller form, once, where it stood. Paragraph breaks are kept.
    """
    title_key = _comparable(title).rstrip(_TRAILING_PUNCT).casefold() if title else None
    paragraphs: list[list[str]] = []
    previous_key = None
    for block in text.split("\n\n"):
        kept: list[str] = []
        for line in block.split("\n"):
            comparable = _comparable(line)
            key = comparable.rstrip(_TRAILING_PUNCT).casefold()
            if not comparable or is_boilerplate_line(comparable) or key == title_key:
                continue
            if key == previous_key:
                _keep_fuller(paragraphs, kept, line)
                continue
            kept.append(line)
            previous_key = key
        if kept:
            paragraphs.append(kept)
    return "\n\n".join("\n".join(lines) for lines in paragraphs)


def _keep_fuller(paragraphs: list[list[str]], kept: list[str], line: str) -> None:
    """Replace the previous line by ``line`` when ``line`` is the longer of the two."""
    holder = kept if kept else paragraphs[-1]
    if len(line.strip()) > len(holder[-1].strip()):
        holder[-1] = line
