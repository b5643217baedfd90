"""The CLI's contract: clear one-line errors on bad input, and the demo end to end."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest

from .conftest import ROOT, free_port, query, run_arshif


@pytest.mark.parametrize("url", ["not a url", "ftp://example.org/", "http://", "http://example.org:notaport/"])
def test_malformed_url_is_a_one_line_error(url, tmp_path):
    proc = run_arshif("crawl", url, "--out", tmp_path / "out", check=False)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().startswith("Error:") and len(proc.stderr.strip().splitlines()) == 1


def test_unwritable_output_folder_is_a_one_line_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    proc = run_arshif("crawl", "http://127.0.0.1:9/", "--out", blocker / "out", check=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "cannot write to output folder" in proc.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_read_only_folder(tmp_path):
    tmp_path.chmod(0o500)
    proc = run_arshif("crawl", "http://127.0.0.1:9/", "--out", tmp_path / "out", check=False)
    assert proc.returncode != 0 and "cannot write" in proc.stderr


def test_unreachable_site_is_recorded_and_reported(tmp_path):
    proc = run_arshif("crawl", "http://127.0.0.1:9/", "--out", tmp_path, "-s", "RETRY_ENABLED=False",
                      "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", check=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "nothing could be fetched" in proc.stderr
    errors = query(tmp_path, "select url, error from captures where error is not null")
    assert any(r["url"] == "http://127.0.0.1:9/" and "Connection" in r["error"] for r in errors)


def test_bad_profile_is_a_one_line_error(tmp_path):
    profile = tmp_path / "site.toml"
    profile.write_text('titel = "h1"\n')
    proc = run_arshif("crawl", "http://127.0.0.1:9/", "--out", tmp_path / "o", "--profile", profile, check=False)
    assert proc.returncode != 0 and "unknown keys titel" in proc.stderr and "Traceback" not in proc.stderr


def test_bad_setting_syntax(tmp_path):
    proc = run_arshif("crawl", "http://127.0.0.1:9/", "--out", tmp_path, "-s", "NOEQUALS", check=False)
    assert proc.returncode == 2 and "NAME=VALUE" in proc.stderr


def test_demo_runs_end_to_end(tmp_path):
    proc = run_arshif("demo", "--out", tmp_path / "demo-output")
    assert "articles       : 42" in proc.stdout
    assert "pages/s" in proc.stdout and "arshif serve" in proc.stdout
    assert query(tmp_path / "demo-output", "select count(*) n from articles")[0]["n"] == 42


@pytest.fixture
def empty_archive(tmp_path):
    from archive.store import ArchiveDB

    out = tmp_path / "archive"
    out.mkdir()
    ArchiveDB(out / "archive.db").close()
    return out


def test_serve_open_opens_the_browser_once_datasette_answers(empty_archive, tmp_path):
    """--open hands the articles table's URL to the user's browser ($BROWSER here: a script that
    fetches it), and only once Datasette answers."""
    seen = tmp_path / "browser.txt"
    browser = tmp_path / "browser.py"
    browser.write_text("import sys, urllib.request\n"
                       "status = urllib.request.urlopen(sys.argv[1], timeout=30).status\n"
                       f"open({str(seen)!r}, 'w').write(f'{{status}} {{sys.argv[1]}}')\n")
    port = free_port()
    env = {**os.environ, "BROWSER": f"{sys.executable} {browser} %s"}
    proc = subprocess.Popen([sys.executable, "-m", "archive.cli", "serve", str(empty_archive), "--port", str(port), "--open"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not seen.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
        assert seen.exists(), proc.stderr.read() if proc.poll() is not None else "no browser opened in 60 s"
        time.sleep(0.2)  # the script writes its one line
        assert seen.read_text() == f"200 http://127.0.0.1:{port}/archive/articles"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert proc.stdout.read().startswith(f"Datasette: http://127.0.0.1:{port}/archive/articles\n")
    assert "warning" not in proc.stderr.read()  # loopback: nothing to warn about


def test_serve_warns_in_one_line_off_loopback(empty_archive):
    """Any address but loopback is warned about, before anything listens. 192.0.2.1 (TEST-NET-1) is
    on no interface here, so nothing listens beyond 127.0.0.1 in the test: the bind fails in one line."""
    proc = run_arshif("serve", empty_archive, "--host", "192.0.2.1", check=False, timeout=60)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and len(lines) == 2
    assert lines[0] == ("warning: listening on 192.0.2.1, not on loopback: anyone who can reach this machine "
                        "can read the archive")
    assert lines[1].startswith("Error: cannot listen on 192.0.2.1 port 8001")
    for loopback in ("localhost", "127.0.0.2"):
        with socket.socket() as taken:  # a busy port stops it before Datasette starts
            taken.bind((loopback, 0))
            taken.listen()
            port = taken.getsockname()[1]
            quiet = run_arshif("serve", empty_archive, "--host", loopback, "--port", port, check=False, timeout=60)
        assert quiet.stderr.strip().splitlines() == [f"Error: port {port} is already in use on {loopback}: start "
                                                     "serve on another with --port"]
