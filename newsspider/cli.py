"""The ``newsspider`` console script: what is not a crawl.

    newsspider demo                      serve the bundled portal on 127.0.0.1 and crawl it
    newsspider extract FILE|URL          print the record one page yields
    newsspider load FILE|GLOB… [--db URL] load JSON Lines records into SQLite or PostgreSQL
    newsspider check-site NAME|URL       crawl a few pages; show what each field yields
    newsspider enqueue NAME|URL…         start fleet runs of sites (workers: docs/fleet.md)

Crawls themselves are ``scrapy crawl portal …``, as in every Scrapy project.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from w3lib.encoding import html_to_unicode

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the console script; return its exit status."""
    parser = argparse.ArgumentParser(prog="newsspider", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="crawl the bundled offline demo portal into output/")
    demo.add_argument("--port", type=int, default=8088,
                      help="port of the demo server (default 8088, else any free port)")  # fmt: skip
    demo.set_defaults(run=_demo)

    extract = commands.add_parser("extract", help="print the record one article page yields")
    extract.add_argument("page", help="a saved HTML file or an http(s) URL")
    extract.add_argument("--url", help="the URL the page was fetched from (default: its canonical)")
    extract.add_argument("--family", choices=["nukeviet", "generic"], help="CMS family (default: detected)")
    extract.add_argument("--site", default="local", help="site name used in the record id")
    extract.set_defaults(run=_extract)

    load = commands.add_parser("load", help="load JSON Lines records into SQLite or PostgreSQL")
    load.add_argument("files", nargs="+", help="JSON Lines files or globs (quote them: 'output/**/*.jsonl')")
    load.add_argument("--db", default=os.environ.get("DATABASE_URL") or "sqlite:///output/articles.db",
                      help="sqlite:///PATH or postgresql://… (default: $DATABASE_URL, else "
                           "sqlite:///output/articles.db)")  # fmt: skip
    load.add_argument("--batch-size", type=int, default=2500, help="records per transaction (default 2500)")
    load.set_defaults(run=_load)

    check = commands.add_parser("check-site", help="crawl a few article pages; show what each field yields")
    check.add_argument("site", help="a site name from sites.toml, or a portal's root URL")
    check.add_argument("--pages", type=int, default=10, help="article pages to read (default 10)")
    check.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                       help="a Scrapy setting for this crawl, as with scrapy crawl -s")  # fmt: skip
    check.set_defaults(run=_check_site)

    enqueue = commands.add_parser("enqueue", help="start fleet runs of sites for the workers (docs/fleet.md)")
    enqueue.add_argument("sites", nargs="+", help="site names from sites.toml, or portals' root URLs")
    enqueue.add_argument("--redis", help="redis://… (default: NEWSSPIDER_REDIS_URL of the settings)")
    enqueue.set_defaults(run=_enqueue)

    args = parser.parse_args(argv)
    return int(args.run(args))


def _demo(args: argparse.Namespace) -> int:
    """Serve the bundled NukeViet portal on loopback and crawl it with the real pipeline."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newsspider.settings")
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from newsspider.demo.server import DEMO_SITE_DIR, FixtureServer
    from newsspider.feeds import DEFAULT_FEED_URI
    from newsspider.spiders.portal import PortalSpider

    settings = get_project_settings()
    # Our own server on loopback: no need to wait between requests, and its address (only) allowed.
    # A demo shows the whole crawl every time: no state from an earlier demo run.
    settings.setdict(
        {
            "AUTOTHROTTLE_ENABLED": False,
            "DOWNLOAD_DELAY": 0,
            "NEWSSPIDER_ALLOW_PRIVATE_ADDRESSES": "127.0.0.1",
            "NEWSSPIDER_INCREMENTAL": False,
        },
        priority="cmdline",
    )
    try:
        server = FixtureServer(DEMO_SITE_DIR, port=args.port)
    except OSError:  # the port is taken: any free one will do
        server = FixtureServer(DEMO_SITE_DIR, port=0)
    with server:
        print(f"demo portal serving at {server.origin}/", file=sys.stderr)
        process = CrawlerProcess(settings)
        crawler = process.create_crawler(PortalSpider)
        process.crawl(crawler, site="demo", url=server.url("/"))
        process.start()
    assert crawler.stats is not None and isinstance(crawler.spider, PortalSpider)
    exported = crawler.stats.get_value("item_scraped_count", 0)
    output = DEFAULT_FEED_URI % {"site": crawler.spider.site, "run_ts": crawler.spider.run_ts}
    print(f"{exported} articles written to {output}", file=sys.stderr)
    return 0 if exported else 1


def _extract(args: argparse.Namespace) -> int:
    """Print the cleaned, normalized record of one page, and any schema violations."""
    from newsspider.extraction import NotAnArticle, extract
    from newsspider.pipelines.validate import validation_errors

    try:
        html, url = _read_page(args.page)
        record = extract(html, args.url or url, site=args.site, family=args.family)
    except (OSError, NotAnArticle) as error:
        print(f"newsspider extract: {error}", file=sys.stderr)
        return 2
    print(json.dumps(record, ensure_ascii=False, indent=2))
    reasons = validation_errors(record)
    for reason in reasons:
        print(f"invalid: {reason}", file=sys.stderr)
    return 1 if reasons else 0


def _load(args: argparse.Namespace) -> int:
    """Load records into the database; report bad lines as FILE:LINE: reason; 1 if any."""
    from newsspider.db import connect, load_files
    from newsspider.db.files import expand

    files, unmatched = expand(args.files)
    for pattern in unmatched:
        print(f"newsspider load: no file matches {pattern}", file=sys.stderr)
    if unmatched:
        return 2

    def report(file: str, line: int, reason: str) -> None:
        print(f"{file}:{line}: {reason}", file=sys.stderr)

    try:
        db = connect(args.db)
    except Exception as error:  # a bad URL, an unreachable server: say which, no traceback
        print(f"newsspider load: cannot open {args.db}: {error}", file=sys.stderr)
        return 2
    with db:
        stats = load_files(db, files, batch_size=args.batch_size, report=report)
    print(f"{stats.lines} lines from {len(files)} files: {stats.inserted} new, {stats.updated} updated, "
          f"{stats.unchanged} unchanged, {stats.linked} linked as republications, {stats.bad} bad lines",
          file=sys.stderr)  # fmt: skip
    return 1 if stats.bad else 0


def _check_site(args: argparse.Namespace) -> int:
    """Print per-field coverage of a short live crawl; 1 when no article page was read."""
    from newsspider.check_site import format_coverage, run_check

    overrides = dict(item.split("=", 1) for item in args.set if "=" in item)
    site, total, found, rejected = run_check(args.site, args.pages, overrides)
    print(format_coverage(site, total, found, rejected))
    return 0 if total else 1


def _enqueue(args: argparse.Namespace) -> int:
    """Start a fleet run of each site; 2 when a site or Redis cannot be used."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newsspider.settings")
    from scrapy.utils.project import get_project_settings

    from newsspider.fleet import enqueue
    from newsspider.fleet.run import client, resolve_seed
    from newsspider.sites import SiteConfigError

    settings = get_project_settings()
    url = args.redis or settings.get("NEWSSPIDER_REDIS_URL")
    if not url:
        print("newsspider enqueue: say where Redis is: --redis URL or NEWSSPIDER_REDIS_URL", file=sys.stderr)
        return 2
    try:
        sites = [resolve_seed(seed, settings.get("NEWSSPIDER_SITES_FILE")) for seed in args.sites]
        started = enqueue(client(url), sites, settings.get("NEWSSPIDER_FLEET_PREFIX") or "newsspider")
    except SiteConfigError as error:
        print(f"newsspider enqueue: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # Redis unreachable: say which, no traceback
        print(f"newsspider enqueue: cannot use {url}: {error}", file=sys.stderr)
        return 2
    for site, run, new in started:
        print(f"{site.name}: run {run} {'started' if new else 'already active'}", file=sys.stderr)
    return 0


def _read_page(page: str) -> tuple[str, str | None]:
    """Return the text of a saved page or a fetched URL, and the URL when fetched."""
    if page.startswith(("http://", "https://")):
        from newsspider.settings import NEWSSPIDER_CONTACT, USER_AGENT

        agent = USER_AGENT.replace("{contact}", NEWSSPIDER_CONTACT)
        request = urllib.request.Request(page, headers={"User-Agent": agent})
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (http only)
            body = response.read(16 * 1024 * 1024)
            content_type = response.headers.get("Content-Type")
            final_url = response.geturl()
    else:
        body, content_type, final_url = Path(page).read_bytes(), None, None
    _, text = html_to_unicode(content_type, body)
    return text, final_url


if __name__ == "__main__":
    sys.exit(main())
