"""Scrapy extensions: bookkeeping around the crawl (what was exported, how the run went)."""
