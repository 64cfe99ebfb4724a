"""Page templates of the synthetic portal, cut once at import from the bundled demo capture.

Every page the synthetic portal serves is a real NukeViet 4.5 page of ``demo/site/files`` with
the article- or listing-specific parts replaced by named slots; the chrome (head, inline
``nv_*`` script, menus, sidebar blocks, footer) stays byte for byte. Each substitution checks
how often its anchor occurs, so a changed capture fails loudly at import instead of producing
pages that quietly lack a field. Rendering is ``str.join`` over the pre-split parts.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime

from newsspider.demo.server import DEMO_SITE_DIR

__all__ = [
    "ARTICLE",
    "CREDIT",
    "CRUMB",
    "FEED_LINK",
    "LISTING",
    "LIST_ITEM",
    "MENU_ITEM",
    "NOT_FOUND",
    "RECORDED_ORIGIN",
    "RSS_CHANNEL",
    "RSS_END",
    "RSS_ITEM",
    "SCHEDULED",
    "SITEMAP_ABOUT",
    "SITEMAP_INDEX_HEAD",
    "SITEMAP_URL",
    "SITEMAP_URLSET_HEAD",
    "SITE_DESCRIPTION",
    "SITE_NAME",
    "Template",
    "WEEKDAYS",
    "esc",
    "og_time",
    "pagination",
    "robots_txt",
    "rss_date",
    "slot",
    "visible_time",
]

_FILES = DEMO_SITE_DIR / "files"
RECORDED_ORIGIN: str = json.loads((DEMO_SITE_DIR / "variant.json").read_text(encoding="utf-8"))["origin"]
SITE_NAME = "Cổng thông tin điện tử tỉnh - Bản thử nghiệm"
SITE_DESCRIPTION = "Chia sẻ thành công, kết nối đam mê"
_MARK = "\x00"
# The article page the detail template is cut from (eGov header row, author and source lines).
_ARTICLE_FILE = (
    "xay-dung-dang/khai-mac-dai-hoi-dai-bieu-dang-bo-cac-co-quan-tinh-bac-giang-lan-thu-xviii-6.html"
)
_ARTICLE_TITLE = "Khai mạc Đại hội đại biểu Đảng bộ Các cơ quan tỉnh Bắc Giang lần thứ XVIII"


def slot(name: str) -> str:
    return f"{_MARK}{name}{_MARK}"


class Template:
    """Text with ``slot(name)`` markers, split once; ``render`` fills every slot by name."""

    def __init__(self, text: str) -> None:
        self._parts = text.split(_MARK)
        self.slots = frozenset(self._parts[1::2])

    def render(self, values: Mapping[str, str]) -> str:
        parts = self._parts.copy()
        parts[1::2] = [values[name] for name in self._parts[1::2]]
        return "".join(parts)


def _read(name: str) -> str:
    return (_FILES / name).read_text(encoding="utf-8").replace(RECORDED_ORIGIN, slot("origin"))


def _sub(text: str, old: str, new: str, count: int = 1) -> str:
    """Replace ``old`` (a literal or a compiled pattern) exactly ``count`` times, or fail."""
    found = text.count(old)
    if found != count:
        raise RuntimeError(f"template anchor {old[:60]!r} occurs {found} times, expected {count}")
    return text.replace(old, new)


def _re_sub(text: str, pattern: str, new: str, count: int = 1) -> str:
    result, found = re.subn(pattern, lambda _: new, text, flags=re.DOTALL | re.MULTILINE)
    if found != count:
        raise RuntimeError(f"template pattern {pattern[:60]!r} matched {found} times, expected {count}")
    return result


def _drop_block(text: str, inner: str, opener: str = '<div class="news_column panel panel-default">') -> str:
    """Remove the ``opener`` <div> that encloses ``inner``, with its whole subtree."""
    start = text.rfind(opener, 0, _index(text, inner))
    depth, pos = 0, start
    for match in re.compile(r"<div\b|</div>").finditer(text, start):
        depth += 1 if match[0] == "<div" else -1
        if depth == 0:
            pos = match.end()
            break
    return text[:start] + text[pos:].removeprefix("\n")


def _index(text: str, anchor: str) -> int:
    if text.count(anchor) != 1:
        raise RuntimeError(f"template anchor {anchor[:60]!r} occurs {text.count(anchor)} times, expected 1")
    return text.index(anchor)


def _chrome(text: str) -> str:
    """Slots shared by listing and article pages: feeds, breadcrumbs, category menu, nv_func_name."""
    text = _re_sub(text, r'(?:^<link rel="alternate" [^\n]*application/rss\+xml">\n)+', slot("feeds"))
    text = re.sub(
        r'(<ul class="temp-breadcrumbs[^>]*>\n[^\n]*?</li>)(.*?)(\n[ ]*</ul>)',
        lambda m: m[1] + slot("crumbs") + m[3],
        text,
        count=1,
        flags=re.DOTALL,
    )
    text = re.sub(
        r'(<ul id="menu_3">)(.*?)(\n\t\t\t</ul>\n\t\t</nav>)',
        lambda m: m[1] + slot("menu") + m[3],
        text,
        count=1,
        flags=re.DOTALL,
    )
    text = _re_sub(text, r'nv_func_name="\w+"', f'nv_func_name="{slot("func")}"')
    for name in ("crumbs", "menu"):
        if slot(name) not in text:
            raise RuntimeError(f"template region for {name!r} not found")
    return text


def _article_template() -> Template:
    text = _read(_ARTICLE_FILE)
    path = _ARTICLE_FILE
    text = _sub(text, "/" + path, "/" + slot("path"), 8)
    text = _sub(text, _ARTICLE_TITLE, slot("title"), 7)
    text = _re_sub(
        text,
        r'^<meta (?:name="(?:news_)?keywords"|property="og:image[^"]*"|property="article:tag")[^\n]*\n',
        "",
        7,
    )
    text = _re_sub(text, r'(?<=<meta name="description" content=")[^"]*', slot("description"))
    text = _re_sub(text, r'(?<=<meta property="og:description" content=")[^"]*', slot("description"))
    text = _re_sub(text, r'(?<=<meta property="article:published_time" content=")[^"]*', slot("og_published"))
    text = _re_sub(text, r'(?<=<meta property="article:modified_time" content=")[^"]*', slot("og_modified"))
    text = _re_sub(text, r'(?<=<meta property="article:section" content=")[^"]*', slot("section"))
    text = _sub(
        text,
        '<span itemprop="name">Thu Hương</span>',
        f'<span itemprop="name">{slot("schema_author")}</span>',
    )
    text = _re_sub(text, r'(?<=itemprop="datePublished">)[^<]*', slot("schema_date"))
    text = _re_sub(text, r'(?<=itemprop="dateModified">)[^<]*', slot("schema_date"))
    text = _re_sub(text, r'^[ ]*<span class="hidden hide d-none" itemprop="image">[^\n]*\n', "")
    text = _sub(text, "</i>Thứ hai - 24/08/2020 00:08</span>", f"</i>{slot('visible_time')}</span>")
    text = _sub(
        text,
        '<i class="fa fa-eye" aria-hidden="true"></i>150</span>',
        f'<i class="fa fa-eye" aria-hidden="true"></i>{slot("views")}</span>',
    )
    text = _sub(
        text,
        '<i class="fa fa-comment-o" aria-hidden="true"></i>3</span>',
        '<i class="fa fa-comment-o" aria-hidden="true"></i>0</span>',
    )
    text = _re_sub(
        text, r'(?<=<div class="hometext m-bottom" itemprop="description">)[^<]*', slot("hometext")
    )
    text = _re_sub(text, r'\n\n[ ]*<figure class="article center">.*?</figure>', "")
    body_start = r'(?<=<div id="news-bodyhtml" class="bodytext margin-bottom-lg">\n            )'
    body_end = r'(?=\n        </div>\n[ ]*<div class="margin-bottom-lg">)'
    text = _re_sub(text, body_start + ".*?" + body_end, slot("body"))
    text = _re_sub(
        text,
        r'(?<=<div class="margin-bottom-lg">\n)[ ]*<p class="h5 text-right">.*?</p>\n(?=[ ]*</div>)',
        slot("credits"),
    )
    for inner in (
        '<em class="fa fa-tags">',
        '<form id="form3B"',
        '<div id="idcomment"',
        '<div class="panel-body other-news">',
    ):
        text = _drop_block(text, inner)
    return Template(_chrome(text))


def _listing_template() -> Template:
    text = _read("kinh-te/index.html")
    text = _sub(text, "<title>Kinh tế</title>", f"<title>{slot('page_title')}</title>")
    text = _sub(
        text,
        '<meta property="og:title" content="Kinh tế">',
        f'<meta property="og:title" content="{slot("page_title")}">',
    )
    text = _sub(text, 'QR-Code: Kinh tế"', f'QR-Code: {slot("page_title")}"', 3)
    text = _sub(
        text, 'content="Tin kinh tế, đầu tư, sản xuất kinh doanh"', f'content="{slot("description")}"', 2
    )
    text = _sub(text, f'{slot("origin")}/kinh-te/"', f'{slot("origin")}{slot("page_path")}"', 3)
    text = _re_sub(
        text, r'<div class="list-group">.*?(?=\n    </div>\n    <div class="col-sm-6 col-md-6)', slot("main")
    )
    return Template(_chrome(text))


def _rss_templates() -> tuple[Template, Template, str]:
    text = _read("rss/index.xml")
    first = text.index("        <item>")
    head, item = text[:first], text[first : text.index("        <item>", first + 1)]
    end = text[text.rindex("</item>") + len("</item>") :]
    end = end[end.index("    </channel>") :]
    head = _sub(head, "<title>Tin Tức</title>", f"<title>{slot('title')}</title>", 2)
    head = _sub(head, f"<link>{slot('origin')}/</link>", f"<link>{slot('origin')}{slot('link')}</link>", 2)
    head = _sub(head, f'href="{slot("origin")}/rss/"', f'href="{slot("origin")}{slot("self")}"')
    head = _sub(head, f"<![CDATA[{SITE_DESCRIPTION}]]>", f"<![CDATA[{slot('description')}]]>")
    head = _re_sub(head, r"(?<=<pubDate>)[^<]+|(?<=<lastBuildDate>)[^<]+", slot("build_date"), 2)
    item = _re_sub(item, r"(?<=<title>)[^<]*", slot("title"))
    item = _re_sub(item, r"(?<=<link>)[^<]*", slot("link"))
    item = _re_sub(item, r"(?<=<!\[CDATA\[news_)\d+", slot("id"))
    item = _re_sub(item, r"(?<=<pubDate>)[^<]*", slot("pub_date"))
    item = _re_sub(item, r"(?<=<description>\n                <!\[CDATA\[).*?(?=\]\]>)", slot("description"))
    return Template(head), Template(item), end


def _sitemaps() -> tuple[str, str, Template]:
    index = _read("sitemap.xml")
    index_head = index[: index.index("<sitemap>")]
    urlset = _read("sitemap-vi.about.xml")
    urlset_head = urlset[: urlset.index("<url>")]
    about = urlset[: urlset.index("</url>") + len("</url>")] + "</urlset>"
    return index_head, urlset_head, Template(about)


_ROBOTS = re.sub(
    r"(?m)^Sitemap:.*$", "Sitemap: {origin}/sitemap.xml", (_FILES / "robots.txt").read_text("utf-8")
)


def robots_txt(origin: str) -> bytes:
    """The captured robots.txt, its ``Sitemap:`` line pointing at ``origin``."""
    return _ROBOTS.replace("{origin}", origin).encode()


ARTICLE = _article_template()
LISTING = _listing_template()
RSS_CHANNEL, RSS_ITEM, RSS_END = _rss_templates()
SITEMAP_INDEX_HEAD, SITEMAP_URLSET_HEAD, SITEMAP_ABOUT = _sitemaps()
# NukeViet's full-page 404s: an unknown id (with a 3 s refresh to the home) and an unpublished one.
NOT_FOUND = Template(_read("van-hoa-xa-hoi/bai-khong-ton-tai-9999.html"))
SCHEDULED = Template(_read("thong-bao/thong-bao-nghi-tet-nguyen-dan-nam-2035-31.html"))


# -- markup and formats that are not in one captured page ------------------------------------------

CRUMB = (
    '<li itemprop="itemListElement" itemscope itemtype="https://schema.org/ListItem"><a href="/{alias}/" '
    'itemprop="item" title="{title}"><span class="txt" itemprop="name">{title}</span></a>'
    '<i class="hidden" itemprop="position" content="2"></i></li>'
)
FEED_LINK = '<link rel="alternate" href="{href}" title="{title}" type="application/rss+xml">\n'
MENU_ITEM = '\n\t\t\t\t<li>\n\t\t\t\t\t<a href="/{alias}/" title="{title}">{title}</a>\n\t\t\t\t</li>'
LIST_ITEM = (
    '\t<a class="show h4" href="/{path}"  data-content="{summary}" data-img="" data-rel="tooltip" '
    'data-placement="bottom" title="{title}">\n\t\t<h4 class="list-group-item-heading">\n'
    '\t\t\t<span class="label label-default">{number}</span>&nbsp;&nbsp;{title}\n\t\t</h4>\n\t</a>\n'
)
CREDIT = (
    '                        <p class="h5 text-right">\n'
    "                <strong>{label}: </strong>{value}\n"
    "            </p>\n"
)
SITEMAP_URL = (
    "<url><loc>{loc}</loc><lastmod>{lastmod}</lastmod>"
    "<changefreq>daily</changefreq><priority>0.8</priority></url>"
)

WEEKDAYS = ("Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy", "Chủ nhật")
_DAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def visible_time(moment: datetime) -> str:
    """The detail page's header time, ``l - d/m/Y H:i`` with Vietnamese day names."""
    return f"{WEEKDAYS[moment.weekday()]} - {moment:%d/%m/%Y %H:%M}"


def og_time(moment: datetime) -> str:
    """NukeViet's malformed ``article:published_time``: ``date('Y-m-dTH:i:s')``, ``T`` = ``+07``."""
    return f"{moment:%Y-%m-%d}+07{moment:%H:%M:%S}"


def rss_date(moment: datetime) -> str:
    """NukeViet 4.3–4.5 ``gmdate('D, j M Y H:m:s') GMT``: the minutes field is the month."""
    t = moment.astimezone(UTC)
    return f"{_DAY_ABBR[t.weekday()]}, {t.day} {_MONTH_ABBR[t.month - 1]} {t.year} {t:%H}:{t:%m}:{t:%S} GMT"


def pagination(name: str, base: str, page: int, pages: int) -> str:
    """NukeViet 4.5 ``nv_alias_page()`` markup (``includes/functions.php``), quirks included."""
    title = f"{esc(name)} - Trang"

    def href(n: int) -> str:
        return base if n == 1 else f"{base}page-{n}/"

    def item(n: int, *, quirk: bool = False) -> str:
        if n == page:
            return f'<li class="active"><a href="javascript:void(0)">{n}</a>' + ("<li>" if quirk else "</li>")
        rel = "next" if n > page else "prev"
        return f'<li><a rel="{rel}" title="{title} {n}" href="{href(n)}">{n}</a></li>'

    gap = '<li class="disabled"><span>...</span></li>'
    out = [item(1)]
    if pages > 7:
        if page < 4:
            out.append(item(2))
        if 1 < page < pages:
            if page > 3:
                out.append(gap)
            low, high = (page if page > 3 else 4), (page if page < pages - 3 else pages - 3)
            out.extend(item(n) for n in range(low - 1, high + 2))
            if page < pages - 3:
                out.append(gap)
        else:
            out.append(gap)
        out.extend(item(n) for n in range(pages if pages - page > 3 else pages - 1, pages + 1))
    else:
        out.extend(item(n, quirk=True) for n in range(2, pages + 1))
    disabled = '<li class="disabled"><a href="javascript:void(0)">{}</a></li>'
    prev = (
        f'<li><a rel="prev" title="{title} {page - 1}" href="{href(page - 1)}">&laquo;</a></li>'
        if page > 1
        else disabled.format("&laquo;")
    )
    following = (
        f'<li><a rel="next" title="{title} {page + 1}" href="{href(page + 1)}">&raquo;</a></li>'
        if page < pages
        else disabled.format("&raquo;")
    )
    return '<ul class="pagination">' + prev + "".join(out) + following + "</ul>"
