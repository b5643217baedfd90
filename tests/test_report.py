"""The crawl report, OUT/report.html: written by every crawl, rebuilt by `arshif report`, rendered
in a real headless Chromium (a screenshot is kept in test-artifacts/), its figures equal to the
database's, nothing fetched from elsewhere to view it."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import lxml.html
import pytest

from archive.changes import changes
from archive.crawl import CrawlRow, CrawlSummary, crawls_as_run, summary
from archive.demo.server import SiteServer
from archive.store import ArchiveDB

from .conftest import FAST, ROOT, LocalHandler, crawl, local_server, query, run_arshif

ARTIFACTS = ROOT / "test-artifacts"
CHART_SECTIONS = ["timeline", "status", "types", "reached", "months", "authors", "categories", "changes", "dedup",
                  "failures", "dates", "health"]


@pytest.fixture(scope="module")
def recrawled(tmp_path_factory):
    """The demo blog (with its traps: a missing page, redirects, odd encodings) crawled, then
    crawled again in full after one post was edited and one deleted. Returns (OUT, the first
    crawl's report page, URLs of the edited and the deleted post)."""
    out = tmp_path_factory.mktemp("report")
    with SiteServer("classic", traps=True) as server:
        crawl(server.base_url + "/", out)
        first_report = (out / "report.html").read_text(encoding="utf-8")
        posts = server.theme.posts
        edited, deleted = posts[10], posts.pop(20)
        posts[10] = replace(edited, paragraphs=[edited.paragraphs[0] + " وقد عُدّل هذا المقال بعد نشره.",
                                                *edited.paragraphs[1:]])
        server.rebuild()
        proc = crawl(server.base_url + "/", out, "--full")
        urls = server.theme.url(server.theme.post_path(edited)), server.theme.url(server.theme.post_path(deleted))
    assert "report.html" in proc.stdout.split("Output in")[1].splitlines()[0]  # listed with the output
    assert "read the crawl report:" in proc.stdout and f"open {out / 'report.html'}" in proc.stdout
    return out, first_report, urls


def chromium_dom(page: Path, profile: Path, screenshot: Path | None = None, height: int = 4400) -> lxml.html.HtmlElement:
    """The page as headless Chromium built it (and, optionally, a screenshot of it)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "make test installs Debian's chromium"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}"]
    dom = subprocess.run([chromium, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True,
                         timeout=120).stdout
    if screenshot:
        subprocess.run([chromium, *flags, f"--screenshot={screenshot}", f"--window-size=1400,{height}",
                        "--hide-scrollbars", page.as_uri()], capture_output=True, timeout=120)
        assert screenshot.exists() and screenshot.stat().st_size > 50_000
    assert dom.strip(), "Chromium rendered nothing"
    return lxml.html.fromstring(dom)


def figure(dom: lxml.html.HtmlElement, name: str) -> int:
    return int(dom.xpath(f"string(//*[@data-figure='{name}'])").replace(",", ""))


def table_rows(dom: lxml.html.HtmlElement, name: str) -> list[list[str]]:
    return [[cell.text_content().strip() for cell in row.xpath("td")]
            for row in dom.xpath(f"//table[@data-table='{name}']//tr[td]")]


def test_every_crawl_writes_its_report(recrawled):
    out, first_report, _ = recrawled
    assert "crawl #1 of 1" in first_report
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "crawl #2 of 2" in page and not (out / "report.html.part").exists()


def test_the_report_renders_right_to_left_with_every_chart_and_the_databases_figures(recrawled, tmp_path):
    out, _, (edited_url, deleted_url) = recrawled
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "crawl-report.png"
    dom = chromium_dom(out / "report.html", tmp_path / "profile", shot)
    shutil.copy(out / "report.html", ARTIFACTS / "crawl-report.html")

    assert dom.get("dir") == "rtl" and dom.get("lang") == "ar"
    for section in CHART_SECTIONS:  # the fixture's archive has something to show in every one
        assert dom.xpath(f"//section[@data-section='{section}']//figure[@dir='ltr']/*[local-name()='svg']"), section
    # Charts keep their text as text: the browser shapes the Arabic names.
    author_chart = dom.xpath("//section[@data-section='authors']//*[local-name()='svg']")[0].text_content()
    per_author = query(out, "select author, articles from articles_per_author")
    assert all(row["author"] in author_chart for row in per_author)

    with ArchiveDB.existing(out) as db:
        crawl_id = db.crawl()["id"]
        failures = db.failures(crawl_id)
    assert figure(dom, "pages") == query(out, "select count(*) n from captures where crawl_id = ? "
                                              "and warc_filename is not null", [crawl_id])[0]["n"]
    assert figure(dom, "articles") == query(out, "select count(*) n from articles")[0]["n"] == 45
    assert figure(dom, "crawl-articles") == summary(out).articles
    assert figure(dom, "failures") == len(failures) == query(
        out, "select count(*) n from captures where crawl_id = ? and (error is not null or status >= 400)",
        [crawl_id])[0]["n"] > 0
    assert sorted(r[0] for r in table_rows(dom, "failures")) == sorted(f["url"] for f in failures)
    assert {r[0]: int(r[1]) for r in table_rows(dom, "authors")} == {r["author"]: r["articles"] for r in per_author}
    per_category = query(out, "select category, articles from articles_per_category")
    assert {r[0]: int(r[1]) for r in table_rows(dom, "categories")} == {r["category"]: r["articles"] for r in per_category}

    # New, changed, gone: the list is what `arshif changes` finds, the deleted post among them.
    _, found = changes(out)
    listed = {(r[0], r[2]) for r in table_rows(dom, "changes")}
    assert listed == {(c.kind, c.url) for c in found}
    assert ("removed", deleted_url) in listed and ("changed", edited_url) in listed
    with ArchiveDB.existing(out) as db:  # the chart's figures: what the fixture did to the blog
        per_crawl = db.changes_per_crawl()
    assert per_crawl[0]["new"] == 45 and per_crawl[-1] == {"crawl_id": 2, "new": 0, "changed": 1, "gone": 1}
    # Dedup: the full re-crawl found most payloads archived already.
    dedup = table_rows(dom, "dedup")
    assert [int(r[2].replace(",", "")) for r in dedup] == [
        r["n"] for r in query(out, "select count(c.id) n from crawls left join captures c on c.crawl_id = crawls.id "
                                   "and c.record_type = 'revisit' group by crawls.id order by crawls.id")]
    assert int(dedup[-1][2].replace(",", "")) > 0

    # Self-contained: no script, stylesheet, image, frame or font is fetched; links are only links.
    assert not dom.xpath("//script | //link | //img | //iframe | //object | //embed")
    assert "url(" not in lxml.html.tostring(dom, encoding="unicode").replace("url(#", "")
    for element in dom.xpath("//*[@src or @href]"):
        value = element.get("src") or element.get("href")
        if re.match(r"https?://", value):
            assert element.tag == "a" and element.get("src") is None, lxml.html.tostring(element)[:200]


ARTICLE = """<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>{title}</title>
<meta property="og:type" content="article"></head><body class="single single-post">
<article class="post"><h1 class="entry-title">{title}</h1><time class="entry-date">{date}</time>
<div class="entry-content">{paragraphs}</div></article></body></html>"""
PARAGRAPH = "<p>هذه فقرة من مقال في مدونة صغيرة، كُتبت ليقرأها الأرشيف ويحفظها كما هي دون أن يضيع منها شيء.</p>"
UNPARSED = "في يوم من أيام الربيع البعيد"


TEASER = '<article class="post"><h2 class="entry-title"><a href="{path}">{title}</a></h2></article>'
POSTS = {"/odd/": ("مقال بتاريخ غير مفهوم", UNPARSED), "/plain/": ("مقال بتاريخ عادي", "12 مارس 2024")}


class OddDateBlog(LocalHandler):
    """A blog of two posts, one dated with a phrase no date parser can read."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path == "/":
            body = ('<html lang="ar"><body class="home blog">'
                    + "".join(TEASER.format(path=path, title=title) for path, (title, _) in POSTS.items())
                    + "</body></html>")
        elif self.path in POSTS:
            title, date = POSTS[self.path]
            body = ARTICLE.format(title=title, date=date, paragraphs=PARAGRAPH * 6)
        else:
            self.send_error(404)
            return
        self.respond(200, body.encode(), {"Content-Type": "text/html; charset=utf-8"})


def test_unparsed_dates_and_health_warnings_are_listed(tmp_path):
    with local_server(OddDateBlog) as base:
        crawl(base, tmp_path)
    unparsed = query(tmp_path, "select url, published_raw from articles where published is null "
                               "and published_raw is not null")
    assert [r["published_raw"] for r in unparsed] == [UNPARSED]
    dom = chromium_dom(tmp_path / "report.html", tmp_path / "profile")
    assert [(r[1], r[2]) for r in table_rows(dom, "unparsed-dates")] == [(UNPARSED, unparsed[0]["url"])]
    warnings = [li.text_content() for li in dom.xpath("//section[@data-section='health']//ul[@class='warnings']/li")]
    assert warnings == summary(tmp_path).health_lines() and any("without a date" in w for w in warnings)
    assert dom.xpath("//section[@data-section='dates']//*[local-name()='svg']")


def test_report_command_rebuilds_the_page_and_says_what_is_wrong_in_one_line(recrawled, tmp_path):
    out, _, _ = recrawled
    target = tmp_path / "elsewhere.html"
    started = time.monotonic()
    proc = run_arshif("report", out, "-o", target)
    seconds = time.monotonic() - started
    assert proc.stdout.strip() == str(target) and seconds < 30  # ≈ 3 s on the demo archive
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<html dir="rtl" lang="ar">' in page
    assert page.count("<svg") == len(CHART_SECTIONS)

    (tmp_path / "empty").mkdir()
    (tmp_path / "no-crawl").mkdir()
    ArchiveDB(tmp_path / "no-crawl" / "archive.db").close()  # a database, and no crawl in it
    for args, message in ((["report", tmp_path / "missing"], "no folder"),
                          (["report", tmp_path / "empty"], "no archive.db in"),
                          (["report", tmp_path / "no-crawl"], "no crawl recorded in"),
                          (["report", out, "-o", tmp_path / "missing" / "r.html"], "cannot write")):
        proc = run_arshif(*args, check=False)
        assert proc.returncode == 1 and proc.stderr.startswith("Error: ") and message in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1


def test_extract_redraws_the_report_of_a_capture_only_crawl(tmp_path):
    """Before extraction the report says what waits for it (not "no health warning" beside posts
    "not understood"); after it, the crawl's figures are the archive's: articles N / N everywhere,
    the health a full crawl of the same blog records, no warning left over."""
    with SiteServer("classic") as server:
        crawl(server.base_url + "/", tmp_path / "full")
        crawl(server.base_url + "/", tmp_path / "later", "--capture-only")
    later = tmp_path / "later"
    ARTIFACTS.mkdir(exist_ok=True)
    dom = chromium_dom(later / "report.html", tmp_path / "profile", ARTIFACTS / "report-capture-only.png", 1400)
    assert figure(dom, "crawl-articles") == figure(dom, "articles") == 0
    waiting = dom.xpath("string(//header//*[@data-figure='deferred'])")
    assert waiting.startswith(f"42 article pages captured, not extracted yet: run `arshif extract {later.resolve()}`")
    assert "no health warning" not in dom.text_content()
    assert not dom.xpath("//section[@data-section='health']//*[local-name()='svg']")  # no "posts not understood: 42"

    done = run_arshif("extract", later)
    assert f"report         : {later / 'report.html'}" in done.stdout and "warning" not in done.stderr
    dom = chromium_dom(later / "report.html", tmp_path / "profile", ARTIFACTS / "report-after-extract.png", 1400)
    assert figure(dom, "crawl-articles") == figure(dom, "articles") == 42
    assert query(later, "select count(*) n from articles")[0]["n"] == 42
    assert [row[4] for row in table_rows(dom, "crawls")] == ["42"]
    assert not dom.xpath("//*[@data-figure='deferred']") and "not extracted yet" not in dom.text_content()
    assert "✓ no health warning" in dom.xpath("string(//header)")
    assert "✓ no health warning for this crawl" in dom.xpath("string(//section[@data-section='health'])")
    assert dom.xpath("//section[@data-section='health']//*[local-name()='svg']")
    after, full = summary(later), summary(tmp_path / "full")
    assert after.health == full.health and after.health["unstored_posts"] == 0 and after.health["stored"] == 42
    assert (after.articles, after.deferred) == (full.articles, 0)
    assert dom.xpath("//section[@data-section='authors']//*[local-name()='svg']")


STATIC_PAGE = """<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>{title}</title>
<meta property="og:type" content="website"></head><body class="page page-template-default">
<div class="content"><h1>{title}</h1>{paragraphs}</div></body></html>"""
# One post as a post, three that look like static pages (a theme that marks its posts as pages)
HALF_POSTS = {"/one/": "التدوين في زمن الأرشفة", "/two/": "مكتبةُ المدينة القديمة",
              "/three/": "رحلة إلى تدمر ٢٠١٧", "/four/": "ذاكرة الحيّ"}


class HalfUnderstoodBlog(LocalHandler):
    """A blog of four posts whose theme makes three of them look like static pages."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path == "/":
            body = ('<html lang="ar"><body class="home blog">'
                    + "".join(TEASER.format(path=path, title=title) for path, title in HALF_POSTS.items())
                    + "</body></html>")
        elif self.path in HALF_POSTS:
            template = ARTICLE if self.path == "/one/" else STATIC_PAGE
            body = template.format(title=HALF_POSTS[self.path], date="12 مارس 2024", paragraphs=PARAGRAPH * 6)
        else:
            self.send_error(404)
            return
        self.respond(200, body.encode(), {"Content-Type": "text/html; charset=utf-8"})


def test_posts_not_understood_still_warn_after_extract_and_reindex(tmp_path):
    """A capture-only crawl cannot judge its health (one article page waits); once extracted, the
    three posts that were not understood are warned of by `arshif extract`, `arshif report` and the
    page, as a full crawl of the blog warns of them, and as that crawl does once reindexed."""
    with local_server(HalfUnderstoodBlog) as base:
        full = run_arshif("crawl", base, "--out", tmp_path / "full", *FAST, check=False)
        later = crawl(base, tmp_path / "later", "--capture-only")
    expected = ("3 pages linked as posts (listing permalinks, feed items, related links) were captured but not stored "
                "as articles")
    assert expected in full.stderr and "warning" not in later.stderr
    done = run_arshif("extract", tmp_path / "later", check=False)
    assert ", 1 articles extracted in " in done.stdout and f"warning: {expected}" in done.stderr
    # no success, as the full crawl ended: the same last line
    assert done.returncode == full.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == full.stderr.strip().splitlines()[-1]
    assert done.stderr.strip().splitlines()[-1].startswith("Error: the blog was archived in the WARC files")
    lines = summary(tmp_path / "later").health_lines()
    assert lines == summary(tmp_path / "full").health_lines() and expected in lines[0]
    dom = chromium_dom(tmp_path / "later" / "report.html", tmp_path / "profile")
    assert f"⚠ {len(lines)} health warnings" in dom.xpath("string(//header)")
    assert "no health warning" not in dom.text_content()
    warnings = [li.text_content() for li in dom.xpath("//section[@data-section='health']//ul[@class='warnings']/li")]
    assert warnings == lines
    assert figure(dom, "crawl-articles") == figure(dom, "articles") == 1

    # rebuilt from its WARC files, the full crawl reports the same, not a crawl "killed before it
    # recorded its figures" with no health to judge
    before = summary(tmp_path / "full")
    rebuilt = run_arshif("reindex", tmp_path / "full")
    assert [line for line in rebuilt.stderr.splitlines() if line.startswith("warning: ")] == [
        f"warning: {line}" for line in lines]
    after = summary(tmp_path / "full")
    assert after.health == before.health and after.health_lines() == lines
    assert (after.pages, after.articles, after.warc_bytes) == (before.pages, before.articles, before.warc_bytes)
    dom = chromium_dom(tmp_path / "full" / "report.html", tmp_path / "profile")
    assert [li.text_content() for li in dom.xpath("//section[@data-section='health']//ul[@class='warnings']/li")] == lines
    assert "killed before" not in dom.text_content() and figure(dom, "crawl-articles") == 1


def test_a_crawl_killed_before_its_end_is_reported_from_its_captures(tmp_path):
    """A crawl that never recorded its figures (kill -9): `arshif report` counts its captures."""
    with ArchiveDB(tmp_path / "archive.db") as db:
        crawl_id = db.start_crawl("http://127.0.0.1:9/", {})
        for i, status in enumerate((200, 200, 404)):
            db.add_capture({"crawl_id": crawl_id, "url": f"http://127.0.0.1:9/{i}/", "status": status,
                            "record_type": "response", "fetched_at": f"2025-01-01T10:00:0{i}+00:00",
                            "content_type": "text/html", "content_length": 100})
    run_arshif("report", tmp_path)
    page = lxml.html.fromstring((tmp_path / "report.html").read_bytes())
    assert figure(page, "pages") == 3 and figure(page, "failures") == 1
    assert "killed before it recorded its figures" in page.text_content()


def _row(crawl_id: int, start: int, end: int | None, job: str = "", run: str = "", reason: str = "finished") -> CrawlRow:
    """A crawls row as the report reads it: minutes after 09:00 for its start and end (None: no end recorded)."""
    at = datetime(2025, 12, 25, 9, tzinfo=timezone.utc)
    figures = CrawlSummary(crawl_id, "https://مدونة.example/", reason, 10 * crawl_id, crawl_id, 0, 1000, 60.0)
    return CrawlRow(crawl_id, "https://مدونة.example/", at + timedelta(minutes=start),
                    None if end is None else at + timedelta(minutes=end), reason, True, figures,
                    ["https://مدونة.example/"], job, run, [crawl_id], [figures])


def test_a_jobs_workers_crawls_are_one_crawl_by_the_jobs_id():
    """The report joins the crawls of one job's workers, by the job's id: a killed worker (no end
    recorded) does not swallow the next job of the same name, a job running beside another keeps its
    own rows, and a crawl of no job stays apart."""
    rows = [_row(1, 0, 30, "news", "a1"), _row(2, 5, None, "news", "a1", "crashed"), _row(3, 10, 40, "news", "a1"),
            _row(4, 100, 130, "news", "b2"), _row(5, 101, 140, "other", "c3"), _row(6, 102, 131, "news", "b2"),
            _row(7, 200, 210)]
    joined = crawls_as_run(rows)
    assert [c.ids for c in joined] == [[1, 2, 3], [4, 6], [5], [7]]
    first = joined[0]
    assert first.id == 3 and first.finished_at is None  # a worker never ended: nor did the job, as recorded
    assert first.finish_reason == "finished, crashed" and first.workers == 3
    assert [p.pages for p in first.parts] == [10, 20, 30]
    assert joined[1].started_at == rows[3].started_at and joined[1].finished_at == rows[5].finished_at
    # crawls recorded before jobs had ids: the same name within the job's time only, never past a missing end
    old = [_row(1, 0, 30, "news"), _row(2, 5, 35, "news"), _row(3, 50, 60, "news"), _row(4, 55, None, "news"),
           _row(5, 70, 80, "news")]
    assert [c.ids for c in crawls_as_run(old)] == [[1, 2], [3, 4], [5]]
