"""No command loses archived data: a missing WARC file, a crawl writing meanwhile, or a rebuild that
would shrink the database each stop the command with one line, and archive.db stays as it was."""

from __future__ import annotations

import fcntl
import shutil
import socket
import subprocess
import sys

import pytest

from archive.demo.server import SiteServer

from .conftest import ROOT, crawl, query, run_arshif


@pytest.fixture(scope="module")
def two_crawls(tmp_path_factory):
    """A folder with two crawls, so two WARC files (each crawl writes its own)."""
    out = tmp_path_factory.mktemp("trust")
    with SiteServer("classic") as server:
        crawl(server.base_url + "/", out)
        server.theme.posts[0].paragraphs.append("فقرة أضيفت بعد النشر الأول.")  # a changed article
        server.rebuild()
        crawl(server.base_url + "/", out)
    assert len(list((out / "warc").glob("*.warc.gz"))) == 2
    return out


@pytest.fixture
def folder(two_crawls, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(two_crawls, copy)
    return copy


def one_line_error(proc) -> str:
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


def snapshot(out) -> tuple:
    return (query(out, "select count(*) n from captures")[0]["n"],
            [tuple(r) for r in query(out, "select url, title, text from articles order by url")])


def test_a_missing_warc_stops_reindex_index_and_wacz(folder, tmp_path):
    before = snapshot(folder)
    first = sorted((folder / "warc").glob("*.warc.gz"))[0]
    first.unlink()
    for args in (["reindex", folder], ["index", folder], ["wacz", folder, "-o", tmp_path / "x.wacz"]):
        line = one_line_error(run_arshif(*args, check=False))
        assert first.name in line and "missing" in line, line
    assert snapshot(folder) == before and not list(folder.glob("archive.db.bak*"))
    assert not (tmp_path / "x.wacz").exists()


def test_allow_missing_rebuilds_what_remains_and_says_what_was_lost(folder):
    articles_before = len(snapshot(folder)[1])
    sorted((folder / "warc").glob("*.warc.gz"))[0].unlink()
    proc = run_arshif("reindex", folder, "--allow-missing")
    assert "rebuilt without 1 missing WARC file(s)" in proc.stderr and "fewer than the old one" in proc.stderr
    assert (folder / "archive.db.bak.1").exists()
    assert len(snapshot(folder)[1]) < articles_before
    # backups are numbered: a second rebuild never overwrites the first one's
    backup = (folder / "archive.db.bak.1").read_bytes()
    run_arshif("reindex", folder, "--allow-missing")
    assert (folder / "archive.db.bak.1").read_bytes() == backup and (folder / "archive.db.bak.2").exists()


def test_reindex_is_refused_while_a_crawl_writes(folder):
    before = snapshot(folder)
    with open(folder / ".crawl.lock", "w") as lock:  # what a running crawl holds
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        line = one_line_error(run_arshif("reindex", folder, check=False))
    assert "a crawl is writing" in line
    assert snapshot(folder) == before and not list(folder.glob("archive.db.bak*"))


def test_a_rebuild_that_would_lose_articles_is_refused(folder, tmp_path):
    """A profile that matches nothing here makes every page 'other': the rebuild would hold no
    articles, so it does not replace the database."""
    profile = tmp_path / "wrong.toml"
    profile.write_text('article = "div.nothing-like-this"\nlisting = "body"\n', encoding="utf-8")
    before = snapshot(folder)
    line = one_line_error(run_arshif("reindex", folder, "--profile", profile, check=False))
    assert "fewer articles" in line and "archive.db left as it was" in line
    assert snapshot(folder) == before


@pytest.mark.parametrize("args", [["show", "{url}", "--out", "{out}"], ["export", "{out}"], ["changes", "{out}"],
                                  ["wacz", "{out}", "-o", "{out}/x.wacz"], ["index", "{out}"], ["serve", "{out}"],
                                  ["crawl", "{url}", "--out", "{out}"], ["replay", "{out}"]])
def test_a_damaged_database_is_one_line_that_names_reindex(two_crawls, tmp_path, args):
    folder = tmp_path / "damaged"
    shutil.copytree(two_crawls, folder)
    url = query(folder, "select url from articles limit 1")[0]["url"]
    (folder / "archive.db").write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        (folder / f"archive.db{suffix}").unlink(missing_ok=True)
    line = one_line_error(run_arshif(*[a.format(url=url, out=folder) for a in args], check=False))
    assert "is damaged" in line and f"arshif reindex {folder}" in line, line


@pytest.mark.parametrize("setting, message", [
    ("DOWNLOAD_DELAY=abc", "DOWNLOAD_DELAY must be a number"), ("CONCURRENT_REQUESTS=-5", "CONCURRENT_REQUESTS must be 0"),
    ("ARSHIF_EXTRACT_WORKERS=lots", "ARSHIF_EXTRACT_WORKERS must be a number"),
    ("ROBOTSTXT_OBEY=perhaps", "ROBOTSTXT_OBEY must be true or false"),
])
def test_bad_setting_values_stop_the_crawl_before_anything_is_written(tmp_path, setting, message):
    out = tmp_path / "never"
    line = one_line_error(run_arshif("crawl", "http://127.0.0.1:9/", "--out", out, "-s", setting, check=False))
    assert message in line and not out.exists()


def test_an_unknown_setting_is_named_with_the_nearest_known_one(tmp_path):
    with SiteServer("classic") as server:
        proc = crawl(server.base_url + "/", tmp_path, "-s", "DOWNLOAD_DELAI=0")
    assert "warning: unknown setting DOWNLOAD_DELAI (did you mean DOWNLOAD_DELAY?)" in proc.stderr
    assert query(tmp_path, "select count(*) n from articles")[0]["n"] == 42


def test_export_into_a_closed_pipe_ends_quietly(two_crawls):
    proc = subprocess.run(f"{sys.executable} -m archive.cli export {two_crawls} | head -1", shell=True, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stderr == "" and proc.stdout.startswith('{"url": ')


@pytest.mark.parametrize("command", ["serve", "replay"])
def test_a_busy_port_is_one_line(two_crawls, command):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_line_error(run_arshif(command, two_crawls, "--port", port, check=False, timeout=60))
    assert f"port {port} is already in use" in line


def test_valid_settings_pass_from_any_folder(tmp_path):
    """Run outside the project (no scrapy.cfg): floats for delays, negative priorities and Arshif's
    own settings are all accepted, with no warning."""
    with SiteServer("classic") as server:
        proc = run_arshif("crawl", server.base_url + "/", "--out", tmp_path / "out", "-s", "DOWNLOAD_DELAY=0.01",
                          "-s", "AUTOTHROTTLE_ENABLED=false", "-s", "DEPTH_PRIORITY=-1", "-s", "DOWNLOAD_TIMEOUT=7.5",
                          "-s", "ARSHIF_PROGRESS_INTERVAL=0", cwd=tmp_path)
    assert "warning" not in proc.stderr and query(tmp_path / "out", "select count(*) n from articles")[0]["n"] == 42
