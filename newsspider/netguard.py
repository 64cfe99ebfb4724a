"""Keep the crawl on the portal and off private networks, redirects included.

:class:`NetworkGuardMiddleware` refuses, before any connection is made:

- a request to a host that is not the portal's (``allowed_domains``), even one Scrapy's own
  offsite filter lets through because it skips the duplicate filter (a retried request, the
  root page) — reason ``offsite``;
- a request to a private, loopback, link-local, multicast, reserved or unspecified address
  (``10.0.0.1``, ``169.254.169.254`` — the cloud metadata service —, ``::1`` …) — reason
  ``private_address``. Literal addresses are checked as they are; a host name is resolved once
  per run with ``socket.getaddrinfo`` and refused when any of its addresses is private.

Both are checked when a request is scheduled (a redirect comes back as a new request, so every
redirect target is checked) and again when it is about to be downloaded. Refusals are recorded
in the failure ledger (``newsspider.failures``).

``NEWSSPIDER_ALLOW_PRIVATE_ADDRESSES`` (default False) allows private destinations: ``True`` for
all of them, or a comma-separated list of addresses and networks (``127.0.0.1``,
``192.168.0.0/16``) to allow only those — a portal on an intranet, the tests' own server.

Caveat (DNS rebinding): the resolution here and the downloader's own are separate look-ups, so a
host name whose DNS answer changes between the two could still reach a private address. Literal
addresses, redirect targets and the usual DNS are covered; a hostile DNS server is not — put the
crawler behind an egress firewall if that matters.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Iterable

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.utils.httpobj import urlparse_cached

from newsspider.failures import FailureLedger, Refused, ledger_for

__all__ = ["NetworkGuardMiddleware", "allowed_networks", "is_private"]

logger = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_private(address: IPAddress) -> bool:
    """Return True for an address no public web page may lead the crawler to."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return is_private(address.ipv4_mapped)
    return (
        address.is_private or address.is_loopback or address.is_link_local or address.is_multicast
        or address.is_reserved or address.is_unspecified or not address.is_global
    )  # fmt: skip


def allowed_networks(value: object) -> tuple[bool, list[Network]]:
    """Parse ``NEWSSPIDER_ALLOW_PRIVATE_ADDRESSES``: ``(all allowed, networks allowed)``."""
    if isinstance(value, bool) or value is None:
        return bool(value), []
    items: Iterable[object] = value if isinstance(value, list | tuple) else str(value).split(",")
    words = [str(item).strip() for item in items if str(item).strip()]
    if len(words) == 1 and words[0].lower() in ("true", "1", "yes", "false", "0", "no"):
        return words[0].lower() in ("true", "1", "yes"), []
    return False, [ipaddress.ip_network(word, strict=False) for word in words]


class NetworkGuardMiddleware:
    """Refuse off-portal and private destinations, before any connection (downloader mw, 40)."""

    def __init__(
        self, crawler: Crawler, allow_all: bool, allowed: list[Network], ledger: FailureLedger
    ) -> None:
        self.crawler = crawler
        self.allow_all = allow_all
        self.allowed = allowed
        self.ledger = ledger
        self._resolved: dict[str, bool] = {}  # host -> private

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NetworkGuardMiddleware:
        allow_all, allowed = allowed_networks(crawler.settings.get("NEWSSPIDER_ALLOW_PRIVATE_ADDRESSES"))
        guard = cls(crawler, allow_all, allowed, ledger_for(crawler))
        crawler.signals.connect(guard.request_scheduled, signal=signals.request_scheduled)
        return guard

    def request_scheduled(self, request: Request, spider: Spider) -> None:
        """Drop a refused request before it is queued (the engine drops it on IgnoreRequest)."""
        try:
            self.check(request)
        except Refused as refused:
            self.ledger.record_exception(request, refused)
            raise

    def process_request(self, request: Request) -> None:
        self.check(request)  # a refusal reaches the ledger through its process_exception

    def check(self, request: Request) -> None:
        """Raise :class:`Refused` when ``request`` must not be sent."""
        host = urlparse_cached(request).hostname or ""
        literal = _literal(host)
        if literal is not None and not self._allowed(literal):
            self._refuse(request, "private_address", f"{host} is a private or reserved address")
        if not self._on_portal(host):
            self._refuse(request, "offsite", f"{host} is not the portal's host")
        if literal is None and not self.allow_all and self._resolves_private(host):
            self._refuse(request, "private_address", f"{host} resolves to a private or reserved address")

    def _allowed(self, address: IPAddress) -> bool:
        return self.allow_all or not is_private(address) or any(address in net for net in self.allowed)

    def _on_portal(self, host: str) -> bool:
        domains = getattr(self.crawler.spider, "allowed_domains", None)
        if not domains:
            return True
        host = host.lower()
        return any(host == domain or host.endswith("." + domain) for domain in map(str.lower, domains))

    def _resolves_private(self, host: str) -> bool:
        if host not in self._resolved:
            try:
                infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
            except (OSError, UnicodeError):
                infos = []  # the download fails with its own DNS error
            addresses = {ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos}
            self._resolved[host] = any(not self._allowed(address) for address in addresses)
        return self._resolved[host]

    def _refuse(self, request: Request, reason: str, message: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"newsspider/refused/{reason}")
        logger.warning("refused %s: %s (redirected from %s)", request.url, message,
                       (request.meta.get("redirect_urls") or ["nowhere"])[0])  # fmt: skip
        raise Refused(reason, f"{reason}: {message}: {request.url}")


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
