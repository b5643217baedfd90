"""`arshif merge`: one archive from several output folders, whose rows point at the right WARC
records, each article once, and on which reindex, wacz, show and changes work unchanged."""

from __future__ import annotations

import filecmp
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import zipfile
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.arabic.search import query_terms
from archive.crawl import lock_folder
from archive.demo.content import Article
from archive.demo.server import SiteServer, free_port
from archive.demo.site import CUSTOM_PROFILE

from .conftest import ROOT, check_warc_folder, crawl, query, run_arshif

# An edit written as Arabic blogs write: harakat, tatweel, Eastern Arabic digits.
EDIT = "وقد عُدِّلَ هذا المقالُ في ٢٠ رجب ١٤٤٧ هـ بعد نشره، تحديــــث للأرشيف."
NEW_POST = Article(501, "مقالٌ جديد عن دمج الأرشيفات", "تقنية", "سارة الخطيب", date(2025, 12, 21),
                   ["نُشر هذا المقال بين الزحفين، فلا يعرفه إلا الزحف الثاني.", "ويجب أن يظهر مرة واحدة بعد الدمج."],
                   ["تقنية"])


def counts(out: Path) -> dict[str, int]:
    tables = ("captures", "articles", "article_versions", "links", "feed_entries", "articles_fts")
    return {t: query(out, f"select count(*) n from {t}")[0]["n"] for t in tables}


def contents(folder: Path) -> dict[str, str]:
    """{path: SHA-256} of every file in a folder, but the -shm and empty -wal files that any reader
    of an SQLite database in WAL mode creates."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.endswith("-shm")
            and not (p.name.endswith("-wal") and p.stat().st_size == 0)}


def merge(*folders: Path, into: Path, check: bool = True) -> subprocess.CompletedProcess:
    return run_arshif("merge", *folders, "--into", into, check=check)


@pytest.fixture(scope="module")
def two_blogs(tmp_path_factory):
    """Crawls of two different blogs (two hosts, two themes) in two folders, merged. The second
    needs a per-site profile, which the first must not be extracted with."""
    base = tmp_path_factory.mktemp("two-blogs")
    profile = base / "custom.toml"
    profile.write_text(CUSTOM_PROFILE, encoding="utf-8")
    with SiteServer("classic") as classic, SiteServer("custom") as custom:
        crawl(classic.base_url + "/", base / "a")
        crawl(custom.base_url + "/", base / "b", "--profile", profile)
    profile.unlink()  # what each crawl recorded is all a rebuild has
    before = [contents(base / "a"), contents(base / "b")]
    proc = merge(base / "a", base / "b", into=base / "merged")
    assert [contents(base / "a"), contents(base / "b")] == before  # the sources are only read
    return base / "a", base / "b", base / "merged", proc


@pytest.fixture(scope="module")
def same_blog(tmp_path_factory):
    """Two crawls of one blog into two folders: between them a post was edited, one deleted and
    one added. Yields the folders, the merged one, the URLs of those three posts and the server,
    still serving the blog as the second crawl saw it."""
    base = tmp_path_factory.mktemp("same-blog")
    with SiteServer("block") as server:
        crawl(server.base_url + "/", base / "first")
        posts = server.theme.posts
        edited, deleted = posts[10], posts[20]
        posts[10] = replace(edited, paragraphs=[edited.paragraphs[0] + " " + EDIT, *edited.paragraphs[1:]])
        posts.remove(deleted)
        posts.insert(0, NEW_POST)
        server.rebuild()
        crawl(server.base_url + "/", base / "second")
        urls = {name: server.theme.url(server.theme.post_path(post))
                for name, post in (("edited", edited), ("deleted", deleted), ("new", NEW_POST))}
        merge(base / "first", base / "second", into=base / "merged")
        yield base / "first", base / "second", base / "merged", urls, server


def test_two_blogs_merge_into_one_archive(two_blogs):
    a, b, merged, proc = two_blogs
    before = [counts(a), counts(b)]
    after = counts(merged)
    assert after == {t: before[0][t] + before[1][t] for t in after}  # two blogs share no article, link or feed entry
    assert after["articles"] == 84
    assert "2 folders merged into" in proc.stdout and ", 84 articles, 2 crawls" in proc.stdout
    crawls = query(merged, "select * from crawls order by id")
    assert [c["start_url"] for c in crawls[:2]] == [query(a, "select start_url from crawls")[0]["start_url"],
                                                    query(b, "select start_url from crawls")[0]["start_url"]]
    assert all(c["finish_reason"] == "finished" and c["stats"] for c in crawls[:2])  # stats carried over
    record = crawls[2]
    assert record["finish_reason"] == "merged"
    assert json.loads(record["settings"])["sources"] == [
        {"folder": str(a.resolve()), "crawls": [1], "warc_files": 1},
        {"folder": str(b.resolve()), "crawls": [2], "warc_files": 1}]
    # each blog's captures, articles and links belong to its own crawl
    for crawl_id, folder in ((1, a), (2, b)):
        host = query(folder, "select start_url from crawls")[0]["start_url"]
        rows = query(merged, "select url from captures where crawl_id = ?", [crawl_id])
        assert len(rows) == before[crawl_id - 1]["captures"] and all(r["url"].startswith(host) for r in rows)
        assert query(merged, "select count(*) n from articles a join captures c on c.id = a.capture_id "
                             "where c.crawl_id = ? and a.url like ?", [crawl_id, host + "%"])[0]["n"] == 42


def test_captures_point_at_their_records(two_blogs, same_blog):
    """Every archived capture's (file, offset), read back with warcio in the merged folder, is the
    record of its URL; the WARC files pass every check and are hard links to the sources'."""
    for sources, merged in ((two_blogs[:2], two_blogs[2]), (same_blog[:2], same_blog[2])):
        rows = query(merged, "select url, warc_filename, warc_offset, warc_record_id, record_type from captures "
                             "where warc_filename is not null")
        assert rows
        for row in rows:
            with open(merged / "warc" / row["warc_filename"], "rb") as fh:
                fh.seek(row["warc_offset"])
                record = next(iter(ArchiveIterator(fh)))
                assert record.rec_headers.get_header("WARC-Target-URI") == row["url"]
                assert record.rec_headers.get_header("WARC-Record-ID") == row["warc_record_id"]
                assert record.rec_type == row["record_type"]
        files = check_warc_folder(merged)
        originals = [p for source in sources for p in (source / "warc").glob("*.warc.gz")]
        assert sorted(p.name for p in files) == sorted(p.name for p in originals)
        assert all(os.path.samefile(merged / "warc" / p.name, p) for p in originals)


def test_captures_and_crawls_are_in_time_order(same_blog):
    """The highest id is the newest, across sources, as the queries for "the latest capture" expect."""
    merged = same_blog[2]
    fetched = [r["fetched_at"] for r in query(merged, "select fetched_at from captures order by id")]
    assert fetched == sorted(fetched)
    started = [r["started_at"] for r in query(merged, "select started_at from crawls order by id")]
    assert started == sorted(started)


def test_same_blog_each_article_once_newest_capture_wins(same_blog):
    first, second, merged, urls, _ = same_blog
    assert counts(first)["articles"] == counts(second)["articles"] == 42
    articles = {r["url"]: r for r in query(merged, "select a.*, c.crawl_id from articles a "
                                                   "join captures c on c.id = a.capture_id")}
    assert len(articles) == 43 == counts(merged)["articles_fts"]  # 42 + the new post; the deleted one is kept
    assert len(query(merged, "select url from articles group by url having count(*) > 1")) == 0
    assert articles[urls["deleted"]]["crawl_id"] == 1  # only the first crawl saw it
    assert all(row["crawl_id"] == 2 for url, row in articles.items() if url != urls["deleted"])
    assert EDIT in articles[urls["edited"]]["text"]
    # the history of both folders: the edited post has its old and its new version
    versions = query(merged, "select v.text, c.crawl_id from article_versions v join captures c on c.id = v.capture_id "
                             "where v.url = ? order by v.id", [urls["edited"]])
    assert [v["crawl_id"] for v in versions] == [1, 2] and EDIT not in versions[0]["text"] and EDIT in versions[1]["text"]
    assert counts(merged)["article_versions"] == 44
    # the names tables and the search index follow the rows kept
    assert query(merged, "select count(*) n from articles_authors")[0]["n"] == 43
    found = query(merged, "select a.url from articles_fts f join articles a on a.rowid = f.rowid "
                          "where articles_fts match ?", [query_terms("تحديث")])
    assert [r["url"] for r in found] == [urls["edited"]]


def test_the_order_of_the_sources_does_not_matter(same_blog, tmp_path):
    """Newest wins by capture time, not by the place on the command line: the same rows either way."""
    first, second, merged, _, _ = same_blog
    merge(second, first, into=tmp_path / "reversed")
    tables = {table: f"select * from {table} order by 1, 2, 3"
              for table in ("captures", "articles", "article_versions", "links", "feed_entries")}
    tables["crawls"] = "select id, start_url, started_at, finished_at, finish_reason, stats from crawls order by id"
    tables["authors"] = ("select j.articles_id, a.name from articles_authors j join authors a on a.id = j.authors_id "
                         "order by 1, 2")
    for table, sql in tables.items():
        rows = [query(out, sql) for out in (merged, tmp_path / "reversed")]
        if table == "crawls":  # the merge's own row: its time and figures are its own
            rows = [r[:-1] for r in rows]
        assert [tuple(r) for r in rows[0]] == [tuple(r) for r in rows[1]], table


def test_show_and_changes_work_on_the_merge(same_blog):
    _, second, merged, urls, _ = same_blog
    shown = run_arshif("show", urls["edited"], "--out", merged).stdout
    name = query(second, "select warc_filename from captures limit 1")[0]["warc_filename"]
    assert f"# {name} @ " in shown and EDIT in shown
    since = query(merged, "select started_at from crawls where id = 2")[0]["started_at"]
    listed = run_arshif("changes", merged, "--since", since).stdout
    assert f"new      {urls['new']}" in listed and f"changed  {urls['edited']}" in listed
    assert "1 new, 1 changed, 0 removed" in listed
    # the latest crawl is the second one, not the merge: `changes` and the report default to it
    assert run_arshif("changes", merged).stdout.splitlines()[-1] == listed.splitlines()[-1]
    assert "crawl #2 of 2" in (merged / "report.html").read_text(encoding="utf-8")  # the merge's row is no crawl


def test_datasette_searches_both_blogs(two_blogs):
    """`arshif serve` on the merge: one Arabic search finds the same post in both blogs."""
    a, b, merged, _ = two_blogs
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "archive.cli", "serve", str(merged), "--port", str(port)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sql = ("select a.url from articles_fts f join articles a on a.rowid = f.rowid "
           "where articles_fts match arabic_query(:q) order by a.url")
    url = f"http://127.0.0.1:{port}/archive.json?_shape=array&" + urllib.parse.urlencode({"sql": sql, "q": "تَدْمُر"})
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    found = [row["url"] for row in json.loads(response.read())]
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read().decode() if proc.stderr else ""
                time.sleep(0.3)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    hosts = [query(folder, "select start_url from crawls")[0]["start_url"] for folder in (a, b)]
    assert found and {next(h for h in hosts if u.startswith(h)) for u in found} == set(hosts)
    assert len(found) == sum(len(query(folder, "select rowid from articles_fts where articles_fts match ?",
                                       [query_terms("تدمر")])) for folder in (a, b))


def test_pywb_replays_both_folders_versions(same_blog):
    """One pywb collection over the merged WARC files: the edited post as each folder captured it."""
    _, _, merged, urls, _ = same_blog
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "archive.cli", "replay", str(merged), "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first_line = proc.stdout.readline() if proc.stdout else ""
        assert "pywb is replaying" in first_line, proc.stderr.read() if proc.poll() is not None and proc.stderr else ""
        versions = query(merged, "select captured_at from article_versions where url = ? order by id", [urls["edited"]])
        bodies = []
        for version in versions:
            stamp = re.sub(r"\D", "", version["captured_at"])[:14]
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/arshif/{stamp}id_/{urls['edited']}",
                                        timeout=30) as response:
                bodies.append(response.read().decode("utf-8"))
        assert len(bodies) == 2 and EDIT not in bodies[0] and EDIT in bodies[1]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


@pytest.mark.parametrize("merged", ["two_blogs", "same_blog"])
def test_reindex_of_the_merge_gives_the_same_rows(merged, request, tmp_path):
    """Each source's crawl is rebuilt with its own recorded settings (the profile of one blog is
    not applied to the other, though both folders' first crawl called itself arshif-crawl-1)."""
    merged = request.getfixturevalue(merged)[2]
    copy = tmp_path / "copy"
    shutil.copytree(merged, copy)
    proc = run_arshif("reindex", copy)
    assert f"{counts(merged)['captures']} captures, {counts(merged)['articles']} articles in " in proc.stdout
    assert counts(copy) == counts(merged)
    columns = "url, title, author, published, categories, tags, text, content_hash, replay_url"
    assert [dict(r) for r in query(copy, f"select {columns} from articles order by url")] == \
        [dict(r) for r in query(merged, f"select {columns} from articles order by url")]


def test_an_incremental_crawl_continues_the_merge(same_blog, tmp_path):
    """The validators and the dedup index carried over: a re-crawl into the merged folder asks
    with If-None-Match and stores the unchanged pages as revisits."""
    merged, server = same_blog[2], same_blog[4]
    copy = tmp_path / "copy"
    shutil.copytree(merged, copy)
    proc = crawl(server.base_url + "/", copy)
    assert "This crawl (#4, incremental, finished)" in proc.stdout and "articles       : 0 new or changed" in proc.stdout
    kinds = {(r["record_type"], r["status"]): r["n"] for r in query(
        copy, "select record_type, status, count(*) n from captures where crawl_id = 4 group by 1, 2")}
    assert kinds[("revisit", 304)] >= 43  # every article page at least, unchanged since the second crawl
    assert counts(copy)["articles"] == 43
    # the blog's third crawl, though its row is #4 (#3 is the merge's)
    assert "crawl 3 (#4) of 3" in (copy / "report.html").read_text(encoding="utf-8")


def test_wacz_of_the_merge_validates(two_blogs, tmp_path):
    merged = two_blogs[2]
    package = tmp_path / "merged.wacz"
    run_arshif("wacz", merged, "-o", package)
    check = subprocess.run([str(ROOT / ".venv-replay" / "bin" / "wacz"), "validate", "-f", str(package)],
                           capture_output=True, text=True)
    assert check.returncode == 0 and "Validation succeeded" in check.stdout, check.stdout + check.stderr
    with zipfile.ZipFile(package) as wacz:
        pages = wacz.read("pages/pages.jsonl").decode("utf-8").splitlines()
    assert len(pages) == 1 + 84  # a header line, then every article of both blogs


def test_merged_archives_merge_again_and_copy_across_file_systems(two_blogs, same_blog, tmp_path):
    """A merge of two merges keeps every crawl, and each earlier merge row names its sources' crawls
    by their new ids. Into another file system (/dev/shm, a tmpfs, where there is one) the WARC
    files are copied, byte for byte, not linked."""
    shm = Path("/dev/shm")
    elsewhere = shm.is_dir() and os.access(shm, os.W_OK) and shm.stat().st_dev != tmp_path.stat().st_dev
    with tempfile.TemporaryDirectory(dir=shm if elsewhere else tmp_path) as parent:
        into = Path(parent) / "all"
        proc = merge(two_blogs[2], same_blog[2], into=into)
        assert ("bytes; 4 copied)" if elsewhere else "bytes; 4 hard-linked)") in proc.stdout, proc.stdout
        assert ", 127 articles, 4 crawls" in proc.stdout
        for original in [*(two_blogs[2] / "warc").iterdir(), *(same_blog[2] / "warc").iterdir()]:
            assert os.path.samefile(into / "warc" / original.name, original) is not elsewhere
            assert filecmp.cmp(into / "warc" / original.name, original, shallow=False)
        check_warc_folder(into)
        crawls = {r["id"]: r for r in query(into, "select * from crawls order by id")}
        assert [r["finish_reason"] for r in crawls.values()].count("merged") == 3
        named = []
        for row in list(crawls.values())[:-1]:
            if row["finish_reason"] == "merged":
                sources = json.loads(row["settings"])["sources"]
                ids = [i for s in sources for i in s["crawls"]]
                assert len(sources) == len(ids) == 2 and all(crawls[i]["finish_reason"] == "finished" for i in ids)
                assert all(crawls[i]["started_at"] < row["started_at"] for i in ids)
                named += ids
        assert sorted(named) == sorted(i for i, r in crawls.items() if r["finish_reason"] == "finished")


@pytest.fixture
def source(two_blogs, tmp_path):
    """A throw-away copy of one crawl's folder, to break."""
    copy = tmp_path / "source"
    shutil.copytree(two_blogs[0], copy)
    return copy


def refused(*args: Path, into: Path, says: str) -> None:
    """`arshif merge` exits 1 with one line saying ``says``, and leaves nothing behind."""
    parent_before = sorted(p.name for p in into.parent.iterdir()) if into.parent.is_dir() else []
    proc = merge(*args, into=into, check=False)
    assert proc.returncode == 1 and proc.stderr.startswith("Error: ") and says in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert (sorted(p.name for p in into.parent.iterdir()) if into.parent.is_dir() else []) == parent_before


def test_refusals(two_blogs, source, tmp_path):
    a, b, merged, _ = two_blogs
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("ملاحظات", encoding="utf-8")
    refused(a, b, into=busy, says=f"{busy} is not empty")
    refused(a, busy, into=tmp_path / "new", says=f"{busy} is not an Arshif output folder")
    refused(a, a, into=tmp_path / "new", says=f"{a} is given twice")
    refused(a, b, into=a / "inside", says=f"{a / 'inside'} is {a} or inside it")
    refused(source, b, into=source, says=f"{source} is {source} or inside it")
    refused(source, b, into=source.parent, says=f"{source} is inside {source.parent}")
    refused(a, source, into=tmp_path / "new", says=" is in both ")  # a copied folder: the same WARC file twice
    (tmp_path / "a-file").write_text("")
    refused(a, b, into=tmp_path / "a-file" / "merged", says="cannot write to")

    warc = next((source / "warc").glob("*.warc.gz"))
    warc.rename(warc.with_name(warc.name + ".open"))
    refused(source, b, into=tmp_path / "new", says=f"{warc.name}.open in {source} is still open")
    (warc.parent / (warc.name + ".open")).unlink()
    refused(source, b, into=tmp_path / "new", says=f"1 WARC file(s) that {source / 'archive.db'} refers to are "
                                                   f"missing from {source / 'warc'}: {warc.name}")
    with lock_folder(source):  # as a crawl into it holds it
        refused(source, b, into=tmp_path / "new", says=f"a crawl is writing to {source}: merge once it has finished")
    (source / "archive.db").write_bytes("ليست قاعدة بيانات".encode() * 100)
    refused(source, b, into=tmp_path / "new", says=f"nothing merged: {source / 'archive.db'} cannot be read (")
    (source / "archive.db").unlink()
    refused(source, b, into=tmp_path / "new", says="has no archive.db")
    refused(a, tmp_path / "absent", into=tmp_path / "new", says=f"no folder {tmp_path / 'absent'}")


def test_an_empty_folder_is_merged_into(two_blogs, tmp_path):
    a, b, _, _ = two_blogs
    empty = tmp_path / "empty"
    empty.mkdir()
    merge(a, b, into=empty)
    assert counts(empty)["articles"] == 84
    assert oct(empty.stat().st_mode & 0o777) == oct(0o777 & ~_umask())
    assert [p.name for p in tmp_path.iterdir()] == ["empty"]  # no work folder left beside it


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
