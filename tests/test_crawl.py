"""End-to-end crawls of local test sites in three markups (classic WordPress, block WordPress,
Blogger): what the spider finds, what lands in SQLite, and that the WARC files are valid."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.demo.site import related_of
from archive.warc import read_record

from .conftest import FAST, ROOT, check_warcs, crawl, query, run_arshif

BOILERPLATE = ["مقالات ذات صلة", "اقرأ أيضا", "مواضيع ذات صلة", "شارك:", "شارك المقال", "أضف تعليقاً",
               "اترك تعليقاً", "إرسال تعليق", "أحدث المقالات", "رسالة أقدم", "التالي"]


def truth(server):
    """The site's theme and {url: Article} of every article it serves (trap articles included)."""
    return server.theme, server.theme.article_urls()


def test_every_article_found_exactly_once(crawled):
    out, server, _ = crawled
    _, expected = truth(server)
    rows = query(out, "select url from articles")
    assert sorted(r["url"] for r in rows) == sorted(expected)
    # ...and fetched once: one 200 capture per article URL
    counts = query(out, "select url, count(*) n from captures where status = 200 group by url having n > 1")
    assert [dict(r) for r in counts] == []


def test_metadata_and_text_match_the_site(crawled):
    out, server, _ = crawled
    theme, expected = truth(server)
    rows = {r["url"]: r for r in query(out, "select * from articles")}
    for url, post in expected.items():
        row = rows[url]
        assert row["title"] == post.title, url
        assert row["author"] == post.author, url
        assert row["published"][:10] == post.published.isoformat(), url
        assert row["published_raw"], url
        assert row["lang"] == "ar"
        for paragraph in post.paragraphs:
            assert paragraph in row["text"], (url, paragraph)
        for phrase in BOILERPLATE:
            assert phrase not in row["text"], (url, phrase)
        for other in related_of(theme.posts, post) if post in theme.posts else []:
            assert other.title not in row["text"], (url, "related title in text")
        labels = set(json.loads(row["categories"])) | set(json.loads(row["tags"]))
        assert post.category in labels
        assert row["word_count"] == len(row["text"].split())
        if post.modified and type(theme).__name__ != "BloggerTheme":
            assert row["modified"][:10] == post.modified.isoformat()


def test_published_raw_is_the_string_printed_on_the_page(crawled):
    out, server, _ = crawled
    theme, expected = truth(server)
    rows = {r["url"]: r for r in query(out, "select url, published_raw from articles")}
    for url, post in expected.items():
        # e.g. "ديسمبر 25, 2025" (classic), "25 ديسمبر، 2025" (block), "الخميس، 25 ديسمبر 2025" (Blogger)
        assert rows[url]["published_raw"] == theme.printed_date(post), url


def test_related_links_recorded(crawled):
    out, server, _ = crawled
    theme, expected = truth(server)
    for post in theme.posts[:5]:
        url = server.base_url + theme.post_path(post)
        related = {r["to_url"] for r in query(out, "select to_url from links where from_url = ? and kind = 'related'", (url,))}
        assert {server.base_url + theme.post_path(r) for r in related_of(theme.posts, post)} <= related
        stored = json.loads(query(out, "select related from articles where url = ?", (url,))[0]["related"])
        assert {server.base_url + theme.post_path(r) for r in related_of(theme.posts, post)} <= set(stored)
        assert set(stored) == related  # the article's list and the links table say the same, in one URL form
    kinds = {r["kind"] for r in query(out, "select distinct kind from links")}
    assert {"article", "pagination", "related", "feed", "sitemap"} <= kinds


def test_windows_1256_article_is_decoded(crawled):
    out, server, _ = crawled
    row = query(out, "select title, text from articles where url like '%windows-1256%'")[0]
    assert row["title"] == "صفحة قديمة بترميز ويندوز"
    assert "كُتبت هذه الصفحة بترميز ويندوز العربي القديم" in row["text"]


def test_mislabelled_charset_is_detected(crawled):
    out, _, _ = crawled
    row = query(out, "select title, text from articles where url like '%mislabelled%'")[0]
    assert row["title"] == "صفحة بترميز معلن خطأ" and "\ufffd" not in row["text"]
    assert "وعلى الأرشيف أن يكتشف ذلك فيقرأ النص سليمًا." in row["text"]


def test_robots_disallow_is_honoured(crawled):
    out, _, _ = crawled
    assert query(out, "select url from captures where url like '%/private/%'") == []


def test_out_of_scope_redirect_is_not_followed(crawled):
    out, _, _ = crawled
    hop = query(out, "select status from captures where url like '%/go/elsewhere/'")
    assert [r["status"] for r in hop] == [302]  # the 3xx itself is archived...
    assert query(out, "select url from captures where url like 'http://localhost%'") == []  # ...not its target


def test_failed_fetches_are_recorded(crawled):
    out, _, _ = crawled
    missing = query(out, "select status from captures where url like '%/missing/page/'")
    assert [r["status"] for r in missing] == [404]


def test_warc_files_pass_warcio_check_and_index(crawled):
    out, _, _ = crawled
    files = sorted((out / "warc").glob("*.warc.gz"))
    assert files and not list((out / "warc").glob("*.open"))
    for path in files:
        assert path.name.startswith("ARSHIF-") and path.name.count("-") >= 3
        assert "digest pass" in check_warcs(path)
        index = subprocess.run([sys.executable, "-m", "warcio.cli", "index", str(path)], capture_output=True, text=True, check=True)
        assert index.stdout.count('"warc-type": "response"') > 0


def test_each_capture_row_points_at_its_record(crawled):
    out, _, _ = crawled
    rows = query(out, "select * from captures where warc_filename is not null")
    assert rows
    for row in rows:
        record = read_record(out / "warc" / row["warc_filename"], row["warc_offset"])
        assert record.rec_type == "response"
        assert record.rec_headers.get_header("WARC-Target-URI") == row["url"]
        assert record.rec_headers.get_header("WARC-Record-ID") == row["warc_record_id"]
        assert record.http_headers.get_statuscode() == str(row["status"])


def test_warc_records_are_as_received(crawled):
    out, server, _ = crawled
    records = []
    for path in sorted((out / "warc").glob("*.warc.gz")):
        with open(path, "rb") as fh:
            for rec in ArchiveIterator(fh):
                raw = rec.raw_stream.read()
                records.append((rec.rec_type, rec.rec_headers, rec.http_headers, raw))
    assert records[0][0] == "warcinfo"
    assert records[0][1].get_header("WARC-Filename", "").startswith("ARSHIF-")
    responses = {h.get_header("WARC-Target-URI"): (http, raw) for t, h, http, raw in records if t == "response"}
    requests = {h.get_header("WARC-Target-URI"): (h, http) for t, h, http, raw in records if t == "request"}
    ids = {h.get_header("WARC-Record-ID") for t, h, _, _ in records if t == "response"}
    for h, http in requests.values():
        assert h.get_header("WARC-Concurrent-To") in ids
        assert http.get_header("Host")
        assert "Arshif/" in http.get_header("User-Agent")
    home_http, home_raw = responses[server.base_url + "/"]
    assert home_http.get_header("Content-Encoding") == "gzip"
    assert home_raw[:2] == b"\x1f\x8b"  # still compressed, as it came over the wire
    assert "مدونة الذاكرة" in gzip.decompress(home_raw).decode()
    chunked_http, chunked_raw = responses[server.base_url + "/streamed/chunked/"]
    assert chunked_http.get_header("Transfer-Encoding") is None  # de-chunked, framing header dropped
    assert chunked_raw == server.site["/streamed/chunked/"].body
    for uri, (_, http) in requests.items():
        # warcio splits "GET /path?query HTTP/1.1" into protocol "GET" and statusline "/path?query HTTP/1.1"
        path = "/" + uri.split("/", 3)[3]
        assert http.protocol == "GET" and http.statusline == f"{path} HTTP/1.1", uri


def test_recrawl_duplicates_nothing(tmp_path):
    from archive.demo.server import SiteServer

    with SiteServer("classic", traps=True) as server:
        crawl(server.base_url + "/", tmp_path)
        first = {t: query(tmp_path, f"select count(*) n from {t}")[0]["n"] for t in ("articles", "links")}
        crawl(server.base_url + "/", tmp_path)
    second = {t: query(tmp_path, f"select count(*) n from {t}")[0]["n"] for t in ("articles", "links")}
    assert first == second and first["articles"] == 45
    assert query(tmp_path, "select count(distinct url) n from articles")[0]["n"] == 45
    assert [r["finish_reason"] for r in query(tmp_path, "select finish_reason from crawls")] == ["finished", "finished"]


@pytest.mark.parametrize("theme_name", ["classic", "blogger"])
def test_start_from_a_single_article(theme_name, tmp_path):
    from archive.demo.content import articles
    from archive.demo.server import SiteServer

    with SiteServer(theme_name) as server:
        post = articles()[-1]  # the oldest article, far from the home page
        start = next(server.base_url + p for p in server.site if post.slug in p)
        crawl(start, tmp_path, "-s", "ROBOTSTXT_OBEY=False")
    assert query(tmp_path, "select count(*) n from articles")[0]["n"] == 42


def test_scrapy_crawl_command_works(tmp_path):
    from archive.demo.server import SiteServer

    with SiteServer("block") as server:
        subprocess.run([str(Path(sys.executable).parent / "scrapy"), "crawl", "blog", "-a", f"url={server.base_url}/",
                        "-s", f"ARSHIF_OUT={tmp_path}", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
                        "-s", "LOG_LEVEL=WARNING"], cwd=ROOT, check=True, capture_output=True, timeout=300)
    assert query(tmp_path, "select count(*) n from articles")[0]["n"] == 42


def test_warc_rotation(tmp_path):
    from archive.demo.server import SiteServer

    with SiteServer("classic") as server:
        crawl(server.base_url + "/", tmp_path, "-s", "ARSHIF_WARC_MAX_SIZE=30000")
    files = sorted((tmp_path / "warc").glob("*.warc.gz"))
    assert len(files) >= 4 and not list((tmp_path / "warc").glob("*.open"))
    serials = [int(f.name.split("-")[2]) for f in files]
    assert serials == list(range(len(files)))
    for path in files:
        with open(path, "rb") as fh:
            first = next(iter(ArchiveIterator(fh)))
        assert first.rec_type == "warcinfo" and first.rec_headers.protocol == "WARC/1.1"


def test_page_requisites_fetched_once(crawled):
    out, server, _ = crawled
    theme = server.theme
    expected = {"/wp-content/themes/memory/style.css", "/wp-content/themes/memory/fonts.css",  # @import
                "/wp-content/themes/memory/fonts/amiri.woff2", "/wp-content/themes/memory/images/pattern.png",
                "/wp-includes/js/site.js"}
    for post in theme.posts:
        expected |= {theme.image_path(post), theme.image_path(post, "-2x")}  # src, srcset (and data-src)
    rows = query(out, "select url, count(*) n, max(status) status from captures group by url")
    fetched = {r["url"]: r for r in rows}
    for path in expected:
        row = fetched.get(server.base_url + path)
        assert row is not None, path
        assert row["n"] == 1 and row["status"] == 200, path
    assert not any(u.startswith("http://localhost") for u in fetched)  # the CDN host is not in scope by default


def test_asset_hosts_and_requisites_switch(tmp_path):
    from archive.demo.server import SiteServer

    with SiteServer("classic", traps=True) as server:
        crawl(server.base_url + "/", tmp_path / "cdn", "-s", "ARSHIF_ASSET_HOSTS=localhost")
        crawl(server.base_url + "/", tmp_path / "none", "-s", "ARSHIF_REQUISITES=False")
    cdn = query(tmp_path / "cdn", "select status from captures where url like 'http://localhost%/cdn/lib.js'")
    assert [r["status"] for r in cdn] == [200]
    others = query(tmp_path / "cdn", "select url from captures where url like 'http://localhost%' and url not like '%/cdn/%'")
    assert [r["url"].split("/", 3)[3] for r in others] == ["robots.txt"]  # robots.txt obeyed there too; no page
    # (the PDF is linked from an article, a document in its own right, not a requisite)
    none = query(tmp_path / "none", "select url from captures where (url like '%/wp-content/%' or url like '%.js') "
                                    "and url not like '%.pdf'")
    assert none == [] and query(tmp_path / "none", "select count(*) n from articles")[0]["n"] == 45


def test_custom_theme_needs_a_profile_and_works_with_one(tmp_path):
    """Heuristics first: on a theme with no usual markers they read what the blog's feed vouches
    for (its 10 newest posts are posts: title, byline, date and text read right); with no feed they
    find nothing, invent nothing, and the crawl is no success. A per-site profile then finds every
    article."""
    from archive.demo.server import SiteServer
    from archive.demo.site import CUSTOM_PROFILE

    profile = tmp_path / "custom.toml"
    profile.write_text(CUSTOM_PROFILE, encoding="utf-8")
    with SiteServer("custom") as server:
        feed = run_arshif("crawl", server.base_url + "/", "--out", tmp_path / "feed", *FAST, check=False)
        crawl(server.base_url + "/", tmp_path / "profiled", "--profile", profile)
        expected = server.theme.article_urls()
        del server.site["/feed/"]
        plain = run_arshif("crawl", server.base_url + "/", "--out", tmp_path / "plain", *FAST, check=False)
    from_feed = {r["url"]: r for r in query(tmp_path / "feed", "select * from articles")}
    assert len(from_feed) == 10 and set(from_feed) <= set(expected) and feed.returncode == 0
    for url, row in from_feed.items():
        assert row["title"] == expected[url].title and row["author"] == expected[url].author
        assert row["text"].splitlines() == expected[url].paragraphs
        assert row["published"] == expected[url].published.isoformat()
    assert "warning" not in feed.stderr
    assert query(tmp_path / "plain", "select count(*) n from articles")[0]["n"] == 0
    assert plain.returncode == 1 and "none was understood as an article" in plain.stderr
    assert plain.stderr.strip().splitlines()[-1].startswith("Error: the blog was archived in the WARC files")
    rows = {r["url"]: r for r in query(tmp_path / "profiled", "select * from articles")}
    assert set(rows) == set(expected)
    for url, post in expected.items():
        row = rows[url]
        assert row["title"] == post.title and row["author"] == post.author
        assert row["published"] == post.published.isoformat() and row["published_source"] == "text"
        assert row["text"].splitlines() == post.paragraphs
        assert "انظر" not in row["text"]


@pytest.mark.parametrize("html, kind", [
    # Ghost: a post and the home page
    ('<html><body class="post-template"><article class="gh-article post"><h1 class="gh-article-title">عنوان</h1>'
     '<section class="gh-content"><p>نص</p></section></article></body></html>', "article"),
    ('<html><body class="home-template"><article class="post-card"><a class="post-card-content-link" href="/a/">أ</a>'
     '</article><article class="post-card"><a class="post-card-content-link" href="/b/">ب</a></article></body></html>',
     "listing"),
    # a custom theme that says it is an article only through JSON-LD
    ('<html><head><script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"WebPage"},'
     '{"@type":"NewsArticle","headline":"خبر"}]}</script></head><body><div>نص</div></body></html>', "article"),
    # typed only TechArticle: classification and extraction share one list of article types
    ('<html><head><script type="application/ld+json">{"@context":"https://schema.org","@type":"TechArticle",'
     '"headline":"دليل التثبيت","datePublished":"2025-12-25T09:00:00+03:00"}</script></head><body><div>نص</div></body></html>',
     "article"),
    # an "about" page: neither
    ('<html><body class="page-template-default page"><h1>من نحن</h1><p>نص</p></body></html>', "other"),
])
def test_classification_beyond_wordpress(html, kind):
    from archive.pages.blocks import html_root
    from archive.pages.classify import classify

    assert classify(html_root(html)) == kind
    if kind == "article" and "datePublished" in html:
        from archive.pages.extract import extract_article

        assert extract_article(html, "http://blog.example/a/")["published"].startswith("2025-12-25")


def test_extraction_runs_in_worker_processes_unless_told_otherwise(crawled, tmp_path):
    import json
    import os

    from archive.demo.server import SiteServer

    out, _, _ = crawled
    stats = json.loads(query(out, "select stats from crawls")[0]["stats"])
    assert stats["arshif/extract_processes"] == os.cpu_count()
    articles = query(out, "select count(*) n from articles")[0]["n"]
    assert stats["arshif/pages_read_by_workers"] >= articles > 0  # read (and extracted) there, not here
    with SiteServer("block") as server:
        crawl(server.base_url + "/", tmp_path, "-s", "ARSHIF_EXTRACT_WORKERS=-1")
    stats = json.loads(query(tmp_path, "select stats from crawls")[0]["stats"])
    assert stats["arshif/extract_processes"] == 0  # -1: in the crawl process itself
    assert "arshif/pages_read_by_workers" not in stats
    assert query(tmp_path, "select count(*) n from articles where text != ''")[0]["n"] == 42


def test_the_crawl_records_its_health(crawled):
    """Every post the blog pointed at was understood: nothing unstored, every article dated,
    signed and with text; the figures are kept with the crawl."""
    out, _, proc = crawled
    stats = json.loads(query(out, "select stats from crawls order by id desc limit 1")[0]["stats"])
    assert stats["arshif/health/unstored_posts"] == 0 and stats["arshif/health/stored"] == 45
    assert stats["arshif/health/no_date"] == stats["arshif/health/no_author"] == stats["arshif/health/no_text"] == 0
    assert "warning" not in proc.stderr


def test_tracking_and_reply_parameters_make_no_second_copy(crawled):
    """Links with ?utm_…, ?replytocom=… lead to the article already archived: never fetched again."""
    out, _, _ = crawled
    urls = [r["url"] for r in query(out, "select url from captures")]
    assert not [u for u in urls if "utm_" in u or "replytocom" in u]
    assert sum(u.endswith("/streamed/chunked/") for u in urls) == 1


def test_show_finds_an_article_under_other_forms_of_its_url(crawled):
    out, _, _ = crawled
    url = query(out, "select url from articles where url like '%article-01%'")[0]["url"]
    for form in (url.rstrip("/"), url + "?utm_source=newsletter", url + "#comments"):
        shown = run_arshif("show", form, "--out", out).stdout
        assert f"WARC-Target-URI: {url}" in shown and "# article: " in shown, form


def test_url_forms_cover_iri_and_escapes():
    from archive.pages.urls import url_forms, without_tracking

    iri = "https://blog.example/2025/12/ما-بعد-تدمر/"
    uri = "https://blog.example/2025/12/%D9%85%D8%A7-%D8%A8%D8%B9%D8%AF-%D8%AA%D8%AF%D9%85%D8%B1/"
    assert uri in url_forms(iri) and iri in url_forms(uri) and uri in url_forms(uri.replace("%D8", "%d8"))
    assert without_tracking("https://b.example/p/?id=3&utm_source=x&fbclid=y#top") == "https://b.example/p/?id=3"
    # a story id is no session id; a query in windows-1256 keeps its bytes
    assert without_tracking("http://n.example/modules.php?name=News&sid=42") == "http://n.example/modules.php?name=News&sid=42"
    assert without_tracking("http://o.example/?s=%C7%E1%DA&utm_source=x") == "http://o.example/?s=%C7%E1%DA"


def test_permalink_shape_groups_posts_not_taxonomy_pages():
    """What the health check compares unstored sitemap pages with: where the stored posts sit."""
    from archive.pages.urls import permalink_shape as shape

    assert shape("https://b.example/2024/12/08/ما-بعد-تدمر/") == shape("https://b.example/2023/03/14/%D8%AD%D9%84%D8%A8/")
    assert shape("https://b.example/posts/a/") == "b.example/posts/*/" != shape("https://b.example/categories/a/")
    assert shape("https://b.example/2023/") != shape("https://b.example/posts/a/")
    assert shape("https://b.example/سياسة/2024/a.html") != shape("https://b.example/ثقافة/2024/a.html")
    assert shape("https://b.example/a.html") != shape("https://b.example/a/")
    assert shape("https://b.example/") is None and shape("https://b.example/?p=3") is None


def test_www_and_the_bare_host_are_one_blog_for_both_scope_checks():
    """The spider's scope (links, budgets) and Scrapy's offsite check (requests, redirects) agree."""
    from scrapy.utils.url import url_is_from_any_domain

    from crawler.spiders.blog import BlogSpider

    spider = BlogSpider(url="https://www.blog.test/")
    for url in ("https://blog.test/post/", "https://www.blog.test/post/"):
        assert spider.in_scope(url) and url_is_from_any_domain(url, spider.allowed_domains), url
    for url in ("https://other.test/", "https://notblog.test/"):
        assert not spider.in_scope(url) and not url_is_from_any_domain(url, spider.allowed_domains), url


def test_sitemaps_arriving_together_are_read_one_at_a_time_and_yield_every_url():
    """Scrapy runs the callbacks of the responses it holds side by side; the blog spider reads one
    sitemap at a time (so 25 sitemaps of 2,000 URLs are not all parsed and held at once), and each
    still gives a request and a link row for every URL, Arabic slugs percent-encoded."""
    import asyncio
    from urllib.parse import quote

    from scrapy import Request
    from scrapy.http import XmlResponse

    from archive.pages.urls import canonical_url
    from crawler.items import PageItem
    from crawler.spiders.blog import BlogSpider

    spider = BlogSpider(url="https://blog.test/")
    spider.incremental = False  # a first crawl (else read from the crawl's ArchiveRun)

    def sitemap(name: str, slugs: list[str]) -> tuple[XmlResponse, list[str]]:
        urls = [f"https://blog.test/٢٠٢٥/{quote(slug)}/" for slug in slugs]
        locs = "".join(f"<url><loc>{u}</loc><lastmod>2025-01-0{n % 9 + 1}</lastmod></url>" for n, u in enumerate(urls))
        body = f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'
        url = f"https://blog.test/{name}.xml"
        return XmlResponse(url, body=body.encode(), request=Request(url)), [canonical_url(u) for u in urls]

    first, first_urls = sitemap("posts-1", [f"مَقالَةٌ-{n}" for n in range(300)])
    second, second_urls = sitemap("posts-2", [f"تدوينــة-{n}" for n in range(300)])
    outputs: list[tuple[str, object]] = []

    async def drain(name: str, response: XmlResponse) -> None:
        async for output in spider.parse_sitemap(response):
            outputs.append((name, output))
            await asyncio.sleep(0)  # as Scrapy's consumer does between outputs: the other may run

    async def both() -> None:
        await asyncio.gather(drain("first", first), drain("second", second))

    asyncio.run(both())
    assert [name for name, _ in outputs] == ["first"] * 301 + ["second"] * 301  # not interleaved
    for name, urls in (("first", first_urls), ("second", second_urls)):
        mine = [output for who, output in outputs if who == name]
        assert [r.url for r in mine if isinstance(r, Request)] == urls
        items = [i for i in mine if isinstance(i, PageItem)]
        assert len(items) == 1 and items[0].links == [(u, "sitemap") for u in urls]
    assert "%D9%8E" in first_urls[0]  # the harakat stay, percent-encoded


def test_a_sitemap_index_has_its_sitemaps_fetched_before_the_pages_they_list():
    """Scrapy's disk queue is last in, first out: without a priority, the sitemaps an index lists
    wait behind the pages of the first ones read, and all arrive together at the end of the crawl."""
    import asyncio

    from scrapy import Request
    from scrapy.http import XmlResponse

    from crawler.spiders.blog import BlogSpider

    spider = BlogSpider(url="https://blog.test/")
    spider.incremental = False  # a first crawl (else read from the crawl's ArchiveRun)
    names = [f"https://blog.test/wp-sitemap-posts-post-{n}.xml" for n in (1, 2, 3)]
    index = "".join(f"<sitemap><loc>{u}</loc></sitemap>" for u in names)
    urls = "".join(f"<url><loc>https://blog.test/%D9%85%D9%82%D8%A7%D9%84%D8%A9-{n}/</loc></url>" for n in range(3))
    xml = '<?xml version="1.0"?><{0} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{1}</{0}>'

    async def read(url: str, body: str) -> list[Request]:
        response = XmlResponse(url, body=body.encode(), request=Request(url))
        return [r async for r in spider.parse_sitemap(response) if isinstance(r, Request)]

    sitemaps = asyncio.run(read("https://blog.test/wp-sitemap.xml", xml.format("sitemapindex", index)))
    pages = asyncio.run(read(names[0], xml.format("urlset", urls)))
    assert [r.url for r in sitemaps] == names and {r.priority for r in sitemaps} == {1}
    assert len(pages) == 3 and {r.priority for r in pages} == {0}
    assert {r.callback for r in sitemaps} == {spider.parse_sitemap} and {r.callback for r in pages} == {spider.parse_page}
