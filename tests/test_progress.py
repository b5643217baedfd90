"""What a user sees while a crawl runs and after it: the first line at once, a live panel on a
terminal (a real pseudo-terminal here), plain lines in a pipe, a log file per crawl in OUT/logs/, and
a summary that keeps this crawl apart from the archive and ends with next steps."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time

import pytest

from archive.demo.server import SiteServer

from .conftest import ROOT, LocalHandler, local_server

QUICK = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0"]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def crawl_on_a_terminal(url: str, out, *extra: str) -> tuple[int, str, str]:
    """Run `arshif crawl` with its stderr on a pseudo-terminal, as in an interactive shell."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "archive.cli", "crawl", url, "--out", str(out), *QUICK, *extra],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=slave, env={**os.environ, "TERM": "xterm"})
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    stdout = proc.stdout.read().decode()
    return proc.wait(timeout=60), stdout, seen.decode(errors="replace")


@pytest.fixture(scope="module")
def site():
    with SiteServer("classic", scale=3) as server:
        yield server


def test_a_terminal_gets_the_first_line_then_a_live_panel(site, tmp_path):
    status, stdout, terminal = crawl_on_a_terminal(site.base_url + "/", tmp_path)
    assert status == 0, terminal[-2000:]
    first = ANSI.sub("", terminal).splitlines()[0]
    assert f"crawl 1: {site.base_url}/ into {tmp_path}" in first and "first crawl" in first
    assert "\x1b[" in terminal  # drawn with escape codes
    # redrawn in place while the crawl runs: the first draw, at least one tick of the loop, the last
    assert ANSI.sub("", terminal).count("elapsed") >= 3
    panel = ANSI.sub("", terminal)
    for label in ("pages", "articles", "failed", "queued", "rate", "WARC", "elapsed"):
        assert re.search(rf"\b{label}\b", panel), label
    assert "Traceback" not in panel


def test_a_pipe_gets_plain_lines_and_every_crawl_a_log_file(site, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "archive.cli", "crawl", site.base_url + "/", "--out", str(tmp_path),
                           *QUICK, "-s", "ARSHIF_PROGRESS_INTERVAL=0.2", "-s", "CONCURRENT_REQUESTS=2"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "\x1b[" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert "first crawl" in lines[0]
    periodic = [line for line in lines[1:] if re.search(r"\d+ pages captured \([\d.]+/s\), \d+ articles, \d+ failed, "
                                                         r"\d+ queued", line)]
    assert len(periodic) >= 2, proc.stderr  # at least one while running, and the last one
    logs = list((tmp_path / "logs").glob("crawl-*.log"))
    assert len(logs) == 1
    log = logs[0].read_text(encoding="utf-8")
    assert "Spider opened" in log and "first crawl" in log and "Closing spider (finished)" in log
    assert f"logs/{logs[0].name}" in proc.stdout  # the summary says where it is


def test_the_summary_keeps_this_crawl_apart_from_the_archive(site, tmp_path):
    first = subprocess.run([sys.executable, "-m", "archive.cli", "crawl", site.base_url + "/", "--out", str(tmp_path),
                            *QUICK], cwd=ROOT, capture_output=True, text=True, timeout=300)
    again = subprocess.run([sys.executable, "-m", "archive.cli", "crawl", site.base_url + "/", "--out", str(tmp_path),
                            *QUICK], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert first.returncode == again.returncode == 0, again.stderr[-2000:]
    assert "This crawl (#1, first, finished):" in first.stdout and "articles       : 126" in first.stdout
    assert "This crawl (#2, incremental, finished):" in again.stdout
    this_crawl, archive = again.stdout.split("In the archive:")
    assert "articles       : 0 new or changed" in this_crawl
    assert "articles       : 126" in archive and "in 2 crawl(s)" in archive
    assert "incremental (conditional requests, known articles)" in again.stderr.splitlines()[0]
    assert f"Output in {tmp_path}/ : archive.db, warc/" in archive and "Next steps:" in archive
    assert f"arshif serve {tmp_path}" in archive and f"arshif crawl {site.base_url}/ --out {tmp_path}" in archive
    assert len(list((tmp_path / "logs").glob("crawl-*.log"))) == 2


SLOW_SECONDS = 11  # longer than the progress rate's window (CrawlProgress.RATE_WINDOW, 10 s)
TEASER = '<article class="post"><h2 class="entry-title"><a href="{path}">{title}</a></h2></article>'
POST = ('<!DOCTYPE html><html lang="ar"><head><meta charset="utf-8"><title>{title}</title></head>'
        '<body class="single single-post"><article class="post"><h1 class="entry-title">{title}</h1>'
        '<div class="entry-content"><p>فقرةٌ من التدوينة رقم {title}، كُتبت ليحفظها الأرشيف كما هي.</p></div>'
        '</article></body></html>')


class SlowTailBlog(LocalHandler):
    """Twenty posts answered at once and one that takes SLOW_SECONDS: the crawl's last ten seconds
    capture one page, its first second all the others."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        posts = [f"/{n}/" for n in range(1, 21)] + ["/slow/"]
        if self.path == "/":
            teasers = "".join(TEASER.format(path=p, title=p.strip("/")) for p in posts)
            body = f'<html lang="ar"><body class="home blog">{teasers}</body></html>'
        elif self.path in posts:
            if self.path == "/slow/":
                time.sleep(SLOW_SECONDS)
            body = POST.format(title=self.path.strip("/"))
        else:
            self.respond(404, b"", {})
            return
        self.respond(200, body.encode(), {"Content-Type": "text/html; charset=utf-8"})


def test_the_finished_line_gives_the_whole_crawls_rate(tmp_path):
    """The last progress line gives the crawl's pages per second, as the summary does, not the
    last interval's (here ≈ 0.1/s: one page in ten seconds)."""
    with local_server(SlowTailBlog) as base:
        proc = subprocess.run([sys.executable, "-m", "archive.cli", "crawl", base, "--out", str(tmp_path), *QUICK,
                               "-s", "ARSHIF_PROGRESS_INTERVAL=0.5"], cwd=ROOT, capture_output=True, text=True,
                              timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    finished = re.search(r"finished \(finished\): (\d+) pages captured \(([\d.]+)/s\)", proc.stderr)
    summary = re.search(r"pages captured : (\d+)(?s:.*?)time\s+: ([\d.]+) s \(([\d.]+) pages/s\)", proc.stdout)
    assert finished and summary, proc.stderr[-2000:] + proc.stdout
    pages, rate = int(finished.group(1)), float(finished.group(2))
    seconds, summary_rate = float(summary.group(2)), float(summary.group(3))
    assert pages == int(summary.group(1)) >= 22 and seconds >= SLOW_SECONDS
    assert abs(rate - summary_rate) <= max(0.05 * summary_rate, 0.15), (rate, summary_rate)  # both rounded to 0.1
