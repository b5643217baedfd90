"""Hostile and broken pages on local servers: each case bounded, nothing lost, crawl and reindex agree."""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import subprocess
import sys
import zlib

import pytest

from archive.demo.server import BackgroundServer

from .conftest import ROOT, WARCIO_WITH_OUR_DECODERS, LocalHandler, check_warc_folder, crawl, local_server, query, run_arshif

PARAGRAPH = "هذه فقرة طويلة عن تاريخ المكتبات العربية وما حفظته من مخطوطات نادرة عبر القرون. "


def article(title: str, extra: str = "") -> str:
    return (f'<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>{title}</title></head>'
            f'<body class="single single-post"><article class="post hentry"><h1 class="entry-title">{title}</h1>'
            f'<div class="entry-content"><p>{PARAGRAPH * 6}</p>{extra}</div></article></body></html>')


def home(links: dict[str, str]) -> bytes:
    return ('<!doctype html><html lang="ar"><head><meta charset="utf-8"></head><body class="home blog">'
            + "".join(f'<article class="post hentry"><h2 class="entry-title"><a href="{href}">{title}</a></h2></article>'
                      for href, title in links.items()) + "</body></html>").encode()


def articles(out) -> dict[str, str]:
    return {r["url"].rsplit("/", 2)[-2]: r["title"] for r in query(out, "select url, title from articles")}


def crawl_and_reindex(url: str, out, tmp_path, *extra) -> tuple[dict[str, str], dict[str, str]]:
    """Titles by URL slug as the crawl stored them, and as ``reindex`` rebuilds them from the WARCs."""
    crawl(url, out, "-s", "ROBOTSTXT_OBEY=False", "-s", "ARSHIF_REQUISITES=False", *extra)
    check_warc_folder(out)
    copy = tmp_path / "reindexed"
    shutil.copytree(out, copy)
    run_arshif("reindex", copy)
    return articles(out), articles(copy)


# --- a UTF-8 page with a few invalid bytes ------------------------------------------------------------
BROKEN_TITLE = "مدونة عن ذاكرة المدن العربية"
CP1256_TITLE = "مخطوطات تمبكتو القديمة"


class Charsets(LocalHandler):
    def do_GET(self):  # noqa: N802
        if self.path == "/":
            body = home({"/broken-utf8/": BROKEN_TITLE, "/cp1256/": CP1256_TITLE})
        elif self.path == "/broken-utf8/":
            # a cut multi-byte character and a stray windows-1256 byte in an otherwise UTF-8 page
            body = article(BROKEN_TITLE, "<p>STRAY</p><p>CUT</p>").encode()
            body = body.replace(b"STRAY", "حرف".encode() + b"\xc7").replace(b"CUT", "كلمة".encode()[:-1])
        elif self.path == "/cp1256/":
            body = article(CP1256_TITLE).encode("cp1256")  # really windows-1256, still labelled UTF-8
        else:
            self.respond(404, b"", {})
            return
        self.respond(200, body, {"Content-Type": "text/html; charset=utf-8"})


def test_a_few_invalid_bytes_keep_a_page_utf8_and_a_mislabelled_page_is_still_detected(tmp_path):
    with local_server(Charsets) as url:
        crawled, reindexed = crawl_and_reindex(url, tmp_path / "out", tmp_path)
    assert crawled == {"broken-utf8": BROKEN_TITLE, "cp1256": CP1256_TITLE}
    assert reindexed == crawled
    text = query(tmp_path / "out", "select text from articles where url like '%broken-utf8%'")[0]["text"]
    assert "حرف\ufffd" in text and PARAGRAPH.split()[0] in text


# --- the digest matrix: plain, gzip, chunked, gzip + chunked ------------------------------------------
FRAMINGS = {"plain": (False, False), "gzip": (True, False), "chunked": (False, True), "gzip-chunked": (True, True)}


def wire_body(name: str) -> bytes:
    """The body as the origin sends it, content coding included, chunk framing not."""
    body = article(f"مقال {name} عن المكتبات").encode()
    return zlib.compress(body, wbits=31) if FRAMINGS[name][0] else body


class Framings(LocalHandler):
    def do_GET(self):  # noqa: N802
        name = self.path.strip("/")
        if self.path == "/":
            self.respond(200, home({f"/{n}/": f"مقال {n} عن المكتبات" for n in FRAMINGS}), {"Content-Type": "text/html"})
            return
        if name not in FRAMINGS:
            self.respond(404, b"", {})
            return
        gzipped, chunked = FRAMINGS[name]
        body = wire_body(name)
        headers = {"Content-Type": "text/html; charset=utf-8", **({"Content-Encoding": "gzip"} if gzipped else {})}
        if not chunked:
            self.respond(200, body, headers)
            return
        self.send_response(200)
        for key, value in {**headers, "Transfer-Encoding": "chunked"}.items():
            self.send_header(key, value)
        self.end_headers()
        for start in range(0, len(body), 700):  # several chunks, cut anywhere in the gzip stream
            piece = body[start:start + 700]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        self.wfile.write(b"0\r\n\r\n")


def sha1_label(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def warc_responses(path) -> dict[str, tuple[dict[str, str], bytes]]:
    """Each response record, read by hand (not by warcio): its WARC headers and its block."""
    from archive.warc.records import whole_records

    records = {}
    with open(path, "rb") as fh:
        for offset, length in whole_records(path):
            fh.seek(offset)
            raw = zlib.decompress(fh.read(length), wbits=31)
            head, _, rest = raw.partition(b"\r\n\r\n")
            fields = dict(line.split(": ", 1) for line in head.decode().split("\r\n")[1:])
            if fields["WARC-Type"] == "response":
                block = rest[:int(fields["Content-Length"])]
                assert rest[len(block):] == b"\r\n\r\n"
                records[fields["WARC-Target-URI"]] = (fields, block)
    return records


def test_digests_are_right_for_plain_gzip_chunked_and_gzip_chunked(tmp_path):
    out = tmp_path / "out"
    with local_server(Framings) as url:
        crawl(url, out, "-s", "ROBOTSTXT_OBEY=False", "-s", "ARSHIF_REQUISITES=False")
    (warc,) = check_warc_folder(out)  # warcio check -v, fastwarc, the framing checks
    report = subprocess.run([sys.executable, "-c", WARCIO_WITH_OUR_DECODERS, "check", "-v", str(warc)],
                            capture_output=True, text=True, check=True).stdout
    records = warc_responses(warc)
    for name in FRAMINGS:
        fields, block = records[f"{url}{name}/"]
        http_head, _, payload = block.partition(b"\r\n\r\n")
        assert payload == wire_body(name), name  # de-chunked, still gzip-encoded
        assert fields["WARC-Payload-Digest"] == sha1_label(wire_body(name)), name
        assert fields["WARC-Block-Digest"] == sha1_label(block), name
        assert b"transfer-encoding" not in http_head.lower(), name
        assert (b"content-encoding: gzip" in http_head.lower()) == FRAMINGS[name][0], name
    assert report.count("digest pass") >= 2 * len(FRAMINGS), report


# --- <base href> off-scope -----------------------------------------------------------------------------
@pytest.fixture
def elsewhere():
    """Another site, on 127.0.0.2: any request reaching it is a request off-scope."""
    Elsewhere.paths = []
    with BackgroundServer(Elsewhere, host="127.0.0.2") as other:
        yield f"http://127.0.0.2:{other.server_address[1]}/"


class Elsewhere(LocalHandler):
    """Another site: any request reaching it is a request off-scope."""
    paths: list[str] = []

    def do_GET(self):  # noqa: N802
        Elsewhere.paths.append(self.path)
        self.respond(200, article("موقع آخر").encode(), {"Content-Type": "text/html; charset=utf-8"})


def based_page(elsewhere: str, own: str) -> bytes:
    """A home page whose <base href> points at another site: its relative links, stylesheet, image
    and feed all resolve there; one post is linked by its absolute URL."""
    return (f'<!doctype html><html lang="ar"><head><base href="{elsewhere}"><meta charset="utf-8">'
            '<link rel="stylesheet" href="style.css"><link rel="alternate" type="application/rss+xml" href="feed/">'
            '</head><body class="home blog">'
            '<article class="post hentry"><h2 class="entry-title"><a href="post/1/">مقال نسبي</a></h2></article>'
            f'<article class="post hentry"><h2 class="entry-title"><a href="{own}post/2/">مقال مطلق</a></h2>'
            '<img src="/images/a.png"></article>'
            '<nav class="pagination"><a class="next page-numbers" href="page/2/">التالي »</a></nav>'
            '</body></html>').encode()


def test_an_off_scope_base_href_never_leads_a_request_off_scope(tmp_path, elsewhere):
    class Based(LocalHandler):
        def do_GET(self):  # noqa: N802
            own = f"http://{self.headers['Host']}/"
            if self.path == "/":
                self.respond(200, based_page(elsewhere, own), {"Content-Type": "text/html; charset=utf-8"})
            elif self.path.startswith("/post/"):
                self.respond(200, article("مقال مطلق", f'<base href="{elsewhere}"><a href="post/3/">التالي</a>')
                             .encode(), {"Content-Type": "text/html; charset=utf-8"})
            else:
                self.respond(404, b"", {})

    with local_server(Based) as url:
        crawl(url, tmp_path, "-s", "ROBOTSTXT_OBEY=False")
    assert Elsewhere.paths == []
    assert articles(tmp_path) == {"2": "مقال مطلق"}  # the absolute link only, once
    captured = {r["url"] for r in query(tmp_path, "select url from captures")}
    assert not [u for u in captured if u.startswith(elsewhere)]
    assert f"{url}post/1/" not in captured and f"{url}post/2/post/3/" not in captured  # not resolved against the page


# --- CR/LF/NUL in URLs, very long URLs, Content-Disposition with ../ ------------------------------------
LONG = "/post/long/?q=" + "%D8%A7" * 1700  # 10 KB, past any server's line limit but Python's (64 KB)
HOSTILE_LINKS = {"/post/ok/": "مقال سليم", "/post/cr\r\nX-Injected: yes/": "سطر جديد",
                 "/post/%0d%0aX-Injected:%20yes/": "سطر مرمز", "/post/nul\x00/": "محرف فارغ", "/post/%00/": "فارغ مرمز",
                 LONG: "رابط طويل", "/redirect/long/": "تحويل طويل", "/redirect/crlf/": "تحويل غريب",
                 "/download/": "ملف"}


class Odd(LocalHandler):
    seen: list[str] = []
    injected: list[str] = []

    def do_GET(self):  # noqa: N802
        Odd.seen.append(self.path)
        if self.headers.get("X-Injected") or self.headers.get("Set-Cookie"):
            Odd.injected.append(self.path)  # a CR/LF made a header of the request
        html = {"Content-Type": "text/html; charset=utf-8"}
        if self.path == "/":
            body = home(HOSTILE_LINKS).replace(b"</body>", b'<img src="/download/"></body>')
            self.respond(200, body, html)
        elif self.path.startswith("/post/"):
            self.respond(200, article(f"مقال {len(self.path)}").encode(), html)
        elif self.path == "/redirect/long/":
            self.respond(302, b"", {"Location": LONG.replace("long", "long-redirected")})
        elif self.path == "/redirect/crlf/":
            self.respond(302, b"", {"Location": "/post/%0D%0ASet-Cookie:%20x=1/\x00"})
        elif self.path == "/download/":
            self.respond(200, b"GIF89a" + b"\0" * 64, {"Content-Type": "image/gif",
                         "Content-Disposition": 'attachment; filename="../../../escaped-by-arshif.gif"'})
        else:
            self.respond(404, b"", html)


def test_odd_urls_and_file_names_write_nothing_outside_out_and_the_crawl_goes_on(tmp_path):
    out = tmp_path / "nested" / "out"
    with local_server(Odd) as url:
        proc = crawl(url, out, "-s", "ROBOTSTXT_OBEY=False")  # exit 0
    check_warc_folder(out)
    # nothing named after the attachment, anywhere near OUT or in the project
    assert not list(tmp_path.parent.rglob("escaped-by-arshif*")) and not list(ROOT.rglob("escaped-by-arshif*"))
    assert {p.name for p in out.iterdir()} <= {".crawl.lock", "archive.db", "archive.db-wal", "archive.db-shm", "job",
                                               "logs", "report.html", "warc"}
    # no control character ever reaches a request or a stored URL; the rest of the blog is archived
    assert Odd.injected == [] and not [p for p in Odd.seen if set(p) & set("\r\n\x00 ")]
    captures = {r["url"]: r["status"] for r in query(out, "select url, status from captures")}
    assert not [u for u in captures if set(u) & set("\r\n\x00 ")]
    assert captures[f"{url}post/ok/"] == 200 and captures[f"{url}download/"] == 200
    assert len(articles(out)) >= 5
    # the 10 KB link is not followed, and the summary says so; a redirect there is archived whole
    assert LONG not in Odd.seen and f"{url}{LONG[1:]}" not in captures
    assert "warning: 1 link(s) longer than URLLENGTH_LIMIT" in proc.stderr
    assert captures[f"{url}{LONG[1:].replace('long', 'long-redirected')}"] == 200


# --- an endless date archive: each page a new post and a "next" link further ---------------------------
class EndlessArchive(LocalHandler):
    paths: list[str] = []

    def do_GET(self):  # noqa: N802
        EndlessArchive.paths.append(self.path)
        html = {"Content-Type": "text/html; charset=utf-8"}
        if self.path == "/" or self.path.startswith("/archive/"):
            day = int(self.path.split("/")[2]) if self.path != "/" else 1
            posts = "".join(f'<article class="post hentry"><h2 class="entry-title"><a href="/post/{day}-{n}/">'
                            f"يوم {day}-{n}</a></h2></article>" for n in (1, 2, 3))
            body = (f'<!doctype html><html lang="ar"><body class="home blog paged"><main>{posts}</main><nav class="pagination"><a class="next page-numbers" '
                    f'href="/archive/{day + 1}/?sid={day * 7919 % 10007:x}">اليوم التالي »</a></nav></body></html>')
            self.respond(200, body.encode(), html)
        elif self.path.startswith("/post/"):
            self.respond(200, article(f"يوم {self.path.split('/')[2]}").encode(), html)
        else:
            self.respond(404, b"", html)


def test_an_endless_date_archive_stops_at_the_url_pattern_budget(tmp_path):
    with local_server(EndlessArchive) as url:
        proc = crawl(url, tmp_path, "-s", "ROBOTSTXT_OBEY=False", "-s", "ARSHIF_REQUISITES=False",
                     "-s", "ARSHIF_URL_PATTERN_BUDGET=25",  # 1000 by default: the same walk, longer
                     "-s", "CLOSESPIDER_PAGECOUNT=300")  # without the budget: fail here, not after minutes
    pages = [p for p in EndlessArchive.paths if p.startswith("/archive/")]
    assert len(pages) == 25, len(pages)
    assert len(articles(tmp_path)) == 3 * 26  # the home page's posts and those of every page walked
    assert re.search(r"warning: \d navigation link\(s\) not followed: more than ARSHIF_URL_PATTERN_BUDGET", proc.stderr)
    log = next((tmp_path / "logs").glob("crawl-*.log")).read_text(encoding="utf-8")
    assert "more than 25 links like 127.0.0.1:" in log and "/archive/N/?sid" in log


class SessionIds(LocalHandler):
    """Every page links to two more posts under a fresh short session id: no URL repeats, no
    pattern is navigation. Only the per-host budget bounds it."""

    count = 0

    def do_GET(self):
        SessionIds.count += 1
        n = SessionIds.count
        links = {f"/post-{n}-{i}/?s={n:x}{i}": f"مقال رقم {n}-{i}" for i in range(2)}
        related = ('<div class="related-posts"><h3>مقالات ذات صلة</h3><ul>'
                   + "".join(f'<li><a href="{href}">{title}</a></li>' for href, title in links.items()) + "</ul></div>")
        body = home(links) if self.path == "/" else article(f"مقال {self.path[1:20]}", related).encode()
        self.respond(200, body, {"Content-Type": "text/html; charset=utf-8"})


def test_session_ids_without_end_stop_at_the_host_budget(tmp_path):
    with local_server(SessionIds) as url:
        proc = crawl(url, tmp_path, "-s", "ROBOTSTXT_OBEY=False", "-s", "ARSHIF_REQUISITES=False",
                     "-s", "ARSHIF_HOST_PAGE_BUDGET=40",  # 200,000 by default: the same walk, longer
                     "-s", "CLOSESPIDER_PAGECOUNT=400")  # without the budget: fail here, not after minutes
    pages = query(tmp_path, "select count(*) n from captures where url like '%/post-%'")[0]["n"]
    assert pages <= 40, pages
    assert re.search(r"warning: \d+ link\(s\) not followed: their host had ARSHIF_HOST_PAGE_BUDGET", proc.stderr)
    log = next((tmp_path / "logs").glob("crawl-*.log")).read_text(encoding="utf-8")
    assert "40 requests to 127.0.0.1: no more are made (ARSHIF_HOST_PAGE_BUDGET)" in log


XXE_FEED = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd"><!ENTITY a "ههههههههههههههههههههه">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">]>
<rss version="2.0"><channel><title>&e;</title><link>{own}</link>
<item><title>سر &xxe;</title><link>{own}sql/</link><author>&e;</author></item>
<item><title>ملف</title><link>file:///etc/passwd</link></item>
<item><title>سكربت</title><link>javascript:alert(1)</link></item>
<item><title>بيانات</title><link>data:text/html,hello</link></item>
<item><title>ftp</title><link>ftp://127.0.0.1/pub/</link></item>
<item><title>موقع آخر</title><link>{elsewhere}from-feed/</link></item>
</channel></rss>"""

SITEMAP = """<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>{own}html/</loc></url><url><loc>file:///etc/shadow</loc></url>
<url><loc>{elsewhere}from-sitemap/</loc></url><url><loc>{own}&xxe;/</loc></url></urlset>"""

SQL_TITLE = "مقال'); DROP TABLE articles; --"
HTML_TITLE = "<b>عنوان</b> &lt;script&gt;alert(1)&lt;/script&gt;"
HUGE_TITLE = "عنوان طويل جدا " * 8000  # ≈ 120 KB


def page(title: str, charset: str = "utf-8", extra: str = "") -> bytes:
    from html import escape

    head = f'<meta charset="{charset}">' if charset else ""
    return (f'<!doctype html><html lang="ar"><head>{head}<title>{escape(title)}</title></head>'
            f'<body class="single single-post"><article class="post hentry"><h1 class="entry-title">{escape(title)}</h1>'
            f'<div class="entry-content"><p>{PARAGRAPH * 6}</p></div></article>{extra}</body></html>').encode()


COMMENTS = ('<section id="comments" class="comments-area"><h2>التعليقات</h2><ol class="comment-list"><li class="comment">'
            '<div class="comment-author vcard"><span class="fn" rel="author">بقلم المعلّق الغاضب</span></div>'
            '<div class="comment-content"><p>تعليق طويل بعض الشيء على المقال.</p></div></li></ol></section>')


def test_hostile_feeds_sitemaps_charsets_and_titles_are_archived_verbatim_and_bounded(tmp_path, elsewhere):
    class Hostile(LocalHandler):
        paths: list[str] = []

        def do_GET(self):  # noqa: N802
            own = f"http://{self.headers['Host']}/"
            Hostile.paths.append(self.path)
            html = {"Content-Type": "text/html"}
            pages = {
                "/": (home({"/sql/": "sql", "/html/": "html", "/huge/": "huge", "/utf7/": "utf7",
                            "/bogus/": "bogus", "/comments/": "comments"}), html),
                "/feed/": (XXE_FEED.format(own=own, elsewhere=elsewhere).encode(),
                           {"Content-Type": "application/rss+xml"}),
                "/sitemap.xml": (SITEMAP.format(own=own, elsewhere=elsewhere).encode(),
                                 {"Content-Type": "application/xml"}),
                "/sql/": (page(SQL_TITLE), html),
                "/html/": (page(HTML_TITLE), html),
                "/huge/": (page(HUGE_TITLE), html),
                "/utf7/": (page("مقال بترميز غريب", charset="utf-7"), html),
                "/bogus/": (page("مقال بترميز مجهول", charset="x-no-such-charset"), html),
                "/comments/": (page("مقال بلا كاتب", extra=COMMENTS), html),
            }
            if self.path.split("?")[0] not in pages:
                self.respond(404, b"", {})
                return
            body, headers = pages[self.path.split("?")[0]]
            if self.path == "/":
                body = body.replace(b"</body>", b'<link rel="alternate" type="application/rss+xml" '
                                                b'href="/feed/"></body>')
            self.respond(200, body, headers)

    with local_server(Hostile) as url:
        proc = crawl(url, tmp_path, "-s", "ROBOTSTXT_OBEY=False", "-s", "ARSHIF_REQUISITES=False")
    assert "Traceback" not in proc.stderr
    assert "/feed/" in Hostile.paths and "/sitemap.xml" in Hostile.paths  # both were read
    assert Elsewhere.paths == []  # off-scope feed and sitemap items: never requested
    fetched = {r["url"] for r in query(tmp_path, "select url from captures")}
    assert all(u.startswith(url) for u in fetched), fetched  # no file:, javascript:, data:, ftp:
    assert not any("&xxe" in u or "passwd" in u or "hostname" in u for u in fetched)
    titles = {r["url"].removeprefix(url): r for r in query(tmp_path, "select * from articles")}
    assert titles["sql/"]["title"] == SQL_TITLE  # stored verbatim, the table still there
    assert titles["html/"]["title"] == HTML_TITLE  # what the page shows, markup-looking text included
    assert titles["huge/"]["title"].startswith("عنوان طويل جدا") and len(titles["huge/"]["text"]) > 100
    assert titles["utf7/"]["title"] == "مقال بترميز غريب" and titles["bogus/"]["title"] == "مقال بترميز مجهول"
    assert titles["comments/"]["author"] in (None, "")  # a commenter is not the author
    assert "root:" not in " ".join(str(r["title"]) + str(r["text"]) for r in titles.values())
    entries = query(tmp_path, "select * from feed_entries")
    assert entries and all("root:" not in str(dict(e)) and len(str(dict(e))) < 20_000 for e in entries)  # no XXE, no expansion
    check_warc_folder(tmp_path)
