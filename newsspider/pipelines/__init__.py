"""Item pipelines, one concern each, in this order: clean → normalize → validate → dedupe."""
