"""One article, one row: a post fetched under several URL forms (tracking parameters, lower-case
escapes, its AMP copy) is stored once under its canonical URL; every form stays a capture tied to
that row; `arshif show`, `arshif reindex` and the Datasette lookup agree."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from html import escape
from urllib.parse import quote, unquote, urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.inspect import ShowError, show_capture
from archive.pages.blocks import html_root
from archive.pages.canonical import article_url
from archive.pages.urls import canonical_url

from .conftest import ROOT, LocalHandler, crawl, free_port, local_server, query, run_arshif

FIRST, SECOND, OFFSITE, HOMEWARD = "/مقالة-أولى/", "/مقالة-ثانية/", "/مقالة-منقولة/", "/مقالة-رابعة/"
TITLES = {FIRST: "الرحلة إلى مكتبة الإسكندرية", SECOND: "مخطوطات الأندلس المنسية",
          OFFSITE: "ذاكرة المدن العربية", HOMEWARD: "أرشفة المدونات القديمة"}
PARAGRAPH = ("كانت الرحلة طويلة لكنها ممتعة، فقد حملنا معنا دفاتر الملاحظات وآلات التصوير، وقضينا ساعات "
             "بين رفوف المخطوطات نقرأ ونقارن ونكتب ما نراه عن تاريخ الكتابة والورق والحبر في المدن القديمة. ")


def lower_escapes(path: str) -> str:
    """The form WordPress writes its Arabic permalinks in: %d9%85…"""
    return quote(path).lower()


def canonical_tag(path: str) -> str:
    """What each post says of its own address."""
    if path == SECOND:  # as WordPress prints it: lower-case escapes
        return f'<link rel="canonical" href="{lower_escapes(SECOND)}">'
    if path == OFFSITE:  # a syndicated copy: the original is on another site, never followed
        return '<link rel="canonical" href="https://other.example/الأصل/"><meta property="og:url" content="https://other.example/الأصل/">'
    if path == HOMEWARD:  # a theme that names the home page on every page
        return '<link rel="canonical" href="/">'
    return ""


# Each post's related block links the others as themes write them: Arabic (IRI), lower-case escapes,
# with campaign parameters and a fragment.
RELATED = {FIRST: (lower_escapes(SECOND), HOMEWARD + "?utm_source=related&utm_medium=block#comments"),
           SECOND: (FIRST, quote(HOMEWARD).lower() + "#respond"), HOMEWARD: (), OFFSITE: ()}


def related_block(path: str) -> str:
    if not RELATED[path]:
        return ""
    items = "".join(f'<li><a href="{escape(href)}">{TITLES[urlsplit(unquote(href)).path]}</a></li>'
                    for href in RELATED[path])
    return f'<div class="related-posts"><h3>مقالات ذات صلة</h3><ul>{items}</ul></div>'


def post_page(path: str, amp: bool = False) -> str:
    title = TITLES[path]
    return (f'<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>{title}</title>'
            f'{canonical_tag(path)}</head><body class="single single-post{" amp" if amp else ""}">'
            f'<header><a rel="home" href="/">مدونة الرحلات</a></header>'
            f'<article class="post"><h1 class="entry-title">{title}</h1>'
            f'<time class="entry-date published" datetime="2025-03-01T10:00:00+03:00">١ مارس ٢٠٢٥</time>'
            f'<span class="author vcard"><span class="fn">ليلى حداد</span></span>'
            f'<div class="entry-content"><p>{title}. {PARAGRAPH * 4}</p></div>{related_block(path)}</article>'
            '</body></html>')


def teaser(href: str, title: str) -> str:
    return f'<article class="post"><h2 class="entry-title"><a rel="bookmark" href="{escape(href)}">{title}</a></h2></article>'


def home_page() -> str:
    latest = [teaser(FIRST, TITLES[FIRST]),  # the Arabic (IRI) form
              teaser(lower_escapes(SECOND), TITLES[SECOND]),  # lower-case escapes, as WordPress writes them
              teaser(OFFSITE, TITLES[OFFSITE]), teaser(HOMEWARD, TITLES[HOMEWARD])]
    popular = [teaser(FIRST + "?utm_source=popular&utm_medium=widget#comments", TITLES[FIRST]),
               teaser(quote(SECOND) + "amp/", TITLES[SECOND])]  # the AMP copy: its canonical names the post
    return (f'<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>مدونة الرحلات</title></head>'
            f'<body class="home blog"><main>{"".join(latest)}</main><aside>{"".join(popular)}</aside></body></html>')


class BlogHandler(LocalHandler):
    """Any form of a post's URL shows the post (as WordPress does): %xx of either case, query
    parameters, and /amp/ after the permalink."""

    def do_GET(self) -> None:
        path = unquote(urlsplit(self.path).path)
        amp = path.endswith("/amp/")
        path = path.removesuffix("amp/") if amp else path
        if path == "/":
            body = home_page()
        elif path in TITLES:
            body = post_page(path, amp)
        else:
            self.respond(404, b"not found", {"Content-Type": "text/plain"})
            return
        self.respond(200, body.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"})


@pytest.fixture(scope="module")
def blog(tmp_path_factory):
    """One crawl that starts from the first post as a newsletter links it (lower-case escapes,
    campaign parameters): the crawl fetches it again in its plain form from the home page."""
    out = tmp_path_factory.mktemp("canonical") / "out"
    with local_server(BlogHandler) as base:
        base = base.rstrip("/")
        crawl(base + START, out)
        yield out, base


START = lower_escapes(FIRST) + "?utm_source=newsletter&fbclid=IwAR0x#top"  # as Scrapy requests it, fragment and all


def key(base: str, path: str) -> str:
    return canonical_url(base + path)


def test_each_post_is_one_row_under_its_canonical_url(blog):
    out, base = blog
    rows = {r["url"]: r["title"] for r in query(out, "select url, title from articles")}
    # the off-site canonical and the one naming the home page are not followed: the post's own URL
    assert rows == {key(base, path): title for path, title in TITLES.items()}
    assert all("%D9" in url and "%d9" not in url for url in rows)  # one form: URI, upper-case escapes


def test_every_form_fetched_stays_a_capture_tied_to_the_row(blog):
    out, base = blog
    tied = {}
    for r in query(out, "select url, article_url from captures where article_url is not null"):
        tied.setdefault(r["article_url"], set()).add(r["url"])
    assert tied[key(base, FIRST)] == {base + START, key(base, FIRST)}
    assert tied[key(base, SECOND)] == {key(base, SECOND), key(base, SECOND) + "amp/"}
    assert tied[key(base, OFFSITE)] == {key(base, OFFSITE)}
    # ... and each is a record in the WARC files (the same page again: a revisit record)
    in_warc = set()
    for path in (out / "warc").glob("*.warc.gz"):
        with open(path, "rb") as fh:
            in_warc |= {r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(fh)
                      if r.rec_type in ("response", "revisit")}
    assert set().union(*tied.values()) <= in_warc
    # the links table speaks the same form: the crawl's health check finds every post stored
    assert query(out, "select stats from crawls")[0]["stats"].count('"arshif/health/unstored_posts": 0') == 1


FORMS = {
    "IRI (Arabic)": lambda base: base + FIRST,
    "upper-case escapes": lambda base: base + quote(FIRST),
    "lower-case escapes": lambda base: base + lower_escapes(FIRST),
    "no trailing slash": lambda base: base + FIRST.rstrip("/"),
    "tracking parameters": lambda base: base + quote(FIRST) + "?utm_campaign=x&gclid=1&ref=tw",
    "fragment": lambda base: base + FIRST + "#comments",
    "the form it was fetched under": lambda base: base + START,
}


@pytest.mark.parametrize("form", FORMS)
def test_show_finds_the_article_under_any_form(blog, form):
    out, base = blog
    shown = show_capture(out, FORMS[form](base))
    assert f"# article: {TITLES[FIRST]}" in shown and f"url: {key(base, FIRST)}" in shown


def test_show_finds_an_article_under_the_form_it_is_not_stored_under(blog):
    out, base = blog
    shown = run_arshif("show", base + SECOND + "amp/", "--out", out).stdout  # the AMP copy, as the real CLI
    assert f"# article: {TITLES[SECOND]}" in shown and f"url: {key(base, SECOND)}" in shown
    assert "fetched as: " in shown and key(base, SECOND) + "amp/" in shown
    with pytest.raises(ShowError):
        show_capture(out, base + "/مقالة-غائبة/")


def test_reindex_gives_the_same_rows(blog, tmp_path):
    out, _ = blog
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    columns = "url, title, author, published, text, word_count, captured_at, replay_url"
    before = [dict(r) for r in query(out, f"select {columns} from articles order by url")]
    ties = "select url, article_url from captures order by url, article_url"
    run_arshif("reindex", copy)
    assert [dict(r) for r in query(copy, f"select {columns} from articles order by url")] == before
    assert [tuple(r) for r in query(copy, ties)] == [tuple(r) for r in query(out, ties)]


def test_related_links_are_kept_under_the_rows_urls(blog, tmp_path):
    """`articles.related` names each related post by the URL its row is stored under, whatever form
    the block wrote (IRI, lower-case escapes, campaign parameters, fragment): in the crawl and in a
    reindex alike, and in the links table's form."""
    out, base = blog
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    run_arshif("reindex", copy)
    want = {key(base, path): [key(base, urlsplit(unquote(href)).path) for href in hrefs] for path, hrefs in RELATED.items()}
    for folder in (out, copy):
        rows = {r["url"]: json.loads(r["related"]) for r in query(folder, "select url, related from articles")}
        assert rows == want, folder
        assert set().union(*map(set, rows.values())) <= set(rows)  # each one a stored row's URL
    # the links table (from every form fetched) names the same targets in the same form
    links = query(out, "select distinct to_url from links where kind = 'related'")
    assert {r["to_url"] for r in links} == {to for related in want.values() for to in related}


def test_a_canonical_off_the_blog_is_never_followed():
    page = html_root('<html><head><link rel="canonical" href="https://other.example/a/"></head><body></body></html>')
    assert article_url(page, "https://blog.example/a/?utm_source=x") == "https://blog.example/a/"
    assert article_url(page, "https://blog.example/a/", ["other.example"]) == "https://other.example/a/"
    www = html_root('<html><head><link rel="CANONICAL" href="https://www.blog.example/a/"></head></html>')
    assert article_url(www, "https://blog.example/a/amp/") == "https://www.blog.example/a/"


def test_the_datasette_lookup_redirects_any_form_to_the_row(blog):
    out, base = blog
    served = out.parent / "served"
    shutil.copytree(out, served)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "archive.cli", "serve", str(served), "--port", str(port)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            time.sleep(0.2)
        lookup = f"http://127.0.0.1:{port}/-/arshif/article?url="
        for form in (FORMS["IRI (Arabic)"](base), FORMS["tracking parameters"](base), base + SECOND + "amp/"):
            with urllib.request.urlopen(lookup + quote(form, safe=""), timeout=30) as response:
                page = response.read().decode("utf-8")
                assert "/archive/articles/" in response.url
            assert (TITLES[FIRST] if "أولى" in unquote(form) else TITLES[SECOND]) in page
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(lookup + quote(base + "/مقالة-غائبة/", safe=""), timeout=30)
        assert missing.value.code == 404
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_an_older_folder_gets_its_captures_tied_by_the_migration(tmp_path):
    import sqlite_utils

    from archive.store import ArchiveDB
    from archive.store.migrations import migrations

    db = sqlite_utils.Database(tmp_path / "archive.db")
    migrations.apply(db, stop_before="m006_capture_article")  # what the Arshif before this wrote
    db["captures"].insert_all([{"id": 1, "url": "https://b.example/a/", "status": 200},
                               {"id": 2, "url": "https://b.example/", "status": 200}])
    db["articles"].insert({"url": "https://b.example/a/", "title": "أ", "capture_id": 1})
    db.close()
    with ArchiveDB(tmp_path / "archive.db") as archive:
        assert [c["id"] for c in archive.article_captures("https://b.example/a/")] == [1]
        assert archive.article("https://b.example/") is None
    assert [tuple(r) for r in query(tmp_path, "select id, article_url from captures order by id")] == \
        [(1, "https://b.example/a/"), (2, None)]


def test_a_declared_index_file_names_its_folder():
    """Hexo prints og:url as …/post/index.html while every link on the blog says …/post/."""
    import lxml.html

    from archive.pages.canonical import article_url

    page = lxml.html.fromstring('<html><head><meta property="og:url" content="http://127.0.0.1:8000/2024/06/03/'
                                'bread-prices/index.html"></head><body><p>نص</p></body></html>')
    assert article_url(page, "http://127.0.0.1:8000/2024/06/03/bread-prices/") == \
        "http://127.0.0.1:8000/2024/06/03/bread-prices/"
