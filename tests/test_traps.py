"""A hostile blog, crawled with no limits passed: every trap is bounded by the defaults.

Pagination that answers any /page/N/ with the same posts, a calendar widget that pages through
months without end, ?replytocom= and ?sid= on every link, sitemap indexes nested without end, and
a sitemap served with Content-Encoding: gzip that inflates to 512 MiB.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zlib

import pytest

from .conftest import FAST, ROOT, LocalHandler, check_warc_folder, local_server, query

POSTS = {n: (f"مقال رقم {n} عن ذاكرة المدن", f"فقرة من المقال {n} عن تاريخ المدينة وأسواقها القديمة. " * 12)
         for n in (1, 2, 3)}


def _bomb(size: int = 512 * 1024 * 1024) -> bytes:
    """A gzip body that inflates to ``size`` bytes of zeros, made without holding them."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk, out = b"\0" * (1 << 20), [deflate.compress(b'<?xml version="1.0"?><urlset>')]
    out += [deflate.compress(chunk) for _ in range(size >> 20)]
    return b"".join(out) + deflate.flush()


BOMB = _bomb()


def listing(page: int) -> str:
    posts = "".join(f'<article class="post hentry"><h2 class="entry-title"><a href="/post/{n}/">{t}</a></h2>'
                    f'<a href="/post/{n}/?replytocom={n}7#respond">رد</a> <a href="/post/{n}/?sid=9f8e7d6c5b4a{page:04d}{n:04d}">'
                    "اقرأ</a></article>" for n, (t, _) in POSTS.items())
    calendar = ('<table id="wp-calendar"><tr><td><a href="/calendar/2025/11/">« نوفمبر</a></td>'
                '<td><a href="/calendar/2026/01/">يناير »</a></td></tr></table>')
    return (f'<!doctype html><html lang="ar"><body class="home blog paged"><main>{posts}</main>'
            f'<nav class="pagination"><a class="next page-numbers" href="/page/{page + 1}/">التالي »</a></nav>'
            f'<aside class="widget widget_calendar">{calendar}</aside></body></html>')


def post(n: int) -> str:
    title, text = POSTS[n]
    return (f'<!doctype html><html lang="ar"><head><meta property="og:type" content="article"></head>'
            f'<body class="single single-post"><article class="post"><h1 class="entry-title">{title}</h1>'
            f'<time class="published" datetime="2025-12-0{n}T10:00:00+03:00">{n} ديسمبر 2025</time>'
            f'<div class="entry-content"><p>{text}</p></div></article></body></html>')


class Hostile(LocalHandler):
    paths: list[str] = []

    def do_GET(self):  # noqa: N802
        Hostile.paths.append(self.path)
        path = self.path.split("?")[0]
        headers = {"Content-Type": "text/html; charset=utf-8"}
        if path == "/" or re.fullmatch(r"/page/\d+/", path):
            page = int(path.split("/")[2]) if path != "/" else 1
            body = listing(page).encode()
        elif m := re.fullmatch(r"/post/(\d)/", path):
            body = post(int(m.group(1))).encode()
        elif m := re.fullmatch(r"/calendar/(\d+)/(\d+)/", path):
            body = listing(int(m.group(2))).encode()
        elif path == "/robots.txt":
            sitemap = f"http://{self.headers['Host']}/sitemap-index-0.xml"
            body, headers = f"User-agent: *\nAllow: /\nSitemap: {sitemap}\n".encode(), {"Content-Type": "text/plain"}
        elif m := re.fullmatch(r"/sitemap-index-(\d+)\.xml", path):
            n = int(m.group(1))
            body = (f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                    f"<sitemap><loc>/sitemap-index-{n + 1}.xml</loc></sitemap>"
                    f"<sitemap><loc>/sitemap-index-{n}.xml</loc></sitemap></sitemapindex>").encode()
            headers = {"Content-Type": "application/xml"}
        elif path == "/sitemap.xml":
            body, headers = BOMB, {"Content-Type": "application/xml", "Content-Encoding": "gzip"}
        else:
            self.respond(404, b"not found", {"Content-Type": "text/plain"})
            return
        self.respond(200, body, headers)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    out = tmp_path_factory.mktemp("hostile")
    # The crawl in a child of a small wrapper, which reports the largest resident set of its descendants.
    wrapper = ("import resource, subprocess, sys; p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
               "print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); print(p.stderr[-3000:])")
    with local_server(Hostile) as url:
        args = [sys.executable, "-m", "archive.cli", "crawl", url, "--out", str(out), *FAST]
        proc = subprocess.run([sys.executable, "-c", wrapper, *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=300)
    status, maxrss_kb = proc.stdout.split("\n", 1)[0].split()
    return out, int(status), int(maxrss_kb) // 1024, proc.stdout


def test_the_crawl_ends_by_itself_with_every_post(hostile):
    out, status, _, report = hostile
    assert status == 0, report
    assert {r["title"] for r in query(out, "select title from articles")} == {t for t, _ in POSTS.values()}
    check_warc_folder(out)


def test_session_and_reply_parameters_are_never_fetched(hostile):  # noqa: ARG001 - the crawl fills Hostile.paths
    assert Hostile.paths and not [p for p in Hostile.paths if "replytocom" in p or "sid=" in p]


def test_repeating_pagination_and_calendars_are_bounded(hostile):  # noqa: ARG001 - the crawl fills Hostile.paths
    pages = [p for p in Hostile.paths if p.startswith("/page/")]
    assert 1 <= len(pages) <= 2, pages  # /page/2/ repeats page 1's posts: the walk ends there
    assert not [p for p in Hostile.paths if p.startswith("/calendar/")]


def test_nested_sitemap_indexes_are_bounded(hostile):  # noqa: ARG001 - the crawl fills Hostile.paths
    indexes = {p for p in Hostile.paths if p.startswith("/sitemap-index-")}
    assert 1 <= len(indexes) <= 4, sorted(indexes)


def test_a_decompression_bomb_does_not_take_the_memory(hostile):
    _, _, maxrss_mb, report = hostile
    assert "/sitemap.xml" in Hostile.paths
    assert maxrss_mb < 400, report  # 512 MiB inflated would be more; the cap is 128 MiB
