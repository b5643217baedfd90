"""`arshif reindex` rebuilds archive.db from the WARC files with each crawl's own settings."""

from __future__ import annotations

import shutil

import pytest

from archive.crawl import summary
from archive.demo.server import SiteServer
from archive.demo.site import CUSTOM_PROFILE

from .conftest import crawl, query, run_arshif

REPLAY = "http://127.0.0.1:8095/mine/{timestamp}/{url}"


def articles(out, columns: str = "*") -> list[dict]:
    return [dict(r) for r in query(out, f"select {columns} from articles order by url")]


def test_reindex_uses_the_profile_and_replay_url_each_crawl_recorded(tmp_path):
    """A crawl with a per-site profile and its own replay URL pattern; the profile file is gone by
    the time of the rebuild, so only what the crawl recorded can make the rows come out the same."""
    profile = tmp_path / "custom.toml"
    profile.write_text(CUSTOM_PROFILE, encoding="utf-8")
    out = tmp_path / "out"
    with SiteServer("custom") as server:
        crawl(server.base_url + "/", out, "--profile", profile, "-s", f"ARSHIF_REPLAY_URL={REPLAY}")
    profile.unlink()
    columns = ", ".join(c for c in articles(out)[0] if c != "capture_id")
    before = articles(out, columns)
    assert len(before) == 42 and all(r["replay_url"].startswith("http://127.0.0.1:8095/mine/") for r in before)

    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    proc = run_arshif("reindex", copy)
    assert ", 42 articles in " in proc.stdout
    assert articles(copy, columns) == before
    settings = query(copy, "select settings from crawls")[0]["settings"]
    assert '"ARSHIF_PROFILE_SELECTORS": {' in settings and REPLAY in settings


def test_explicit_options_override_what_the_crawl_recorded(tmp_path):
    out = tmp_path / "out"
    with SiteServer("classic") as server:
        crawl(server.base_url + "/", out)
    default = articles(out, "url, replay_url")
    assert all(r["replay_url"].startswith("http://127.0.0.1:8080/arshif/") for r in default)
    run_arshif("reindex", out, "--replay-url", "http://127.0.0.1:9000/c/{timestamp}/{url}")
    rebuilt = articles(out, "url, replay_url")
    assert [r["url"] for r in rebuilt] == [r["url"] for r in default]
    assert [r["replay_url"] for r in rebuilt] == [r["replay_url"].replace("127.0.0.1:8080/arshif", "127.0.0.1:9000/c")
                                                  for r in default]


def test_a_worker_decides_and_extracts_an_archived_page_from_one_parse(monkeypatch):
    """`reindex` and `arshif extract` hand the archived body to a worker: a listing is no article,
    an empty body is no page (it used to stop the whole run), and an article comes out as the
    crawl's workers extract it from the decoded text."""
    from archive.demo.site import build_site
    from archive.pages.archived import ArchivedPage, extract_archived
    from archive.pages.extract import extract_for_store

    base = "http://127.0.0.1:9"
    site = build_site("classic", base + "/")
    post, listing = site["/2025/11/article-40/"], site["/page/2/"]
    options = {"base_date": "2025-12-26T09:00:00Z"}
    pages = [ArchivedPage(base + "/2025/11/article-40/", post.body, post.content_type, options=options),
             ArchivedPage(base + "/page/2/", listing.body, listing.content_type, options=options),
             ArchivedPage(base + "/empty/", b"", "text/html", options=options)]
    expected = extract_for_store(post.body.decode("utf-8"), base + "/2025/11/article-40/", **options)
    # one parse: the extractor must use the tree the worker classified, never parse again
    monkeypatch.setattr("archive.pages.extract.html_root", lambda *a, **k: pytest.fail("parsed twice"))
    article, not_article, empty = extract_archived(pages)
    assert (not_article, empty) == (None, None)
    assert article == expected
    assert article["title"] and article["text"] and article["fts"][1]


# What `python -m http.server` answers for a folder: the blog's /feed/ served as a directory.
DIRECTORY_LISTING = ('<!DOCTYPE HTML><html lang="en"><head><meta charset="utf-8"><title>Directory listing for /feed/'
                     '</title></head><body><h1>Directory listing for /feed/</h1><hr><ul><li><a href="index.xml">'
                     'index.xml</a></li></ul><hr></body></html>')


def test_a_feed_url_answering_html_is_no_article_when_the_archive_is_rebuilt(tmp_path):
    """Every page links to /feed/ (``<link rel=alternate type=application/rss+xml>``), which answers
    a directory listing. The crawl reads it as a feed, finds no item and stores no article for it;
    `arshif extract` after a capture-only crawl, and `arshif reindex`, decide the same: a link of
    kind "feed" leads to the feed as well as from it to its items, and only a feed's entries make
    a page a feed item. Nor does the crawl count the listing among the posts it did not understand."""
    from archive.demo.site import Resource

    with SiteServer("classic") as server:
        theme = server.theme
        server.site[theme.feed_path] = Resource(DIRECTORY_LISTING.encode(), "text/html; charset=utf-8")
        full = crawl(server.base_url + "/", tmp_path / "full")
        crawl(server.base_url + "/", tmp_path / "later", "--capture-only")
        posts = sorted(theme.url(theme.post_path(p)) for p in theme.posts)
    feed_url = theme.url(theme.feed_path)
    assert query(tmp_path / "full", "select count(*) n from captures where url = ? and status = 200 "
                                    "and content_type like 'text/html%'", [feed_url])[0]["n"] == 1
    assert query(tmp_path / "full", "select count(distinct from_url) n from links where to_url = ? and kind = 'feed'",
                 [feed_url])[0]["n"] > 40  # linked as "feed" from every page
    assert [r["url"] for r in articles(tmp_path / "full", "url")] == posts and len(posts) == 42
    assert "warning" not in full.stderr
    stats = query(tmp_path / "full", "select stats from crawls")[0]["stats"]
    assert '"arshif/health/unstored_posts": 0' in stats

    extracted = run_arshif("extract", tmp_path / "later")
    assert ", 42 articles extracted in " in extracted.stdout and "warning" not in extracted.stderr
    assert [r["url"] for r in articles(tmp_path / "later", "url")] == posts

    before = summary(tmp_path / "full")
    assert ", 42 articles in " in run_arshif("reindex", tmp_path / "full").stdout
    assert [r["url"] for r in articles(tmp_path / "full", "url")] == posts
    after = summary(tmp_path / "full")  # the rebuilt crawls row: the crawl's own figures
    assert after.health == before.health and after.health["unstored_posts"] == 0 and not after.health_lines()
    assert (after.pages, after.articles, after.warc_bytes) == (before.pages, 42, before.warc_bytes)
