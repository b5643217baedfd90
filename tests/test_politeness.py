"""Politeness across the workers of a job (crawler/politeness.py): three `arshif crawl` processes at
once against one blog, with a real redis-server. The blog's server logs when each request arrives."""

from __future__ import annotations

import statistics
import subprocess
import sys
import threading
import time
from itertools import pairwise
from pathlib import Path

import pytest

from archive.demo.server import SiteHandler, SiteServer
from archive.demo.site import Resource

from .conftest import ROOT, check_warc_folder, free_port, query, redis_server, run_arshif

DELAY = 0.2
# Redis spaces the moments the workers let their requests go by DELAY exactly (its own clock); what
# the server sees also varies by how late each worker's event loop gets to send and the server's
# thread to answer: measured up to 40 ms on two cores with a load average of 11.
JITTER = 0.05
PAGES = 12  # each worker stops after this many responses (CLOSESPIDER_PAGECOUNT)


class LoggingHandler(SiteHandler):
    server: LoggingSiteServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        with self.server.lock:
            self.server.arrivals.append((time.monotonic(), self.path))
        time.sleep(self.server.latency)
        super().do_GET()


class LoggingSiteServer(SiteServer):
    """The demo blog, noting the moment each request arrives."""

    def __init__(self, latency: float = 0.0) -> None:
        super().__init__("classic")
        self.RequestHandlerClass = LoggingHandler
        self.latency = latency  # seconds before each answer
        self.lock = threading.Lock()
        self.arrivals: list[tuple[float, str]] = []


def crawl_at_once(url: str, outs: list[Path], *settings: str, delay: float = DELAY,
                  pages: int = PAGES) -> list[subprocess.CompletedProcess]:
    """`arshif crawl` processes (one per folder) started together on one blog."""
    args = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", f"DOWNLOAD_DELAY={delay}", "-s", "DOWNLOAD_DELAY_JITTER=0",
            "-s", f"CLOSESPIDER_PAGECOUNT={pages}", "-s", "ARSHIF_EXTRACT=False", "-s", "ARSHIF_REPORT=False",
            "-s", "ARSHIF_PROGRESS_INTERVAL=0", *settings]
    procs = [subprocess.Popen([sys.executable, "-m", "archive.cli", "crawl", url, "--out", str(out), *args],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for out in outs]
    done = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=180)
        assert proc.returncode == 0, stderr[-3000:]
        done.append(subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr))
    return done


def gaps(arrivals: list[tuple[float, str]]) -> list[float]:
    times = sorted(t for t, _ in arrivals)
    return [b - a for a, b in pairwise(times)]


@pytest.fixture(scope="module")
def shared(redis_url, tmp_path_factory):
    """Three workers of job "polite" sharing the host's slot and robots.txt through Redis."""
    outs = [tmp_path_factory.mktemp(f"polite{i}") for i in range(3)]
    with LoggingSiteServer() as server:
        crawl_at_once(server.base_url + "/", outs, "-s", f"ARSHIF_REDIS_URL={redis_url}", "-s", "ARSHIF_JOB=polite")
    return server.arrivals, outs


@pytest.fixture(scope="module")
def unshared(tmp_path_factory):
    """The same three workers without Redis: each spaces only its own requests."""
    outs = [tmp_path_factory.mktemp(f"alone{i}") for i in range(3)]
    with LoggingSiteServer() as server:
        crawl_at_once(server.base_url + "/", outs)
    return server.arrivals, outs


def test_three_workers_keep_one_delay_between_requests_to_a_host(shared):
    arrivals, outs = shared
    assert len(arrivals) >= 3 * PAGES
    assert min(gaps(arrivals)) >= DELAY - JITTER, sorted(gaps(arrivals))[:5]
    # the rate: any run of k requests takes (k - 1) delays, so late requests never bunch up
    times = sorted(t for t, _ in arrivals)
    assert all(times[j] - times[i] >= (j - i) * DELAY - JITTER
               for i in range(len(times)) for j in range(i + 1, len(times)))
    for out in outs:  # each worker archived its share
        assert query(out, "select count(*) from captures")[0][0] >= PAGES


def test_without_redis_three_workers_hit_the_host_three_times_as_often(unshared):
    arrivals, _ = unshared
    assert len(arrivals) >= 3 * PAGES
    # what the shared slot prevents happens here: many requests closer than the delay (how many
    # depends on how long the three overlap: their start-up varies by seconds on a loaded machine)
    assert sum(gap < DELAY / 2 for gap in gaps(arrivals)) >= PAGES // 2, sorted(gaps(arrivals))


def test_robots_txt_is_fetched_once_per_host_per_job(shared, unshared):
    assert [path for _, path in shared[0]].count("/robots.txt") == 1
    assert [path for _, path in unshared[0]].count("/robots.txt") == 3
    # the worker that fetched it archived it; the others have no capture of it and needed none
    archived = [query(out, "select count(*) from captures where url like '%/robots.txt'")[0][0] for out in shared[1]]
    assert sorted(archived) == [0, 0, 1]


def test_a_longer_crawl_delay_in_robots_txt_is_obeyed_by_every_worker(redis_url, tmp_path):
    """robots.txt asks for 0.4 s between requests, DOWNLOAD_DELAY says 0.1 s: the longer one holds,
    for the worker that read robots.txt from Redis too."""
    with LoggingSiteServer() as server:
        body = "User-agent: *\nCrawl-delay: 0.4\nDisallow: /private/\n".encode()
        server.site["/robots.txt"] = Resource(body, "text/plain; charset=utf-8")
        crawl_at_once(server.base_url + "/", [tmp_path / "a", tmp_path / "b"], "-s", f"ARSHIF_REDIS_URL={redis_url}",
                      "-s", "ARSHIF_JOB=crawl-delay", delay=0.1, pages=5)
    assert [path for _, path in server.arrivals].count("/robots.txt") == 1
    assert len(server.arrivals) >= 10
    assert min(gaps(server.arrivals)) >= 0.4 - JITTER, sorted(gaps(server.arrivals))[:5]
    for out in (tmp_path / "a", tmp_path / "b"):
        assert query(out, "select count(*) from captures")[0][0] >= 5


def test_autothrottle_delay_is_shared_not_added(redis_url, tmp_path):
    """With AutoThrottle on, the shared slot applies AutoThrottle's delay for the host (its start
    delay, then latency / AUTOTHROTTLE_TARGET_CONCURRENCY): a blog that takes 0.8 s to answer gets a
    request every 0.4 s at most from the three workers together, not one every DOWNLOAD_DELAY (0.1 s)."""
    outs = [tmp_path / name for name in "abc"]
    with LoggingSiteServer(latency=0.8) as server:
        crawl_at_once(server.base_url + "/", outs, "-s", f"ARSHIF_REDIS_URL={redis_url}", "-s", "ARSHIF_JOB=throttle",
                      "-s", "AUTOTHROTTLE_ENABLED=True", "-s", "AUTOTHROTTLE_START_DELAY=0.4", delay=0.1, pages=4)
    assert len(server.arrivals) >= 12
    # Redis spaced the turns by 0.4 s (AutoThrottle's delay) or more; at the server, on a loaded machine
    # with a thread per connection, a request that arrives late shortens one gap: the median shows
    # which delay applies, and no gap comes near DOWNLOAD_DELAY
    spacing = gaps(server.arrivals)
    assert statistics.median(spacing) >= 0.4 - JITTER and min(spacing) >= 0.1 + JITTER, sorted(spacing)[:5]


def test_a_slow_host_gets_no_burst_when_its_slot_is_full(redis_url, tmp_path):
    """A blog slower to answer (1 s) than CONCURRENT_REQUESTS_PER_DOMAIN (4) × delay (0.15 s): the
    local slot fills up, and a request held there after its turn would leave together with the next."""
    outs = [tmp_path / name for name in "abc"]
    with LoggingSiteServer(latency=1.0) as server:
        crawl_at_once(server.base_url + "/", outs, "-s", f"ARSHIF_REDIS_URL={redis_url}", "-s", "ARSHIF_JOB=slow",
                      delay=0.15, pages=6)
    assert len(server.arrivals) >= 18
    assert min(gaps(server.arrivals)) >= 0.15 - JITTER, sorted(gaps(server.arrivals))[:5]


def test_a_worker_that_loses_redis_stops_with_one_line(tmp_path):
    """Every request would fail without the shared slot: the crawl stops at once, says why in one
    line and exits non-zero; nothing was fetched behind the job's back."""
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    with LoggingSiteServer() as server:
        proc = run_arshif("crawl", server.base_url + "/", "--out", tmp_path / "out", "-s", f"ARSHIF_REDIS_URL={nowhere}",
                          "-s", "ARSHIF_REPORT=False", "-s", "ARSHIF_PROGRESS_INTERVAL=0", check=False)
    assert proc.returncode == 1
    assert "redis-failed" in proc.stdout
    assert proc.stderr.count(f"Redis at {nowhere} failed") == 1 and "Traceback" not in proc.stderr
    assert server.arrivals == []


def test_redis_going_away_mid_crawl_stops_the_worker_and_keeps_what_it_archived(tmp_path):
    """Redis stops while a worker crawls: the worker stops too, with one line and a non-zero exit;
    what it fetched before is archived whole."""
    with redis_server(tmp_path) as (redis_url, server_proc), LoggingSiteServer() as server:
        crawl = subprocess.Popen([sys.executable, "-m", "archive.cli", "crawl", server.base_url + "/", "--out",
                                  str(tmp_path / "out"), "-s", f"ARSHIF_REDIS_URL={redis_url}",
                                  "-s", "DOWNLOAD_DELAY=0.2", "-s", "AUTOTHROTTLE_ENABLED=False",
                                  "-s", "ARSHIF_REPORT=False", "-s", "ARSHIF_PROGRESS_INTERVAL=0"],
                                 cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while len(server.arrivals) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(server.arrivals) >= 5, "the crawl did not get going before Redis was stopped"
        server_proc.terminate()
        server_proc.wait(10)
        stdout, stderr = crawl.communicate(timeout=120)
    assert crawl.returncode == 1, stderr[-2000:]
    assert "Redis could not be reached" in stderr and "redis-failed" in stdout
    assert stderr.count("Redis at ") == 1 and "Traceback" not in stderr
    captured = query(tmp_path / "out", "select count(*) from captures where status is not null")[0][0]
    assert captured >= 5
    check_warc_folder(tmp_path / "out")
