"""Portals by name: the ``sites.toml`` registry.

The packaged ``newsspider/sites.toml`` is read first, then a user file (``sites.toml`` in the
working directory, or the ``NEWSSPIDER_SITES_FILE`` setting); a user entry replaces a packaged
one of the same name. Every mistake in a file is reported with the file and entry it is in.
"""

from __future__ import annotations

import codecs
import re
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from importlib.resources import files
from pathlib import Path
from urllib.parse import urlsplit

from newsspider.parsers._profile import check_profile

__all__ = ["FAMILIES", "Site", "SiteConfigError", "load_sites", "make_site", "site_name_for_url"]

FAMILIES = ("nukeviet", "generic")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_KEYS = {"url", "family", "start_pages", "encoding", "timezone", "verified", "notes", "profile"}
_LEGACY_ENCODINGS = ("tcvn3", "vni")  # font encodings over cp1252, converted by newsspider.encoding


class SiteConfigError(ValueError):
    """A site entry or spider argument that cannot be used, with the reason."""


@dataclass(frozen=True)
class Site:
    """One portal: where it is and how to read it."""

    name: str
    url: str
    family: str | None = None
    start_pages: tuple[str, ...] = ()
    encoding: str | None = None
    timezone: float = 7.0
    verified: bool = False
    notes: str = ""
    profile: Mapping[str, str] | None = None  # selectors of the generic family (parsers/_profile.py)

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    def entry(self) -> dict[str, object]:
        """Return the site as a sites.toml entry (to build a changed copy with make_site)."""
        entry = {key: value for key, value in asdict(self).items() if value is not None}
        entry["start_pages"] = list(self.start_pages)
        if self.profile is not None:
            entry["profile"] = dict(self.profile)
        del entry["name"]
        return entry


def load_sites(user_file: str | Path | None = None) -> dict[str, Site]:
    """Return every configured site by name: packaged entries overlaid by the user file's."""
    packaged = files("newsspider").joinpath("sites.toml").read_text(encoding="utf-8")
    sites = _parse(packaged, "newsspider/sites.toml")
    path = Path(user_file) if user_file else Path("sites.toml")
    if user_file and not path.is_file():
        raise SiteConfigError(f"sites file {path} does not exist")
    if path.is_file():
        sites.update(_parse(path.read_text(encoding="utf-8"), str(path)))
    return sites


def site_name_for_url(url: str) -> str:
    """Return a site name for a portal given only by URL: its host, made file-name safe."""
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    name = re.sub(r"[^a-z0-9.-]+", "-", host.lower()).strip(".-")
    if not name:
        raise SiteConfigError(f"url {url!r} has no host")
    return name[:64]


def make_site(name: str, entry: Mapping[str, object], origin: str = "spider arguments") -> Site:
    """Return a checked :class:`Site` built from one entry of a sites file."""
    where = f"{origin}: [{name}]"
    if not _NAME.match(name):
        raise SiteConfigError(f"{where}: a site name is lower-case letters, digits, '.', '_' or '-'")
    unknown = set(entry) - _KEYS
    if unknown:
        raise SiteConfigError(f"{where}: unknown keys {sorted(unknown)}; known: {sorted(_KEYS)}")
    url = _check_url(entry.get("url"), f"{where} url")
    family = entry.get("family")
    if family is not None and family not in FAMILIES:
        raise SiteConfigError(f"{where}: family {family!r} is not one of {FAMILIES}")
    start_pages = entry.get("start_pages", [])
    if not isinstance(start_pages, list):
        raise SiteConfigError(f"{where}: start_pages must be a list of URLs")
    encoding = entry.get("encoding")
    if encoding is not None and str(encoding).lower() not in _LEGACY_ENCODINGS:
        try:
            codecs.lookup(str(encoding))
        except LookupError:
            raise SiteConfigError(f"{where}: unknown encoding {encoding!r}") from None
    profile = entry.get("profile")
    if profile is not None:
        if family not in (None, "generic"):
            raise SiteConfigError(f"{where}: a profile customises the generic family, not {family!r}")
        if not isinstance(profile, Mapping):
            raise SiteConfigError(f"{where}: profile must be a table of field = selector")
        try:
            profile = check_profile(profile)
        except ValueError as error:
            raise SiteConfigError(f"{where}: {error}") from None
        family = "generic"
    timezone = entry.get("timezone", 7)
    if not isinstance(timezone, int | float) or not -12 <= timezone <= 14:
        raise SiteConfigError(f"{where}: timezone is a UTC offset in hours, -12 to 14")
    return Site(
        name=name,
        url=url,
        family=str(family) if family else None,
        start_pages=tuple(_check_url(page, f"{where} start_pages") for page in start_pages),
        encoding=str(encoding) if encoding else None,
        timezone=float(timezone),
        verified=bool(entry.get("verified", False)),
        notes=str(entry.get("notes", "")),
        profile=profile,
    )


def _parse(text: str, origin: str) -> dict[str, Site]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SiteConfigError(f"{origin}: not valid TOML: {error}") from None
    sites = {}
    for name, entry in data.items():
        if not isinstance(entry, dict):
            raise SiteConfigError(f"{origin}: {name!r} must be a table ([{name}])")
        sites[name] = make_site(name, entry, origin)
    return sites


def _check_url(url: object, where: str) -> str:
    parts = urlsplit(str(url or ""))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SiteConfigError(f"{where}: {url!r} is not an http(s) URL")
    return str(url)
