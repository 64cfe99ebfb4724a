"""``scrapy crawl`` as usual, but its exit status tells a scheduler whether the run failed.

Scrapy exits 0 whenever the crawl could start; a cron job or systemd timer needs a non-zero
status when nothing was fetched or too many requests failed (``newsspider/failure``, set by
``newsspider.extensions.progress``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

__all__ = ["Command", "FAILED_RUN_EXIT_CODE"]

FAILED_RUN_EXIT_CODE = 3
logger = logging.getLogger(__name__)


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
        started = self.crawler_process.crawl(crawler, **opts.spargs)
        if isinstance(started, asyncio.Task):
            started.add_done_callback(_report_no_site)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
        elif crawler.stats is not None and crawler.stats.get_value("newsspider/failure"):
            self.exitcode = FAILED_RUN_EXIT_CODE


def _report_no_site(task: asyncio.Task[None]) -> None:
    """Log a fleet worker that found no site to crawl in one line: a scheduled worker's quiet hour,
    not a crash (it still exits 1). Any other failure to start keeps asyncio's traceback."""
    from newsspider.fleet.run import NoActiveSite  # here: only a crawl that failed to start needs redis

    if task.cancelled():
        return
    error = task.exception()  # retrieved: asyncio no longer logs it as never retrieved
    if isinstance(error, NoActiveSite):
        logger.error("%s", error)
    elif error is not None:
        logger.error("the crawl could not start", exc_info=error)
