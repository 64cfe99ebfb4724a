"""Spiders: they decide where to go, never what a page says."""
