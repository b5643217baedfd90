"""Re-crawls into the same folder: incremental fetching, versions, deletions, the change report,
and recovery from Ctrl-C and kill -9."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date

import pytest

from archive.demo.content import Article
from archive.demo.server import SiteServer

from .conftest import FAST, ROOT, check_warc_folder, crawl, query, run_arshif

NEW_POST = Article(500, "مقال جديد عن أرشفة الذاكرة الرقمية", "تقنية", "سارة الخطيب", date(2025, 12, 20),
                   ["هذا مقال جديد نُشر بعد الزحف الأول، ويجب أن يظهر في الزحف الثاني وحده.",
                    "ويتحدث عن أرشفة الذاكرة الرقمية للمدونات العربية."], ["تقنية"])


def article_urls(server) -> dict[str, Article]:
    return {server.theme.url(server.theme.post_path(p)): p for p in server.theme.posts}


@pytest.fixture(scope="module")
def recrawled(tmp_path_factory):
    """Crawl a block-theme blog, then add a post, edit one, delete one, and crawl again."""
    out = tmp_path_factory.mktemp("incremental")
    with SiteServer("block") as server:
        crawl(server.base_url + "/", out)
        before = article_urls(server)
        old_site = dict(server.site)
        posts = server.theme.posts
        edited, deleted = posts[10], posts[20]
        posts[10] = replace(edited, paragraphs=[edited.paragraphs[0] + " وقد عُدّل هذا المقال بعد نشره.",
                                                *edited.paragraphs[1:]])
        posts.remove(deleted)
        posts.insert(0, NEW_POST)
        server.rebuild()
        # Pages whose bytes did not change (neighbours of the edits changed: their prev/next and
        # related links point elsewhere now).
        server.unchanged = {server.base_url + path for path, res in server.site.items()
                            if path in old_site and old_site[path].body == res.body}
        proc = crawl(server.base_url + "/", out)
        urls = {name: server.theme.url(server.theme.post_path(p)) for name, p in
                (("edited", posts[11]), ("deleted", deleted), ("new", NEW_POST))}
        yield out, server, before, urls, proc


def test_unchanged_pages_are_not_fetched_again_in_full(recrawled):
    out, server, before, urls, _ = recrawled
    unchanged_articles = (set(before) & server.unchanged) - {urls["edited"]}
    assert len(unchanged_articles) > 25
    second = query(out, "select url, status, record_type from captures where crawl_id = 2")
    full = {r["url"] for r in second if r["status"] == 200}
    assert not (full & unchanged_articles)  # no unchanged article came back whole
    not_modified = {r["url"] for r in second if r["status"] == 304}
    assert unchanged_articles <= not_modified
    assert all(r["record_type"] == "revisit" for r in second if r["status"] == 304)
    images = {u for u in not_modified if u.endswith(".png")}
    assert images, "requisites are checked conditionally too"


def test_revisits_refer_to_the_first_capture(recrawled):
    out, _, _, urls, _ = recrawled
    rows = query(out, "select c2.refers_to, c1.warc_record_id from captures c2 join captures c1 on c1.url = c2.url "
                      "and c1.crawl_id = 1 and c1.status = 200 where c2.crawl_id = 2 and c2.status = 304")
    assert rows and all(r["refers_to"] == r["warc_record_id"] for r in rows)


def test_paging_stops_at_known_articles(recrawled):
    out, _, _, _, _ = recrawled

    def listings(crawl_id):
        return {r["url"] for r in query(out, "select url from captures where crawl_id = ? and url like '%paged=%'",
                                         [crawl_id])}

    assert len(listings(1)) == 5  # the first crawl walks every listing page: ?paged=2 … 6
    assert len(listings(2)) < len(listings(1))
    stats = query(out, "select stats from crawls where id = 2")[0]["stats"]
    assert '"arshif/paging_stopped": ' in stats


def test_versions_updates_and_deletions(recrawled):
    out, server, before, urls, _ = recrawled
    versions = {r["url"]: r["n"] for r in query(out, "select url, count(*) n from article_versions group by url")}
    assert versions[urls["edited"]] == 2 and versions[urls["new"]] == 1
    assert sum(1 for n in versions.values() if n > 1) == 1
    text = query(out, "select text from articles where url = ?", [urls["edited"]])[0]["text"]
    assert "وقد عُدّل هذا المقال بعد نشره" in text
    gone = query(out, "select status, gone_at from articles where url = ?", [urls["deleted"]])[0]
    assert gone["status"] == "gone" and gone["gone_at"]
    assert query(out, "select count(*) n from articles")[0]["n"] == 43  # 42 + 1 new; the deleted one kept
    assert query(out, "select count(*) n from articles where status = 'live'")[0]["n"] == 42


def test_changes_report(recrawled):
    out, _, _, urls, _ = recrawled
    lines = run_arshif("changes", out).stdout.splitlines()
    assert lines[-1].startswith("1 new, 1 changed, 1 removed")
    kinds = {line.split()[0]: line.split()[1] for line in lines if line.split()[0] in ("new", "changed", "removed")}
    assert kinds == {"new": urls["new"], "changed": urls["edited"], "removed": urls["deleted"]}
    assert any(line.strip().startswith("+") and "عُدّل" in line for line in lines)
    everything = run_arshif("changes", out, "--since", "2000-01-01").stdout.splitlines()[-1]
    assert everything.startswith("43 new, 0 changed, 1 removed")


def test_sitemap_lastmod_skips_unchanged_articles(tmp_path):
    with SiteServer("classic") as server:
        crawl(server.base_url + "/", tmp_path)
        posts = server.theme.posts
        posts[5] = replace(posts[5], paragraphs=["فقرة جديدة كليًا.", *posts[5].paragraphs[1:]], modified=date.today())
        server.rebuild()
        crawl(server.base_url + "/", tmp_path)
        edited = server.theme.url(server.theme.post_path(posts[5]))
    second = {r["url"]: r["status"] for r in query(tmp_path, "select url, status from captures where crawl_id = 2")}
    assert second.get(edited) == 200
    articles = set(article_urls(server)) - {edited}
    # the listing pages link the newest ones (conditional, 304); the rest are skipped per lastmod
    assert len(articles - set(second)) >= 30
    stats = query(tmp_path, "select stats from crawls where id = 2")[0]["stats"]
    assert '"arshif/skipped_unchanged_lastmod"' in stats


def test_full_recrawl_refetches_everything(tmp_path):
    with SiteServer("block") as server:
        crawl(server.base_url + "/", tmp_path)
        crawl(server.base_url + "/", tmp_path, "--full")
    statuses = {r["status"] for r in query(tmp_path, "select status from captures where crawl_id = 2")}
    assert 304 not in statuses
    assert query(tmp_path, "select count(*) n from captures where crawl_id = 2 and record_type = 'revisit'")[0]["n"] > 100


def _start(url, out, *extra):
    return subprocess.Popen([sys.executable, "-m", "archive.cli", "crawl", url, "--out", str(out), *FAST,
                             "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "DOWNLOAD_DELAY=0.01", *extra],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _wait_for_captures(out, n, proc, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the crawl ended before it could be interrupted"
        try:
            if query(out, "select count(*) n from captures")[0]["n"] >= n:
                return
        except sqlite3.Error:
            pass
        time.sleep(0.05)
    raise AssertionError("no progress")


def _captured_urls(out) -> set[str]:
    return {r["url"] for r in query(out, "select distinct url from captures where status is not null")}


def _check_archive(out):
    check_warc_folder(out)
    assert query(out, "pragma integrity_check")[0][0] == "ok"
    # every capture tied to an article points at a stored row (one article, one row, however fetched)
    assert query(out, "select count(*) n from captures where article_url is not null "
                      "and article_url not in (select url from articles)")[0]["n"] == 0
    assert query(out, "select count(*) n from articles where url not in (select article_url from captures "
                      "where article_url is not null)")[0]["n"] == 0


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted crawl of the scaled-up blog, to compare interrupted ones against."""
    out = tmp_path_factory.mktemp("reference")
    server = SiteServer("classic", scale=3)
    with server:
        crawl(server.base_url + "/", out, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1")
        yield server, _captured_urls(out)


def _relocate(urls: set[str], base: str) -> set[str]:
    """The reference crawl's URLs as served by another server (another port)."""
    return {base + "/" + u.split("/", 3)[3] for u in urls}


def test_kill_9_then_resume_reaches_every_url(reference, tmp_path):
    server, expected = reference
    with SiteServer("classic", scale=3) as site:
        proc = _start(site.base_url + "/", tmp_path)
        _wait_for_captures(tmp_path, 60, proc)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert (tmp_path / "job").exists()
        crawl(site.base_url + "/", tmp_path)
        base = site.base_url
    assert _captured_urls(tmp_path) == _relocate(expected, base)
    _check_archive(tmp_path)
    reasons = [r["finish_reason"] for r in query(tmp_path, "select finish_reason from crawls order by id")]
    assert reasons == ["interrupted", "finished"]
    assert query(tmp_path, "select count(*) n from articles")[0]["n"] == 42 * 3
    assert not (tmp_path / "job").exists()


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_stops_gracefully_and_resumes(reference, tmp_path, stop):
    server, expected = reference
    with SiteServer("classic", scale=3) as site:
        proc = _start(site.base_url + "/", tmp_path)
        _wait_for_captures(tmp_path, 60, proc)
        proc.send_signal(stop)
        _, err = proc.communicate(timeout=120)
        assert "Traceback" not in err
        assert proc.returncode == 130 and err.strip().endswith("interrupted — run the same command again to resume")
        assert not list((tmp_path / "warc").glob("*.open"))  # WARC closed
        assert query(tmp_path, "select finish_reason from crawls")[0]["finish_reason"] == "shutdown"
        assert (tmp_path / "job" / "requests.seen").exists()  # the frontier, for the next run
        crawl(site.base_url + "/", tmp_path)
        base = site.base_url
    assert _captured_urls(tmp_path) == _relocate(expected, base)
    # The dupefilter's fingerprints, read back from OUT/job: the resumed run fetches nothing again
    # (but robots.txt, which Scrapy asks for once a run)
    again = query(tmp_path, "select url from captures where crawl_id = 2 and status is not null and url not like "
                            "'%/robots.txt' and url in (select url from captures where crawl_id = 1)")
    assert again == []
    _check_archive(tmp_path)
    assert query(tmp_path, "select count(*) n from articles")[0]["n"] == 42 * 3


def test_two_crawls_of_one_folder_cannot_run_at_once(tmp_path):
    with SiteServer("classic", scale=3) as site:
        proc = _start(site.base_url + "/", tmp_path)
        _wait_for_captures(tmp_path, 5, proc)
        second = run_arshif("crawl", site.base_url + "/", "--out", tmp_path, check=False)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=120)
    assert second.returncode == 1 and "another crawl is writing to" in second.stderr


def test_not_modified_revisits_keep_the_304_and_reindex(recrawled, tmp_path):
    import shutil

    from warcio.archiveiterator import ArchiveIterator

    out, server, _, _, _ = recrawled
    row = query(out, "select * from captures where crawl_id = 2 and status = 304 limit 1")[0]
    with open(out / "warc" / row["warc_filename"], "rb") as fh:
        fh.seek(row["warc_offset"])
        records = ArchiveIterator(fh)
        revisit = next(records)
        assert revisit.rec_headers.get_header("WARC-Profile").endswith("/server-not-modified")
        assert not revisit.http_headers  # so replay tools serve the original's status and headers
        revisit.content_stream().read()
        received = next(records)
        assert received.rec_type == "metadata"
        assert received.rec_headers.get_header("WARC-Concurrent-To") == row["warc_record_id"]
        text = received.content_stream().read().decode()
        assert "http-response: HTTP/1.1 304 Not Modified" in text and "http-response: Etag:" in text
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    before = {r["status"]: r["n"] for r in query(out, "select status, count(*) n from captures where warc_record_id is not null group by 1")}
    run_arshif("reindex", copy)
    after = {r["status"]: r["n"] for r in query(copy, "select status, count(*) n from captures group by 1")}
    assert after == before


def test_full_recrawl_also_finds_deleted_articles(tmp_path):
    """--full re-fetches everything whole, and, like an incremental crawl, checks the known
    articles nothing links to any more: a deleted post is marked gone."""
    with SiteServer("classic") as server:
        crawl(server.base_url + "/", tmp_path)
        deleted = server.theme.posts.pop(20)
        server.rebuild()
        crawl(server.base_url + "/", tmp_path, "--full")
        url = server.theme.url(server.theme.post_path(deleted))
    gone = query(tmp_path, "select status, gone_at from articles where url = ?", [url])[0]
    assert gone["status"] == "gone" and gone["gone_at"]
    second = query(tmp_path, "select status, count(*) n from captures where crawl_id = 2 group by status")
    assert {r["status"]: r["n"] for r in second}.get(304) is None  # full: nothing asked conditionally
    assert query(tmp_path, "select count(*) n from articles where status = 'live'")[0]["n"] == 41


def test_capture_only_recrawls_then_extract_keep_every_version(tmp_path):
    """Capture-only crawls with `arshif extract` after each give the archive what incremental full
    crawls give it: a post edited between the crawls gets its second version, a new post its first."""
    out = tmp_path / "out"
    with SiteServer("block") as server:
        crawl(server.base_url + "/", out, "--capture-only")
        run_arshif("extract", out)
        posts = server.theme.posts
        edited = posts[10]
        posts[10] = replace(edited, paragraphs=[edited.paragraphs[0] + " وقد عُدّل هذا المقال بعد نشره.",
                                                *edited.paragraphs[1:]])
        posts.insert(0, NEW_POST)
        server.rebuild()
        crawl(server.base_url + "/", out, "--capture-only")
        urls = {name: server.theme.url(server.theme.post_path(p)) for name, p in (("edited", posts[11]), ("new", NEW_POST))}
    extracted = run_arshif("extract", out).stdout
    versions = {r["url"]: r["n"] for r in query(out, "select url, count(*) n from article_versions group by url")}
    assert versions[urls["edited"]] == 2 and versions[urls["new"]] == 1, extracted
    assert sum(1 for n in versions.values() if n > 1) == 1  # the others came back unchanged (304s)
    text = query(out, "select text from articles where url = ?", [urls["edited"]])[0]["text"]
    assert "وقد عُدّل هذا المقال بعد نشره" in text
    assert query(out, "select count(*) n from articles")[0]["n"] == 43
    # what the second capture brought is extracted: a third run finds nothing left
    again = run_arshif("extract", out).stdout
    assert ", 0 articles extracted" in again, again
