"""Item pipelines, one concern each, in this order: clean → normalize → validate → dedupe,
then, when ``DATABASE_URL`` is set, database (``newsspider load`` during the crawl)."""
