"""Pages read off the reactor: the reader processes see what the crawl process saw, and survive what
a page or the system does to them."""

from __future__ import annotations

import asyncio
import copy
import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import pytest
from scrapy.http import HtmlResponse

from archive.pages.archived import ArchivedPage, extract_archived
from archive.pages.blocks import html_root, page_blocks
from archive.pages.classify import classify
from archive.pages.links import article_links, feed_links, listing_links, page_links, requisite_links
from archive.pages.profile import Profile
from archive.pages.reading import ReadingOptions, read_page
from archive.pages.urls import canonical_url
from crawler.reading import ReaderDied, ReaderPool
from tests.conftest import ROOT
from tests.test_links import pages

WINDOWS_1256_PAGE = ('<html><head><meta charset="windows-1256"><title>مقال</title></head><body class="single-post">'
                     '<article><h1 class="entry-title">ما بعد تدمر.. اختبار الشراكة الدولية</h1>'
                     '<p>نصّ المقالة بالعربيّة، &#1633;&#1634;&#1635;.</p><a href="/page/2/">التالي</a></article>'
                     '<div class="related-posts"><h3>مقالات ذات صلة</h3><a href="/other/">مقال آخر</a></div>'
                     '</body></html>').encode("cp1256")


def in_process(body: bytes, encoding: str) -> tuple[str, list, list, list]:
    """What the crawl process found on the page before reading moved to the workers: Scrapy's own
    tree, links resolved by response.urljoin and canonical_url as the spider's follow_all did."""
    response = HtmlResponse("http://127.0.0.1:8000/x/", body=body, encoding=encoding)
    root, profile = response.selector.root, Profile()

    def resolved(links):
        return [(canonical_url(response.urljoin(href.strip())), kind) for href, kind in links
                if href and not href.startswith(("mailto:", "javascript:", "tel:", "#"))]

    kind = classify(root, profile)
    links = (listing_links(root, profile) if kind == "listing" else article_links(root, profile)
             if kind == "article" else page_links(root))
    return (kind, resolved(feed_links(root)), resolved(requisite_links(root)) if kind != "other" else [],
            resolved(links))


BASE_HREF_PAGE = ('<html><head><base href="http://127.0.0.1:8000/مدونة/"></head><body class="home blog">'
                  + "".join(f'<article class="post"><h2><a href="{n}/">مقال {n}</a></h2></article>' for n in range(3))
                  + '<a class="next" href="page/2/">التالي</a><a href="#top">↑</a><a href="mailto:a@b.c">@</a>'
                  '</body></html>').encode()


@pytest.mark.parametrize("body", [*pages(), pytest.param(WINDOWS_1256_PAGE, id="windows-1256"),
                                  pytest.param(BASE_HREF_PAGE, id="base-href")])
def test_a_page_reads_as_the_crawl_process_read_it(body):
    encoding = "cp1256" if b"windows-1256" in body[:200] else "utf-8"
    reading = read_page(body, "http://127.0.0.1:8000/x/", encoding, ReadingOptions(), walk=True)
    assert (reading.kind, reading.feeds, reading.requisites, reading.links) == in_process(body, encoding)


def test_an_article_is_extracted_where_it_is_read_windows_1256_included(monkeypatch):
    options = ReadingOptions(extract={"allowed_domains": (), "learned": {}})
    with monkeypatch.context() as patched:  # one parse: extraction reads the tree the page was classified on
        patched.setattr("archive.pages.extract.html_root", lambda *a, **k: pytest.fail("parsed twice"))
        reading = read_page(WINDOWS_1256_PAGE, "http://127.0.0.1:8000/x/", "cp1256", options,
                            base_date="2025-12-25T10:00:00Z")
    # the crawl stores what reindex would rebuild from the WARC
    rebuilt = extract_archived([ArchivedPage("http://127.0.0.1:8000/x/", WINDOWS_1256_PAGE, "text/html; charset=windows-1256",
                                             options={"base_date": "2025-12-25T10:00:00Z"})])[0]
    assert reading.article == rebuilt
    assert reading.kind == "article"
    assert reading.article["title"] == "ما بعد تدمر.. اختبار الشراكة الدولية"
    assert "نصّ المقالة بالعربيّة" in reading.article["text"]
    assert "http://127.0.0.1:8000/other/" in [url for url, kind in reading.links if kind == "related"]
    # capture only: read, not extracted
    assert read_page(WINDOWS_1256_PAGE, "http://127.0.0.1:8000/x/", "cp1256", ReadingOptions()).article is None


# A share block inside Word's <o:p> wrapper, common in pasted Arabic posts: no XPath reaches it by its
# path (the prefix is undefined), so extraction searches its copy of the page again.
WORD_WRAPPED_PAGE = ('<html><body class="single-post"><article><h1 class="entry-title">ما بعد تدمر</h1>'
                     '<div class="entry-content"><p>نصّ المقالة بالعربيّة الطويل ' + "كلمة " * 60 + '</p></div>'
                     '<o:p><div class="sharedaddy"><h3>شارك</h3><a href="https://x.example/share">X</a></div></o:p>'
                     '</article><div class="related-posts"><h3>مقالات ذات صلة</h3><a href="/other/">مقال آخر</a></div>'
                     '</body></html>').encode()


@pytest.mark.parametrize("body", [*pages(), pytest.param(WORD_WRAPPED_PAGE, id="word-o-p")])
def test_an_article_read_with_its_blocks_found_once_equals_its_rebuild(body):
    """The reader searches an article's blocks once, for its related links and for what extraction
    removes; the article is the one reindex extracts from the archived page on its own."""
    options = ReadingOptions(extract={"allowed_domains": (), "learned": {}})
    reading = read_page(body, "http://127.0.0.1:8000/x/", "utf-8", options, base_date="2025-12-25T10:00:00Z")
    if reading.kind != "article":
        return
    rebuilt = extract_archived([ArchivedPage("http://127.0.0.1:8000/x/", body, "text/html; charset=utf-8",
                                             options={"base_date": "2025-12-25T10:00:00Z"})])[0]
    assert reading.article == rebuilt


def counted(monkeypatch, function_name, *modules):
    """Calls to ``function_name`` through each module that imported it."""
    calls = []
    for module in modules:
        original = getattr(module, function_name)

        def counting(*args, _original=original, **kwargs):
            calls.append(function_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, function_name, counting)
    return calls


def test_an_article_is_searched_for_blocks_and_classes_once(monkeypatch):
    import archive.pages.blocks as blocks_module
    import archive.pages.classify as classify_module
    import archive.pages.extract as extract_module
    import archive.pages.reading as reading_module

    searches = counted(monkeypatch, "page_blocks", blocks_module, reading_module)
    class_reads = counted(monkeypatch, "class_names", reading_module, classify_module, extract_module)
    options = ReadingOptions(extract={"allowed_domains": (), "learned": {}})
    reading = read_page(WINDOWS_1256_PAGE, "http://127.0.0.1:8000/x/", "cp1256", options)
    assert reading.kind == "article" and reading.article["related"] == ["http://127.0.0.1:8000/other/"]
    assert len(searches) == 1, "the related links and the removal share one search"
    assert len(class_reads) == 1, "classification and extraction share the page's class attributes"
    searches.clear()
    read_page(WORD_WRAPPED_PAGE, "http://127.0.0.1:8000/x/", "utf-8", options)
    assert len(searches) == 2, "a block out of its path's reach: the copy is searched again"


def test_blocks_out_of_reach_of_their_path_are_searched_again():
    root = html_root(WORD_WRAPPED_PAGE.decode(), for_trafilatura=True)
    blocks = page_blocks(root)
    assert blocks.marked.share and blocks.in_copy(root, copy.deepcopy(root)) is None
    reading = read_page(WORD_WRAPPED_PAGE, "http://127.0.0.1:8000/x/", "utf-8",
                        ReadingOptions(extract={"allowed_domains": (), "learned": {}}))
    assert reading.kind == "article" and "شارك" not in reading.article["text"]
    assert reading.article["related"] == ["http://127.0.0.1:8000/other/"]
    # an ordinary page's blocks are found in its copy, element for element
    page = next(p.values[0] for p in pages() if b"related" in p.values[0] and b"single" in p.values[0])
    root = html_root(page.decode(), for_trafilatura=True)
    blocks, duplicate = page_blocks(root), copy.deepcopy(root)
    moved = blocks.in_copy(root, duplicate)
    assert moved, "the copy's blocks found by their paths"
    paths = [duplicate.getroottree().getpath(el) for el in moved]
    assert set(paths) <= {root.getroottree().getpath(el) for el in blocks.removable()}
    assert not any(up in moved for el in moved for up in el.iterancestors()), "outermost blocks only"


def run(coroutine_function):
    """In a thread with its own event loop: Playwright's tests leave one running in this one."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine_function()).result()


def test_the_pool_runs_every_task_and_gives_each_its_own_result():
    async def main():
        pool = ReaderPool(2)
        try:
            results = await asyncio.gather(*(pool.run(partial(pow, n, 2), 8) for n in range(40)))
            pids = {reader.process.pid for reader in pool.readers}
        finally:
            pool.close()
        return results, pids

    results, pids = run(main)
    assert results == [n * n for n in range(40)]
    assert len(pids) == 2
    for pid in pids:  # closed: the readers are gone
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_page_that_raises_fails_alone():
    async def main():
        pool = ReaderPool(1)
        try:
            with pytest.raises(RuntimeError, match="ValueError: invalid literal"):
                await pool.run(partial(int, "٣x"), 8)
            return await pool.run(partial(int, "42"), 8)
        finally:
            pool.close()

    assert run(main) == 42


def test_a_reader_killed_mid_page_fails_its_pages_and_is_replaced():
    async def main():
        pool = ReaderPool(1)
        try:
            await pool.run(partial(abs, -1), 8)  # started
            victim = pool.readers[0].process.pid
            slow = [asyncio.ensure_future(pool.run(partial(time.sleep, 30), 8)) for _ in range(2)]
            await asyncio.sleep(0.5)
            os.kill(victim, signal.SIGKILL)
            outcomes = await asyncio.wait_for(asyncio.gather(*slow, return_exceptions=True), 10)
            after = await asyncio.wait_for(pool.run(partial(abs, -7), 8), 30)
            return victim, outcomes, after, pool.readers[0].process.pid
        finally:
            pool.close()

    victim, outcomes, after, replacement = run(main)
    assert all(isinstance(outcome, ReaderDied) for outcome in outcomes)
    assert after == 7 and replacement != victim


def test_ctrl_c_is_the_crawl_process_s_to_handle_not_the_readers():
    """Ctrl-C in a terminal signals the whole process group; the crawl finishes the pages in hand."""
    async def main():
        pool = ReaderPool(1)
        try:
            await pool.run(partial(abs, -1), 8)
            os.kill(pool.readers[0].process.pid, signal.SIGINT)
            await asyncio.sleep(0.3)
            return await asyncio.wait_for(pool.run(partial(abs, -2), 8), 10), pool.readers[0].process.exitcode
        finally:
            pool.close()

    assert run(main) == (2, None)


def test_readers_do_not_outlive_a_crawl_process_killed_with_sigkill(tmp_path):
    script = textwrap.dedent("""
        import asyncio, os, sys
        from functools import partial
        from crawler.reading import ReaderPool

        async def main():
            pool = ReaderPool(2)
            await asyncio.gather(*(pool.run(partial(abs, -n), 8) for n in range(4)))
            print(" ".join(str(r.process.pid) for r in pool.readers), flush=True)
            os.kill(os.getpid(), 9)

        asyncio.run(main())
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)
    pids = [int(pid) for pid in done.stdout.split()]
    assert len(pids) == 2, done.stderr
    deadline = time.monotonic() + 10
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in pids if _alive(pid)]
        time.sleep(0.1)
    assert alive == []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by init) counts as gone
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] != "Z"


@pytest.mark.parametrize(("html", "found"), [
    # the heading's container: its text outside links is short (the links' titles do not count)
    ('<div class="box"><h3>مقالات ذات صلة</h3><ul><li><a href="/a/">' + "عنوانٌ طويلٌ جداً " * 20
     + "</a></li></ul></div>", "div"),
    # the container's own text runs past 120 letters: the heading and the list after it
    ('<div class="box"><p>' + "نصٌّ خارج الروابط " * 10 + '</p><h3>مقالات ذات صلة</h3>'
     '<ul><li><a href="/a/">أ</a></li></ul></div>', "h3+ul"),
])
def test_a_related_block_is_the_headings_container_unless_it_holds_more_than_links(html, found):
    root = html_root(f"<html><body><article><p>نص المقال</p></article>{html}</body></html>")
    blocks = list({id(el): el for el in page_blocks(root).related}.values())  # found by heading and by size
    assert "+".join(el.tag for el in blocks) == found
    assert [a.get("href") for el in blocks for a in el.iter("a")] == ["/a/"]
