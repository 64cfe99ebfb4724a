"""newsspider: crawl Vietnamese provincial news portals into clean, validated JSON Lines."""

__version__ = "0.1.0"
