"""The blog's feed as ground truth: what a page does not print (date, author) comes from its feed
item, stays after the post leaves the feed, reaches the author tables, and reindex agrees."""

from __future__ import annotations

import shutil

from .conftest import LocalHandler, crawl, local_server, query, run_arshif

TEXT = "فقرة طويلة عن مكتبات المدينة القديمة وما تحفظه من مخطوطات نادرة عبر القرون. " * 8


class FeedBlog(LocalHandler):
    """Two posts whose pages print neither a date nor an author; the RSS feed has both."""
    in_feed = [1, 2]
    edition = 1

    def do_GET(self):  # noqa: N802
        base = f"http://{self.headers['Host']}"
        if self.path == "/":
            posts = "".join(f'<article class="post hentry"><h2 class="entry-title"><a href="/p/{n}/">مقال {n}</a></h2>'
                            "</article>" for n in (1, 2))
            body = (f'<html lang="ar"><head><link rel="alternate" type="application/rss+xml" href="/feed/"></head>'
                    f'<body class="home blog">{posts}</body></html>')
        elif self.path in ("/p/1/", "/p/2/"):
            n = self.path[3]
            body = (f'<html lang="ar"><body class="single single-post"><article><h1 class="entry-title">مقال {n}</h1>'
                    f'<div class="entry-content"><p>{TEXT}</p><p>الطبعة {FeedBlog.edition}.</p></div></article>'
                    "</body></html>")
        elif self.path == "/feed/":
            items = "".join(f"<item><title>مقال {n}</title><link>{base}/p/{n}/</link><dc:creator>ليلى منصور</dc:creator>"
                            f"<pubDate>Thu, 0{n} Jan 2026 09:30:00 +0300</pubDate></item>" for n in FeedBlog.in_feed)
            body = ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
                    f"<channel><title>مدونة</title>{items}</channel></rss>")
            self.respond(200, body.encode(), {"Content-Type": "application/rss+xml; charset=utf-8"})
            return
        else:
            self.respond(404, b"", {})
            return
        self.respond(200, body.encode(), {"Content-Type": "text/html; charset=utf-8"})


def test_the_feed_fills_what_pages_lack_and_it_stays(tmp_path):
    out = tmp_path / "out"
    with local_server(FeedBlog) as url:
        crawl(url, out, "-s", "ROBOTSTXT_OBEY=False", "-s", "ARSHIF_REQUISITES=False")
        first = {r["url"]: dict(r) for r in query(out, "select * from articles")}
        FeedBlog.in_feed, FeedBlog.edition = [2], 2  # post 1 leaves the feed, and both pages change
        crawl(url, out, "-s", "ROBOTSTXT_OBEY=False", "-s", "ARSHIF_REQUISITES=False", "--full")
    rows = {r["url"]: dict(r) for r in query(out, "select * from articles")}
    assert len(first) == len(rows) == 2
    for url, row in rows.items():
        n = url.rstrip("/")[-1]
        assert "الطبعة 2." in row["text"]  # re-extracted by the second crawl ...
        assert row["published"] == f"2026-01-0{n}T09:30:00+03:00" and row["published_source"] == "feed"  # ... dates kept
        assert row["published_raw"] == f"Thu, 0{n} Jan 2026 09:30:00 +0300" and row["author"] == "ليلى منصور"
    authors = query(out, "select author, articles from articles_per_author")
    assert [tuple(r) for r in authors] == [("ليلى منصور", 2)]
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    run_arshif("reindex", copy)
    columns = "url, title, published, published_raw, published_source, author"
    assert [tuple(r) for r in query(copy, f"select {columns} from articles order by url")] == \
        [tuple(r) for r in query(out, f"select {columns} from articles order by url")]


class SitemapListsTheFeed(FeedBlog):
    """Nikola's way: the sitemap index lists the feed (rss.xml) among its sitemaps, and the home
    page here names no feed: the feed is first requested as a sitemap."""

    def do_GET(self):  # noqa: N802
        if self.path == "/sitemap.xml":
            body = (f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/'
                    f'sitemap/0.9"><sitemap><loc>http://{self.headers["Host"]}/feed/</loc></sitemap></sitemapindex>')
            self.respond(200, body.encode(), {"Content-Type": "application/xml; charset=utf-8"})
            return
        if self.path == "/":
            posts = "".join(f'<article class="post hentry"><h2 class="entry-title"><a href="/p/{n}/">مقال {n}</a></h2>'
                            "</article>" for n in (1, 2))
            body = f'<html lang="ar"><body class="home blog">{posts}</body></html>'
            self.respond(200, body.encode(), {"Content-Type": "text/html; charset=utf-8"})
            return
        super().do_GET()


def test_a_feed_listed_as_a_sitemap_is_read_as_the_feed(tmp_path):
    out = tmp_path / "out"
    FeedBlog.in_feed, FeedBlog.edition = [1, 2], 1
    with local_server(SitemapListsTheFeed) as url:
        crawl(url, out, "-s", "ROBOTSTXT_OBEY=False", "-s", "ARSHIF_REQUISITES=False")
    assert [r["url"] for r in query(out, "select url from feed_entries order by url")] == [f"{url}p/1/", f"{url}p/2/"]
    rows = query(out, "select url, published, published_source, author from articles order by url")
    assert [(r["published"], r["published_source"], r["author"]) for r in rows] == [
        (f"2026-01-0{n}T09:30:00+03:00", "feed", "ليلى منصور") for n in (1, 2)]


def test_a_post_in_two_feeds_keeps_its_earliest_date(tmp_path):
    """MkDocs' RSS plugin writes a feed of creations and one of updates: whichever the crawl reads
    last, the post's feed date is its publication (the earlier), in RFC 822 or ISO 8601."""
    from archive.pages.feeds import FeedEntry
    from archive.store import ArchiveDB

    url = "http://127.0.0.1/2023/11/19/%D8%B1%D8%A7%D8%AF%D9%8A%D9%88/"
    created = FeedEntry(url, "الراديو القديم", "Sun, 19 Nov 2023 18:10:00 +0000")
    updated = FeedEntry(url, "الراديو القديم", "2025-12-01T09:00:00Z")
    for order in ((created, updated), (updated, created)):
        db = ArchiveDB(tmp_path / f"{order[0].published[:3]}.db")
        for entry in order:
            db.add_feed_entries([entry])
        assert db.db.execute("select published from feed_entries").fetchall() == [(created.published,)]
        db.close()
        # reindex reads every feed of the WARC first and hands them over in one batch
        batch = ArchiveDB(tmp_path / f"batch-{order[0].published[:3]}.db")
        batch.add_feed_entries(list(order))
        assert batch.db.execute("select published from feed_entries").fetchall() == [(created.published,)]
        batch.close()
