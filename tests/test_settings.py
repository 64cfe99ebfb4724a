"""Polite, safe defaults, and the default feed that `-O` replaces."""

from __future__ import annotations

from scrapy.settings import Settings

from newsspider import settings as project_settings
from newsspider.feeds import DEFAULT_FEED_URI
from newsspider.spiders.portal import PortalSpider


def _settings(**overrides: object) -> Settings:
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    settings.setdict(overrides, priority="cmdline")
    PortalSpider.update_settings(settings)
    return settings


def test_polite_and_safe_defaults() -> None:
    settings = _settings()
    assert settings.getbool("ROBOTSTXT_OBEY")
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") <= 2
    assert not settings.getbool("REMOTE_CONTROL_ENABLED")
    assert not settings.getbool("TELNETCONSOLE_ENABLED")
    assert settings.get("FEED_EXPORT_ENCODING") == "utf-8"


def test_user_agent_is_a_desktop_browser_with_an_honest_bot_token_and_contact() -> None:
    agent = _settings(NEWSSPIDER_CONTACT="mailto:ops@example.org").get("USER_AGENT")
    assert agent.startswith("Mozilla/5.0 (Windows NT 10.0; Win64; x64)")
    assert "Mobile" not in agent and "Android" not in agent
    assert "newsspider/" in agent and "+mailto:ops@example.org" in agent


def test_default_feed_only_when_no_feed_is_configured() -> None:
    assert list(_settings().getdict("FEEDS")) == [DEFAULT_FEED_URI]
    custom = {"mine.jsonl": {"format": "jsonlines"}}
    assert list(_settings(FEEDS=custom).getdict("FEEDS")) == ["mine.jsonl"]


def test_the_user_agent_sent_names_the_contact(tmp_path) -> None:
    """The contact is filled in for real crawls too (the runner merges project settings in late)."""
    from crawling import run_crawl
    from gold import NUKEVIET

    from newsspider.demo.server import FixtureServer

    with FixtureServer(NUKEVIET / "egov-short") as server:
        args = [
            "-a",
            f"url={server.url('/')}",
            "-s",
            "NEWSSPIDER_CONTACT=mailto:ops@example.org",
            "-O",
            "o.jsonl",
        ]
        assert run_crawl(tmp_path, *args).returncode == 0
    (agent,) = server.user_agents
    assert agent.endswith("(compatible; newsspider/0.1; +mailto:ops@example.org)")
    assert agent.startswith("Mozilla/5.0 (Windows NT 10.0; Win64; x64)")
