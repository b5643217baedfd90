"""Hostile and broken pages on local servers: each case bounded, nothing lost, crawl and reindex agree."""

from __future__ import annotations

import shutil

from .conftest import LocalHandler, check_warc_folder, crawl, local_server, query, run_arshif

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
