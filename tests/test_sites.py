"""sites.toml: packaged portals, the user's file on top, and a clear error for every mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsspider.sites import SiteConfigError, load_sites, site_name_for_url


def test_packaged_sites_include_the_demo_and_unverified_real_portals(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # no user sites.toml here
    sites = load_sites()
    assert sites["demo"].verified and sites["demo"].family == "nukeviet"
    real = [site for name, site in sites.items() if name != "demo"]
    assert len(real) >= 3 and not any(site.verified for site in real)
    assert all(site.url.startswith("https://") for site in real)


def test_user_file_adds_and_replaces_entries(tmp_path: Path) -> None:
    user = tmp_path / "sites.toml"
    user.write_text(
        '[demo]\nurl = "http://127.0.0.1:9999/"\n\n'
        '[my-portal]\nurl = "https://portal.example.gov.vn/"\nfamily = "nukeviet"\n'
        'start_pages = ["https://portal.example.gov.vn/vi/news/tin-tuc/"]\n'
        'encoding = "windows-1258"\ntimezone = 7\n',
        encoding="utf-8",
    )
    sites = load_sites(user)
    assert sites["demo"].url == "http://127.0.0.1:9999/"
    portal = sites["my-portal"]
    assert portal.host == "portal.example.gov.vn"
    assert portal.start_pages == ("https://portal.example.gov.vn/vi/news/tin-tuc/",)
    assert portal.encoding == "windows-1258"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('[Bad_Name]\nurl = "https://a.vn/"', "a site name is lower-case"),
        ('[a]\nurl = "ftp://a.vn/"', "is not an http(s) URL"),
        ('[a]\nurl = "https://a.vn/"\nfamily = "joomla"', "family 'joomla' is not one of"),
        ('[a]\nurl = "https://a.vn/"\nencoding = "klingon"', "unknown encoding 'klingon'"),
        ('[a]\nurl = "https://a.vn/"\ntimezone = 25', "timezone is a UTC offset"),
        ('[a]\nurl = "https://a.vn/"\nstart_page = []', "unknown keys ['start_page']"),
        ('[a]\nurl = "https://a.vn/"\nstart_pages = "https://a.vn/x/"', "start_pages must be a list"),
        ("[a\nurl=", "not valid TOML"),
    ],
)
def test_mistakes_are_reported_with_file_and_entry(tmp_path: Path, entry: str, message: str) -> None:
    user = tmp_path / "sites.toml"
    user.write_text(entry, encoding="utf-8")
    with pytest.raises(SiteConfigError) as error:
        load_sites(user)
    assert message in str(error.value)
    assert str(user) in str(error.value)


def test_missing_user_file_named_explicitly_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SiteConfigError, match="does not exist"):
        load_sites(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("url", "name"),
    [("https://www.binhphuoc.gov.vn/vi/", "binhphuoc.gov.vn"), ("http://127.0.0.1:8088/", "127.0.0.1"),
     ("https://XN--Bc-Giang.vn/", "xn--bc-giang.vn")],
)  # fmt: skip
def test_site_name_from_url_is_file_name_safe(url: str, name: str) -> None:
    assert site_name_for_url(url) == name


def test_newspaper_profiles_ship_unverified_and_recognise_their_url_shapes(
    tmp_path: Path, monkeypatch
) -> None:
    from newsspider.parsers import generic

    monkeypatch.chdir(tmp_path)
    sites = load_sites()
    for name, url, native in [
        ("baobacgiang", "https://baobacgiang.com.vn/bg/the-thao/177110/san-co-nhan-tao.html", "177110"),
        ("baobacninhtv", "https://baobacninhtv.vn/xuat-khau-vai-thieu-postid423.bbg", "423"),
    ]:
        site = sites[name]
        assert site.family == "generic" and not site.verified and site.profile
        assert generic.article_id(url, profile=site.profile) == native


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('family = "nukeviet"\n[a.profile]\ntitle = "h1"', "a profile customises the generic family"),
        ('[a.profile]\ntitel = "h1"', "unknown profile keys ['titel']"),
        ('[a.profile]\ntitle = "h1[["', "is not a valid selector"),
        ('[a.profile]\narticle_url = "(unclosed"', "is not a valid selector"),
    ],
)
def test_profile_mistakes_are_reported(tmp_path: Path, entry: str, message: str) -> None:
    user = tmp_path / "sites.toml"
    user.write_text(f'[a]\nurl = "https://a.vn/"\n{entry}\n', encoding="utf-8")
    with pytest.raises(SiteConfigError) as error:
        load_sites(user)
    assert message in str(error.value) and "[a]" in str(error.value)


def test_a_profile_makes_a_site_generic() -> None:
    from newsspider.sites import make_site

    site = make_site("a", {"url": "https://a.vn/", "profile": {"title": "h1.title::text"}})
    assert site.family == "generic" and site.profile == {"title": "h1.title::text"}
    assert make_site("a", site.entry()) == site  # round-trips through a sites.toml entry
