"""``scrapy crawl`` as usual, but its exit status tells a scheduler whether the run failed.

Scrapy exits 0 whenever the crawl could start; a cron job or systemd timer needs a non-zero
status when nothing was fetched or too many requests failed (``newsspider/failure``, set by
``newsspider.extensions.progress``).
"""

from __future__ import annotations

import argparse

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

__all__ = ["Command", "FAILED_RUN_EXIT_CODE"]

FAILED_RUN_EXIT_CODE = 3


class Command(ScrapyCrawlCommand):
    """Run a spider of the project; exit 3 when the run failed, 1 when it could not start, 2 when
    its arguments are wrong."""

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("run one spider: scrapy crawl portal -a site=NAME")
        assert self.crawler_process is not None
        crawler = self._create_crawler(args[0])
        check = getattr(crawler.spidercls, "check_arguments", None)
        if check is not None:  # a mistake in -a arguments is a one-line error, not a traceback
            try:
                check(crawler.settings, **opts.spargs)
            except ValueError as error:
                raise UsageError(str(error), print_help=False) from None
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
        elif crawler.stats is not None and crawler.stats.get_value("newsspider/failure"):
            self.exitcode = FAILED_RUN_EXIT_CODE
