"""Scrapy settings of newsspider: polite by default, UTF-8 JSON Lines under output/.

Every value here is a Scrapy setting, overridable as usual (``-s NAME=value``, a spider's
``custom_settings``, Scrapyd). Settings of our own start with ``NEWSSPIDER_``.
"""

BOT_NAME = "newsspider"
SPIDER_MODULES = ["newsspider.spiders"]
NEWSPIDER_MODULE = "newsspider.spiders"

# Who we are. NukeViet serves its mobile theme (other markup) to mobile User-Agents, so the
# UA is a desktop browser's, followed by an honest bot token and a way to reach the operator.
# ``{contact}`` is replaced by NEWSSPIDER_CONTACT.
NEWSSPIDER_CONTACT = "https://github.com/newsspider/newsspider"
USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36 (compatible; newsspider/0.1; +{contact})"
)
ROBOTSTXT_OBEY = True
ROBOTSTXT_USER_AGENT = "newsspider"
ROBOTSTXT_PARSER = "newsspider.robots.SitemapAnnouncingRobotParser"  # also hands over Sitemap: lines

# Politeness: provincial portals are small servers.
CONCURRENT_REQUESTS = 16
# What one response yields (an article: one item; a listing: its links) is handled in order.
# Scrapy starts CONCURRENT_ITEMS worker tasks per response whatever it yields (scrapy#5182); at
# its default of 100 they were a third of the crawl's CPU per page, for no parallelism we use.
CONCURRENT_ITEMS = 1
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# Bounded work per response.
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
RETRY_TIMES = 3
REDIRECT_MAX_TIMES = 5
# Retries wait (newsspider.retry): Retry-After when the server sends one, else
# BACKOFF x 2^(attempt-1) seconds; never longer than MAX_DELAY (a longer Retry-After: no retry).
NEWSSPIDER_RETRY_BACKOFF = 1.0
NEWSSPIDER_RETRY_MAX_DELAY = 60.0

# Never fetch a private, loopback, link-local or reserved address (newsspider.netguard), a
# redirect target included: True allows all, or a list "127.0.0.1,10.1.0.0/16" allows those only.
NEWSSPIDER_ALLOW_PRIVATE_ADDRESSES = False

# No remote code execution surface: the 2.19 RemoteControl extension and the telnet console.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

ITEM_PIPELINES = {
    "newsspider.pipelines.clean.CleanPipeline": 100,
    "newsspider.pipelines.normalize.NormalizePipeline": 200,
    "newsspider.pipelines.validate.ValidatePipeline": 300,
    "newsspider.pipelines.dedupe.DedupePipeline": 400,
    # writes to DATABASE_URL; not configured (skipped) while DATABASE_URL is None
    "newsspider.pipelines.database.DatabasePipeline": 500,
}

# The downstream database a crawl also writes to (docs/database.md): sqlite:///path.db or
# postgresql://user@host/db. None: records go to the JSON Lines feed only (load it later with
# `newsspider load`).
DATABASE_URL = None

# Output: readable Vietnamese (no \u escapes). With no FEEDS configured, the portal spider
# writes output/<site>/<run timestamp>.jsonl; `-O file.jsonl` replaces that, and rejects go
# beside whichever feed is in force.
FEED_EXPORT_ENCODING = "utf-8"
FEED_EXPORTERS = {  # Scrapy's, with articles written by orjson (newsspider.feeds.JsonLinesExporter)
    "jsonlines": "newsspider.feeds.JsonLinesExporter",
    "jsonl": "newsspider.feeds.JsonLinesExporter",
    "jl": "newsspider.feeds.JsonLinesExporter",
}
FEED_STORAGES = {
    "": "newsspider.feeds.UnbufferedFileFeedStorage",
    "file": "newsspider.feeds.UnbufferedFileFeedStorage",
}

# Incremental runs: a seen-store per site (SQLite) in NEWSSPIDER_STATE_DIR remembers what was
# exported, so a scheduled run fetches only new and changed articles. Off: every run is full.
NEWSSPIDER_INCREMENTAL = True
NEWSSPIDER_STATE_DIR = "state"

# Article pages parsed, cleaned and normalized in this many other processes (0: in the crawl
# process). One Scrapy process uses one core; a crawl not held back by politeness (a backfill)
# runs up to twice as fast with 1 when a core is free. See newsspider.extraction_pool.
NEWSSPIDER_EXTRACTION_PROCESSES = 0

# Progress lines every N seconds (0: none); a run whose failed requests exceed this share of
# all requests (or that fetched nothing) ends with exit status 3.
NEWSSPIDER_PROGRESS_INTERVAL = 60.0
NEWSSPIDER_MAX_ERROR_RATE = 0.5

EXTENSIONS = {
    # after the feed exporter (0): an article is recorded as seen only once it is written
    "newsspider.extensions.seen.RecordExported": 100,
    "newsspider.extensions.progress.Progress": 110,
    # after Progress: its verdict and the health check's are joined in newsspider/failure
    "newsspider.extensions.health.Health": 120,
}

# Crawl health (newsspider.extensions.health, <feed>.health.json): a run whose records have a
# field less often than this (a layout change), once it has this many records, fails (exit 3).
NEWSSPIDER_MIN_COVERAGE = {"title": 0.95, "published_at": 0.9, "body_text": 0.95}
NEWSSPIDER_HEALTH_MIN_RECORDS = 5
COMMANDS_MODULE = "newsspider.commands"

# Where `-a site=NAME` looks for portals besides the packaged list (None: ./sites.toml if any).
NEWSSPIDER_SITES_FILE = None

# A fleet of workers sharing one frontier (docs/fleet.md): redis://host:6379/0 moves the
# scheduler, the duplicate filter, the seen-store and per-domain politeness to Redis. None: one
# process per run, as above. A worker leaves once its run stayed drained IDLE_SECONDS; its lease
# (requests it holds go back to the queue when it dies) lasts LEASE_SECONDS without a heartbeat.
NEWSSPIDER_REDIS_URL = None
NEWSSPIDER_FLEET_PREFIX = "newsspider"
NEWSSPIDER_FLEET_IDLE_SECONDS = 60.0
NEWSSPIDER_FLEET_LEASE_SECONDS = 60.0
NEWSSPIDER_FLEET_POLL_SECONDS = 1.0
NEWSSPIDER_FLEET_RUN_TTL = 7 * 86400  # seconds a run's duplicate filter and claims are kept
NEWSSPIDER_FLEET_WORKER = None  # this worker's id (None: <host>-<pid>)

LOG_LEVEL = "INFO"

DOWNLOADER_MIDDLEWARES = {
    # next to the engine: sees what failed for good, after retries and redirects (failures.jsonl)
    "newsspider.failures.FailureLedgerMiddleware": 10,
    # before the offsite and robots.txt middlewares: no connection to a refused host at all
    "newsspider.netguard.NetworkGuardMiddleware": 40,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "newsspider.retry.BackoffRetryMiddleware": 550,
    # Scrapy's own, recording the responses they refuse (gzip bombs, redirect loops)
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "newsspider.failures.HttpCompressionMiddleware": 590,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "newsspider.failures.RedirectMiddleware": 600,
    # a redirect comes back as a new request through process_request, so its target is checked too
    "newsspider.middlewares.BlockedEndpointsMiddleware": 650,
}
