"""The research database: Arabic search through a real Datasette, facets, provenance, migrations,
rebuild from WARC, export, and a headless Chromium rendering an article row right-to-left."""

from __future__ import annotations

import csv
import io
import json
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections import Counter

import pytest
import sqlite_utils

from archive.demo.server import SiteServer
from archive.store import ArchiveDB
from archive.store.migrations import migrations

from .conftest import ARTIFACTS, ROOT, crawl, free_port, query, run_arshif


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    out = tmp_path_factory.mktemp("research")
    with SiteServer("classic") as server:
        crawl(server.base_url + "/", out)
        crawl(server.base_url + "/", out)  # unchanged: no new versions, no duplicate rows
        yield out, server


@pytest.fixture(scope="module")
def datasette(archive):
    out, server = archive
    served = out.parent / (out.name + "-served")
    shutil.copytree(out, served)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "archive.cli", "serve", str(served), "--port", str(port)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        assert proc.poll() is None, proc.stderr.read().decode()
        time.sleep(0.2)
    yield f"http://127.0.0.1:{port}", server
    proc.terminate()
    proc.wait(timeout=30)


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def search(base: str, words: str) -> set[str]:
    q = urllib.parse.quote(words)
    rows = get_json(f"{base}/archive/articles.json?_search={q}&_shape=array&_col=title&_size=max")
    return {r["url"] for r in rows}


def urls_with(server, word: str) -> set[str]:
    """Articles in which ``word`` stands as a whole word, as written."""
    import re

    pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)")
    theme = server.theme
    return {theme.url(theme.post_path(p)) for p in theme.posts if pattern.search(p.title + " " + p.text)}


@pytest.mark.parametrize("spelled, written", [
    ("الكتابة", "الكِتَابَةُ"),        # harakat in the text
    ("الكِتَابَةُ", "الكِتَابَةُ"),     # harakat in the query
    ("الكتابه", "الكِتَابَةُ"),        # ة written as ه
    ("ارشيف", "أرشيف"),              # alef forms
    ("إرشيف", "أرشيف"),
    ("آرشيف", "أرشيف"),
    ("ملتقي", "ملتقى"),              # ى written as ي
    ("2017", "٢٠١٧"),                # Eastern digits
    ("٢٠١٧", "٢٠١٧"),
    ("تحالف", "التحالف"),            # prefix ال ...
    ("تحالف", "والتحالف"),           # ... and و+ال
    ("تحالف", "التحالـــف"),         # tatweel
    ("الاقليمي", "الإقليمي"),
    ("مكتبات", "مكتبات"),            # a bare feminine plural finds its form with ال ...
    ("مدونات", "المدونات"),
    ("مؤسسات", "المؤسسات"),
    ("المكتبات", "مكتبات"),          # ... and the other way round
])
def test_search_finds_every_spelling(datasette, spelled, written):
    base, server = datasette
    expected = urls_with(server, written)
    assert expected, f"the demo blog should contain {written}"
    found = search(base, spelled)
    assert expected <= found
    assert len(found) < len(server.theme.posts)  # a search that returns everything is not a search


def test_a_word_the_blog_lacks_finds_nothing(datasette):
    base, _ = datasette
    assert search(base, "بطاريق") == set() and search(base, "الزرافات") == set()


def test_plain_fts5_misses_what_arshif_finds(archive):
    out, server = archive
    conn = sqlite3.connect(":memory:")
    conn.execute("create virtual table plain using fts5(text, tokenize='unicode61 remove_diacritics 2')")
    for row in query(out, "select text from articles"):
        conn.execute("insert into plain values (?)", [row["text"]])
    from archive.arabic.search import query_terms

    for word in ("تحالف", "ارشيف", "الكتابه", "ملتقي"):  # prefix, alef form, ة as ه, ى as ي
        assert conn.execute("select count(*) from plain where plain match ?", [f'"{word}"']).fetchone()[0] == 0, word
        ours = query(out, "select count(*) n from articles_fts where articles_fts match ?", [query_terms(word)])
        assert ours[0]["n"] > 0, word


def test_canned_search_query_ranks_and_snippets(datasette):
    base, server = datasette
    rows = get_json(f"{base}/archive/search.json?q={urllib.parse.quote('تحالف')}&_shape=array")
    assert {r["url"] for r in rows} >= urls_with(server, "التحالف")
    assert len(rows) < len(server.theme.posts)
    assert all("‹" in r["snippet"] for r in rows) and all(isinstance(r["rank"], float) for r in rows)


def test_facets_count_right(datasette):
    base, server = datasette
    data = get_json(f"{base}/archive/articles.json?_size=0")
    facets = data["facet_results"]
    authors = {r["value"]: r["count"] for r in facets["author"]["results"]}
    assert authors == dict(Counter(p.author for p in server.theme.posts))
    categories = {r["value"]: r["count"] for r in facets["categories"]["results"]}
    assert categories == dict(Counter(p.category for p in server.theme.posts))
    years = {r["value"]: r["count"] for r in facets["published_year"]["results"]}
    assert years == {2025: 42}


def test_other_canned_queries(datasette):
    base, server = datasette
    months = get_json(f"{base}/archive/articles_per_month.json?_shape=array")
    assert sum(r["articles"] for r in months) == 42
    post = server.theme.posts[0]
    url = server.theme.url(server.theme.post_path(post))
    graph = get_json(f"{base}/archive/related_graph.json?url={urllib.parse.quote(url)}&_shape=array")
    assert {r["direction"] for r in graph} == {"links to", "linked from"}
    assert get_json(f"{base}/archive/unparsed_dates.json?_shape=array") == []


def test_names_tables_versions_and_provenance(archive):
    out, server = archive
    assert query(out, "select count(*) n from authors")[0]["n"] == 6
    assert query(out, "select count(*) n from articles_tags")[0]["n"] == 42 * 3
    assert query(out, "select count(*) n from article_versions")[0]["n"] == 42  # two crawls, nothing changed
    row = query(out, "select a.url, a.replay_url, a.captured_at, c.warc_date, c.warc_filename, c.warc_offset, "
                     "c.warc_record_id, c.payload_digest from articles a join captures c on c.id = a.capture_id limit 1")[0]
    assert row["captured_at"] == row["warc_date"] and row["warc_record_id"] and row["payload_digest"]
    stamp = "".join(ch for ch in row["warc_date"] if ch.isdigit())[:14]
    assert row["replay_url"] == f"http://127.0.0.1:8080/arshif/{stamp}/{row['url']}"


def test_show_prints_the_record_and_text(archive):
    out, server = archive
    post = server.theme.posts[2]
    url = server.theme.url(server.theme.post_path(post))
    shown = run_arshif("show", url, "--out", out).stdout
    assert f"WARC-Target-URI: {url}" in shown and "WARC-Type:" in shown
    assert "Content-Type: text/html" in shown and post.paragraphs[1] in shown
    missing = run_arshif("show", "http://127.0.0.1:1/nope/", "--out", out, check=False)
    assert missing.returncode == 1 and "not in this archive" in missing.stderr


def test_export_csv_with_bom_and_jsonl(archive, tmp_path):
    out, _ = archive
    run_arshif("export", out, "--format", "csv", "-o", tmp_path / "a.csv")
    raw = (tmp_path / "a.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 42 and any(r["title"] == "ما بعد تدمر.. اختبار الشراكة الدولية" for r in rows)
    lines = run_arshif("export", out, "--format", "jsonl").stdout.splitlines()
    assert len(lines) == 42 and isinstance(json.loads(lines[0])["tags"], list)


def test_reindex_rebuilds_the_same_articles(archive, tmp_path):
    out, _ = archive
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    columns = [c for c in sqlite_utils.Database(out / "archive.db")["articles"].columns_dict if c != "capture_id"]
    before = [dict(r) for r in query(copy, f"select {', '.join(columns)} from articles order by url")]
    proc = run_arshif("reindex", copy)
    # the second crawl found nothing changed (304s, nothing re-extracted): 42 extractions in all
    assert ", 42 articles in " in proc.stdout
    after = [dict(r) for r in query(copy, f"select {', '.join(columns)} from articles order by url")]
    assert len(after) == 42 and after == before
    assert (copy / "archive.db.bak.1").exists()
    assert query(copy, "select count(*) n from links")[0]["n"] == query(out, "select count(*) n from links")[0]["n"]


def test_older_database_upgrades_in_place(tmp_path):
    path = tmp_path / "archive.db"
    db = sqlite_utils.Database(path)
    migrations.apply(db, stop_before="m002_research")  # what an older Arshif wrote
    db["articles"].insert({"url": "http://x/1", "title": "الكِتَابُ الجديد", "author": "سارة الخطيب",
                           "published": "2025-12-25", "text": "نص عن التحالف", "categories": '["ثقافة"]', "tags": "[]"})
    db.close()
    ArchiveDB(path).close()
    applied = [r["name"] for r in query(tmp_path, "select name from _sqlite_migrations order by rowid")]
    assert applied == [m.name for m in migrations._migrations]  # every migration, m001 first
    from archive.arabic.search import query_terms

    assert query(tmp_path, "select rowid from articles_fts where articles_fts match ?", [query_terms("الكتاب")])
    assert query(tmp_path, "select published_month from articles")[0]["published_month"] == "2025-12"
    assert [r["name"] for r in query(tmp_path, "select name from categories")] == ["ثقافة"]


@pytest.fixture
def page(browser):
    """A page at the size the issue measured: 1400×1000."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    yield page
    page.close()


def test_the_articles_table_opens_on_its_rows(datasette, page):
    base, server = datasette
    page.goto(f"{base}/archive/articles")
    rows = page.locator("table.rows-and-columns tbody tr")
    first = rows.first.bounding_box()
    assert first["y"] + first["height"] <= 1000, first  # the first row is visible without scrolling
    heights = [rows.nth(i).bounding_box()["height"] for i in range(10)]
    assert max(heights) <= 130, heights  # a few lines, not a whole text in a narrow column
    newest = max(server.theme.posts, key=lambda post: post.published)
    link = rows.first.locator("a.arshif-title-link")
    assert link.inner_text().strip() == newest.title  # the title is the row's label
    assert rows.first.locator(".arshif-article-cell .arshif-url").inner_text().strip() == server.theme.url(server.theme.post_path(newest))
    assert "~2F" not in page.locator("tbody").inner_text()  # no key encoding where a person reads
    assert page.locator("dl.column-descriptions").bounding_box()["y"] > first["y"]  # below the rows
    page.screenshot(path=ARTIFACTS / "articles-table.png")
    link.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().strip() == newest.title


def test_an_article_page_reads_right_to_left_with_links_out(datasette, page):
    from datasette.utils import tilde_encode

    base, server = datasette
    post = server.theme.posts[0]
    url = server.theme.url(server.theme.post_path(post))
    page.goto(f"{base}/archive/articles/{tilde_encode(url)}")
    assert page.locator("h1").inner_text().strip() == post.title
    assert page.title() == post.title
    text = page.locator(".arshif-text")
    assert text.get_attribute("dir") == "rtl"
    assert [p.strip() for p in text.locator("p").all_inner_texts()] == post.paragraphs  # whole, paragraph by paragraph
    live = page.locator(".arshif-links a", has_text="live page")
    assert live.get_attribute("href") == url
    replay = page.locator(".arshif-links a", has_text="archived copy").get_attribute("href")
    assert replay.startswith("http://127.0.0.1:") and replay.endswith("/" + url)  # arshif replay's URL of it
    record = page.locator("dl.arshif-record").inner_text()
    assert post.author in record and post.category in record and "None" not in record
    page.screenshot(path=ARTIFACTS / "article-page.png", full_page=True)


def test_a_search_from_the_table_is_ranked_with_snippets(datasette, page):
    base, _ = datasette
    page.goto(f"{base}/archive/articles")
    assert page.locator("#_search").evaluate("e => getComputedStyle(e).direction") == "rtl"
    page.fill("#_search", "المكتبات")
    page.press("#_search", "Enter")
    page.wait_for_load_state()
    assert "/archive/search?q=" in page.url  # the ranked canned query, not a date-sorted filter
    ranks = [float(r) for r in page.locator("td.col-rank").all_inner_texts()]
    assert ranks and ranks == sorted(ranks)  # bm25: best (lowest) first
    assert page.locator("td.col-snippet mark").count() >= len(ranks)
    title = page.locator("td.col-title a").first
    title.click()
    page.wait_for_load_state()
    assert "/archive/articles/" in page.url and page.locator(".arshif-text p").count() > 0
    page.goto(f"{base}/archive/articles?_search=" + urllib.parse.quote("المكتبات") + "&_facet=author")
    assert "/archive/articles?" in page.url  # with a facet it stays a filter of the table


def test_damaged_warc_gives_one_line_errors_and_loses_nothing(archive, tmp_path):
    out, _ = archive
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    path = sorted((copy / "warc").glob("*.warc.gz"))[0]
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 64] = b"\x00" * 64  # a damaged stretch in the middle of the file
    path.write_bytes(bytes(data))
    before = (copy / "archive.db").read_bytes()
    for args in (["index", copy], ["wacz", copy, "-o", tmp_path / "x.wacz"], ["reindex", copy]):
        proc = run_arshif(*args, check=False)
        assert proc.returncode == 1, args
        assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert path.name in proc.stderr
    assert (copy / "archive.db").read_bytes() == before  # the database was not touched
    assert not (tmp_path / "x.wacz").exists()


def test_serve_shows_a_new_crawl_without_a_restart(tmp_path):
    """serve + scheduled crawls into the same folder: Datasette reads the live database (WAL), so
    the counts follow the crawl, and never 'database disk image is malformed'."""
    from archive.demo.content import articles as demo_articles

    out, port = tmp_path / "live", free_port()
    with SiteServer("classic") as site:
        crawl(site.base_url + "/", out)
        proc = subprocess.Popen([sys.executable, "-m", "archive.cli", "serve", str(out), "--port", str(port)], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            base = f"http://127.0.0.1:{port}/archive.json?_shape=array&sql="
            count = base + urllib.parse.quote("select count(*) as n from articles")
            deadline = time.monotonic() + 60
            while True:
                try:
                    assert get_json(count)[0]["n"] == 42
                    break
                except OSError:
                    assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read().decode()
                    time.sleep(0.3)
            new = demo_articles()[0]
            site.theme.posts.insert(0, type(new)(900, "مقال نُشر بعد التشغيل", new.category, new.author, new.published,
                                                 ["فقرة أولى من مقال جديد.", "وفقرة ثانية منه."], new.tags))
            site.rebuild()
            crawl(site.base_url + "/", out)
            assert get_json(count)[0]["n"] == 43
            table = get_json(f"http://127.0.0.1:{port}/archive/articles.json?_size=1")
            assert table["filtered_table_rows_count"] == 43  # the table view's count too
            titles = get_json(base + urllib.parse.quote("select title from articles where title like '%بعد التشغيل%'"))
            assert titles == [{"title": "مقال نُشر بعد التشغيل"}]
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def test_urls_read_as_written_and_lists_as_lists(datasette):
    from archive.datasette_plugin import render_cell

    encoded = "https://blog.example/2025/12/%D9%85%D8%A7-%D8%A8%D8%B9%D8%AF-%D8%AA%D8%AF%D9%85%D8%B1/"
    def render(value: str, column: str) -> str:
        return str(render_cell(row=None, value=value, column=column, table="articles", database="archive",
                               datasette=None))

    cell = render(encoded, "url")
    assert ">https://blog.example/2025/12/ما-بعد-تدمر/</a>" in cell and f'href="{encoded}"' in cell
    assert render('["ثقافة", "تاريخ"]', "tags").count("ثقافة، تاريخ") == 1
    base, _ = datasette
    tables = {t["name"]: t for t in get_json(f"{base}/archive.json")["tables"]}
    assert tables["_sqlite_migrations"]["hidden"] and tables["articles_fts"]["hidden"]
    with urllib.request.urlopen(f"{base}/archive/articles?_size=5", timeout=30) as response:
        page = response.read().decode()
    assert '["' not in page.split("<tbody>", 1)[1]  # no raw JSON lists in the rows


def test_capture_only_then_extract_gives_the_same_articles(archive, tmp_path):
    """--capture-only stores no article and says so; `arshif extract` then stores exactly what a
    full crawl stores, and a second run has nothing left to do."""
    out, server = archive
    later = tmp_path / "later"
    proc = crawl(server.base_url + "/", later, "--capture-only")
    assert "42 article pages to extract: `arshif extract OUT`" in proc.stdout and "warning" not in proc.stderr
    assert query(later, "select count(*) n from articles")[0]["n"] == 0
    assert query(later, "select count(*) n from links")[0]["n"] > 0
    done = run_arshif("extract", later)
    assert ", 42 articles extracted in " in done.stdout
    columns = "url, title, author, published, published_raw, categories, tags, text, word_count, related"
    assert [tuple(r) for r in query(later, f"select {columns} from articles order by url")] == \
        [tuple(r) for r in query(out, f"select {columns} from articles order by url")]
    # the second run reads nothing again: the pages that are not articles were marked with the rules
    # that decided (listings, the about page …), the articles have their rows
    first_looked = int(done.stdout.split(" pages not extracted yet looked at")[0].split()[-1])
    marked = query(later, "select count(*) n from pages_read")[0]["n"]
    assert first_looked == 42 + marked and marked > 0, done.stdout
    again = run_arshif("extract", later).stdout
    assert f"0 pages not extracted yet looked at ({marked} read before and not articles: skipped), " \
           "0 articles extracted in " in again, again
    # under other rules (another Arshif, a page now linked as an article) they are read again
    with sqlite3.connect(later / "archive.db") as conn:
        conn.execute("update pages_read set rules = 'other rules' where capture_id in "
                     "(select capture_id from pages_read limit 3)")
    third = run_arshif("extract", later).stdout
    assert "3 pages not extracted yet looked at (" in third and ", 0 articles extracted in " in third, third
    assert query(later, "select count(*) n from pages_read where rules = 'other rules'")[0]["n"] == 0
