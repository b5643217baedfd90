"""Jobs shared by several workers through a real redis-server (the ``redis_url`` fixture): `arshif
crawl --redis` and `arshif worker` processes on a set of blogs on several loopback hosts, each
server counting what it was asked for."""

from __future__ import annotations

import collections
import json
import pickle
import signal
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from urllib.robotparser import RobotFileParser

import pytest
import redis

from archive.crawl import latest_crawl
from archive.demo.server import SiteServer
from archive.jobs import Job, JobError
from archive.store import ArchiveDB

from .conftest import FAST, ROOT, check_warc_folder, query, redis_server, run_arshif

# Three blogs in three themes, one per loopback host, each with its own truth (its article URLs).
BLOGS = (("classic", "127.0.0.2"), ("block", "127.0.0.3"), ("blogger", "127.0.0.4"))
# Extraction in each worker's own process: three workers with two extraction processes each would
# start nine Pythons on two cores. (Every worker gets the job's settings from Redis.)
LIGHT = ["-s", "ARSHIF_EXTRACT_WORKERS=-1"]


@pytest.fixture(scope="module")
def blogs():
    servers = [SiteServer(theme, host=host, traps=True, delay=0.01) for theme, host in BLOGS]
    for server in servers:
        server.__enter__()
    yield servers
    for server in servers:
        server.__exit__(None, None, None)


@pytest.fixture
def fresh(blogs):
    """The blogs with their request logs emptied: what one test's job asked for."""
    for server in blogs:
        server.requests.clear()
        server.request_times.clear()
    return blogs


STARTED: list[subprocess.Popen] = []


@pytest.fixture(autouse=True)
def no_worker_left():
    """A failed test leaves no worker running."""
    yield
    while STARTED:
        proc = STARTED.pop()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def arshif_process(*args) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "archive.cli", *map(str, args)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    STARTED.append(proc)
    return proc


def start_job(blogs, out: Path, redis_url: str, job: str, *extra) -> subprocess.Popen:
    """`arshif crawl --redis`, returned once the job is in Redis (for workers to join)."""
    proc = arshif_process("crawl", *[s.base_url + "/" for s in blogs], "--out", out, "--redis", redis_url,
                          "--job", job, *FAST, *LIGHT, *extra)
    client = redis.Redis.from_url(redis_url)
    wait_for(lambda: client.hget(f"arshif:{job}:meta", "finished") == b"0" or proc.poll() is not None,
             what="the job in Redis")
    client.close()
    return proc


def finish(proc: subprocess.Popen, timeout: float = 90) -> str:
    stdout, stderr = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"exit {proc.returncode}:\n{stderr[-3000:]}"
    return stdout


def truth(blogs) -> set[str]:
    return {url for server in blogs for url in server.theme.article_urls()}


def fetched_twice(blogs) -> dict[str, int]:
    """URLs some server answered more than once."""
    return {server.base_url + path: n for server in blogs
            for path, n in collections.Counter(server.requests).items() if n > 1}


def wait_for(condition, timeout: float = 30, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_share_one_job_over_several_blogs(fresh, redis_url, tmp_path, workers):
    out, job = tmp_path / "out", f"blogs-{workers}"
    first = start_job(fresh, out, redis_url, job, *([] if workers == 2 else ["-s", "ARSHIF_REQUISITES=False"]))
    others = [arshif_process("worker", "--redis", redis_url, "--out", out, "--job", job) for _ in range(workers - 1)]
    summaries = [finish(p) for p in [first, *others]]

    assert fetched_twice(fresh) == {}  # every URL fetched once by one worker or another
    images = [p for server in fresh for p in server.requests if p.endswith(".png")]
    # the job's settings hold for every worker: with ARSHIF_REQUISITES=False no worker fetched an image
    assert bool(images) == (workers == 2)
    for server in fresh:  # shared politeness (crawler/politeness.py): robots.txt once per host per job
        assert collections.Counter(server.requests)["/robots.txt"] == 1
    rows = query(out, "select url from articles")
    assert sorted(r["url"] for r in rows) == sorted(truth(fresh))  # every article, each once
    crawls = query(out, "select finish_reason, json_extract(settings, '$.ARSHIF_WORKER') worker, "
                        "json_extract(settings, '$.ARSHIF_JOB') job from crawls")
    assert [(c["finish_reason"], c["job"]) for c in crawls] == [("finished", job)] * workers
    # each worker wrote its own WARC files, its id in their names, and did part of the work
    files = check_warc_folder(out)
    for c in crawls:
        assert any(f.name.endswith(f"-{c['worker']}.warc.gz") for f in files), (c["worker"], files)
    assert all("This crawl" in s and "finished" in s for s in summaries)
    pages = [int(s.split("pages captured :")[1].split()[0]) for s in summaries]
    assert sum(pages) == query(out, "select count(*) n from captures where warc_filename is not null")[0]["n"]
    assert min(pages) > 0, pages  # a worker that joined and found nothing would pass the rest
    # calibration and the feed fill read the whole archive: run once, by the last worker to finish
    ends = query(out, "select finished_at, stats from crawls")
    finishers = [c for c in ends if "arshif/health/filled_from_feed" in json.loads(c["stats"])]
    assert len(finishers) == 1 and finishers[0]["finished_at"] == max(c["finished_at"] for c in ends), ends
    # it learned from every feed item of the job, whichever worker fetched it
    learned_from = json.loads(finishers[0]["stats"])["arshif/health/learning_pages"]
    assert learned_from == query(out, "select count(*) n from feed_entries")[0]["n"] > 0
    assert (out / "profile.toml").exists()

    late = run_arshif("worker", "--redis", redis_url, "--out", tmp_path / "late", "--job", job, check=False)
    assert late.returncode == 1 and f"Error: job '{job}' is finished" in late.stderr
    listing = run_arshif("jobs", "--redis", redis_url).stdout
    line = next(line.split() for line in listing.splitlines() if line.startswith(job + " "))
    assert line[1:3] == ["finished", "0"] and line[4:6] == ["0", "0"]  # nothing queued, in flight, alive
    assert int(line[6]) == sum(pages)
    status = next(json.loads(s) for s in run_arshif("jobs", "--redis", redis_url, "--json").stdout.splitlines()
                  if json.loads(s)["name"] == job)
    assert status["seen"] == int(line[3]) >= len(truth(fresh))
    assert sorted(status["start_urls"]) == sorted(s.base_url + "/" for s in fresh)

    # `arshif report OUT` is about the job: its workers' crawls as one, from every blog it started at
    run_arshif("report", out)
    page = (out / "report.html").read_text()
    rows = ", ".join(f"#{c['id']}" for c in query(out, "select id from crawls order by id"))
    assert f"job {job}, {workers} workers (crawls {rows}): crawl 1 of 1" in page
    assert f'data-figure="pages">{sum(pages):,}<' in page
    assert f'data-figure="crawl-articles">{len(truth(fresh)):,}<' in page
    assert all(f'href="{s.base_url}/"' in page for s in fresh)
    latest, job_summary = latest_crawl_of(out)
    assert "✓ no health warning" in page, job_summary.health_lines()  # which warning, if one shows
    assert latest.run and job_summary.health["stored"] == len(truth(fresh))  # every worker's articles judged


def latest_crawl_of(out: Path):
    with ArchiveDB.existing(out) as db:
        return latest_crawl(db)


def held_leases(client: redis.Redis, job: str, worker: str) -> list[str]:
    """The URLs a worker holds leases on right now."""
    return [pickle.loads(request)["url"] for request in Job(client, job).leased(worker)]


def allowed_by_robots(blogs, url: str) -> bool:
    server = next(s for s in blogs if url.startswith(s.base_url + "/"))
    robots = RobotFileParser()
    robots.parse(server.theme.robots().splitlines())
    return robots.can_fetch("Arshif", url)


def test_the_frontier_takes_hosts_in_turn(redis_url):
    """The frontier is one queue per host: a run of one blog's URLs (its sitemap) does not keep a
    worker on that blog; hosts the worker cannot send to now are skipped; priority holds within a
    host; a requeued lease goes back to its host with its priority."""
    job = Job.create(redis.Redis.from_url(redis_url), "hosts-in-turn", [], {})
    sitemap = [f"https://مدونة.example/٢٠٢٥/مقالة-{i}".encode() for i in range(5)]  # one blog's run, queued first
    for url in sitemap:
        job.push("xn--mgbh0fb.example", 0, url)
    job.push("b.example", 0, "https://b.example/الكِتَابُ".encode())
    job.push("c.example", 0, b"https://c.example/1")
    job.push("c.example", 0, b"https://c.example/1")  # the same request again: queued once
    job.push("b.example", -1, "https://b.example/عاجـــل".encode())  # priority 1: first of its host
    assert job.queued() == 8

    def host(taken: tuple[str, bytes] | None) -> str:
        assert taken is not None
        return taken[1].decode().split("/")[2]

    # round the hosts, not down the run; b.example's higher priority first
    firsts = [job.take("w1", 60_000) for _ in range(3)]
    assert [host(t) for t in firsts] == ["b.example", "c.example", "مدونة.example"]
    assert firsts[0] and firsts[0][1].decode().endswith("عاجـــل")
    # c.example has nothing left and left the round; a full host is skipped, whatever its turn
    assert host(job.take("w1", 60_000, ["b.example"])) == "مدونة.example"
    assert host(job.take("w1", 60_000)) == "b.example"
    assert job.take("w1", 60_000, ["xn--mgbh0fb.example"]) is None  # only the skipped host has work
    assert job.queued() == 3 and not job.done()
    # a worker stopping gives its leases back: each to its host, with its priority
    leases = [lease for lease, _ in firsts]
    assert job.requeue(*leases) == 3 and job.queued() == 6
    assert job.take("w2", 60_000, ["xn--mgbh0fb.example"])[1].decode().endswith("عاجـــل")  # type: ignore[index]
    assert host(job.take("w2", 60_000, ["xn--mgbh0fb.example"])) == "c.example"
    assert sorted(job.leased("w2")) == sorted([firsts[0][1], b"https://c.example/1"])  # type: ignore[index]
    assert job.status().queued == job.queued() == 4

    # a job an older Arshif left in Redis (one sorted set for every host) is refused, not taken for done
    job.redis.zadd(job.queue_key, {b"https://c.example/2": 0})
    with pytest.raises(JobError, match="older Arshif"):
        Job.open(job.redis, job.name)


def test_one_worker_keeps_every_host_busy(fresh, redis_url, tmp_path):
    """Latency-bound blogs (0.15 s per answer), one request at a time per host: one worker has a
    request in flight at every host at once, not one host after the other (the servers' logs)."""
    delay = 0.15
    for server in fresh:
        server.delay = delay
    try:
        finish(start_job(fresh, tmp_path / "out", redis_url, "busy", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"))
    finally:
        for server in fresh:
            server.delay = 0.01
    # while every blog still had pages to give: the time each host spent answering, over the span
    start = max(server.request_times[0] for server in fresh)
    end = min(server.request_times[-1] for server in fresh)
    served = sum(1 for server in fresh for at in server.request_times if start <= at < end)
    assert end - start > 5
    assert served * delay / (end - start) >= 1.8  # of 3 (2.1 measured; one host at a time: 1.2)


def test_a_worker_killed_mid_crawl_loses_nothing(fresh, redis_url, tmp_path):
    out, job = tmp_path / "out", "killed"
    client = redis.Redis.from_url(redis_url)
    lease = ["-s", "ARSHIF_JOB_LEASE=2"]  # a dead worker's requests back in the queue after 2 s
    first = start_job(fresh, out, redis_url, job, *lease)
    victim = arshif_process("worker", "--redis", redis_url, "--out", out, "--job", job)
    victim_id = f"{socket.gethostname()}-{victim.pid}"
    pages = f"arshif:{job}:pages"
    wait_for(lambda: int(client.hget(pages, victim_id) or 0) >= 10 and held_leases(client, job, victim_id),
             what="the second worker at work")
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    held = held_leases(client, job, victim_id)  # read at once: they expire 2 s after its last heartbeat
    killed_at = {s.base_url: len(s.requests) for s in fresh}
    assert list((out / "warc").glob(f"*-{victim_id}.warc.gz.open"))  # left behind, cut anywhere

    successor = arshif_process("worker", "--redis", redis_url, "--out", out, "--job", job)
    finish(first)
    finish(successor)

    # the successor repaired the dead worker's WARC: every file whole, none left open
    files = check_warc_folder(out)
    assert any(f.name.endswith(f"-{victim_id}.warc.gz") for f in files)
    assert not (out / "workers" / f"{victim_id}.lock").exists()
    rows = query(out, "select url from articles")
    assert sorted(r["url"] for r in rows) == sorted(truth(fresh))  # nothing lost, nothing twice
    # the requests it held were done again by the others after the kill (robots.txt permitting)
    after = {s.base_url + p for s in fresh for p in s.requests[killed_at[s.base_url]:]}
    assert held and {url for url in held if allowed_by_robots(fresh, url)} <= after, set(held) - after
    # only what the dead worker held may have been fetched twice
    assert set(fetched_twice(fresh)) <= set(held)
    reasons = {c["worker"]: c["finish_reason"] for c in query(
        out, "select finish_reason, json_extract(settings, '$.ARSHIF_WORKER') worker from crawls")}
    print(f"kill -9: the worker held {len(held)} leases ({len(set(held))} URLs), all fetched again after the kill; "
          f"{len(fetched_twice(fresh))} URLs fetched twice; {len(rows)} articles, once each")  # for the closing note (-s)
    assert reasons.pop(victim_id) == "interrupted"
    assert set(reasons.values()) == {"finished"}


def test_job_errors_are_one_line(tmp_path, redis_url, blogs):
    url = blogs[0].base_url + "/"
    cases = [
        (["crawl", url, "--out", tmp_path / "a", "--redis", "redis://127.0.0.1:1/0"], "cannot reach Redis"),
        (["crawl", "ftp://مدونة.example/", "--out", tmp_path / "b", "--redis", redis_url], "not an http(s) URL"),
        (["crawl", url, "--out", tmp_path / "c", "--redis", redis_url, "--job", "مهمة/١"], "bad job name"),
        (["crawl", url, url, "--out", tmp_path / "d"], "add --redis"),
        (["worker", "--redis", redis_url, "--out", tmp_path / "e", "--job", "nothing-here"], "no job 'nothing-here'"),
        (["jobs", "--redis", "http://127.0.0.1/"], "not a Redis URL"),
    ]
    procs = [arshif_process(*args) for args, _ in cases]  # side by side: each is a Python start-up
    for (args, message), proc in zip(cases, procs, strict=True):
        _, stderr = proc.communicate(timeout=120)
        errors = [line for line in stderr.splitlines() if line.startswith("Error:")]
        assert proc.returncode != 0 and len(errors) == 1 and message in errors[0], (args, stderr)
        assert "Traceback" not in stderr


def test_a_worker_that_loses_redis_stops_in_one_line(tmp_path):
    """Redis killed mid-job: the worker does not wait for ever; past a lease it stops, exit 1 with
    one line, its WARC closed whole and its crawl recorded as such."""
    with SiteServer("classic", host="127.0.0.5", delay=0.05) as blog, redis_server(tmp_path) as (url, server):
        out = tmp_path / "out"
        proc = start_job([blog], out, url, "lost", "-s", "ARSHIF_JOB_LEASE=2")
        client = redis.Redis.from_url(url)
        wait_for(lambda: len(blog.requests) >= 10, what="the job under way")
        server.kill()
        server.wait()
        _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert stderr.strip().splitlines()[-1].startswith("Error: lost the job's Redis at " + url)
    assert "Traceback" not in stderr
    assert check_warc_folder(out)  # whole WARC files, and some
    assert [r["finish_reason"] for r in query(out, "select finish_reason from crawls")] == ["redis-failed"]
    client.close()


def test_a_second_job_into_the_same_folder_is_incremental(redis_url, tmp_path):
    """The incremental machinery in a job: the job's mode is decided once (to the second worker
    the first one's unfinished crawl is no crash), unchanged articles are asked for conditionally,
    paging stops at known articles, a new post is stored, an edited one versioned, a deleted one
    marked gone."""
    from .test_incremental import NEW_POST

    out, job = tmp_path / "out", "again"
    with SiteServer("block", host="127.0.0.6") as blog:
        for _ in range(2):
            # a shared delay (crawler/politeness.py) makes the job outlast the second worker's start-up:
            # a worker that comes when the job is over is refused ("job … is finished")
            first = start_job([blog], out, redis_url, job, "-s", "DOWNLOAD_DELAY=0.1")
            finish(arshif_process("worker", "--redis", redis_url, "--out", out, "--job", job))
            finish(first)
            posts = blog.theme.posts
            if NEW_POST in posts:
                break
            edited, deleted = posts[10], posts[20]
            posts[10] = replace(edited, paragraphs=[edited.paragraphs[0] + " وقد عُدّل هذا المقال بعد نشره.",
                                                    *edited.paragraphs[1:]])
            posts.remove(deleted)
            posts.insert(0, NEW_POST)
            blog.rebuild()
        url = blog.theme.url
        edited_url, deleted_url, new_url = (url(blog.theme.post_path(p)) for p in (posts[11], deleted, NEW_POST))

    crawls = query(out, "select id, finish_reason, json_extract(stats, '$.\"arshif/mode\"') mode, "
                        "json_extract(stats, '$.\"arshif/paging_stopped\"') stopped from crawls order by id")
    assert [(c["finish_reason"], c["mode"]) for c in crawls] == [("finished", "first")] * 2 + [("finished", "incremental")] * 2
    assert sum(c["stopped"] or 0 for c in crawls[2:]) >= 1  # paging stopped at known articles
    second = query(out, "select url, status from captures where crawl_id > 2")
    not_modified = {r["url"] for r in second if r["status"] == 304}
    assert len(not_modified) > 25  # unchanged articles were asked for conditionally
    assert not any(r["status"] == 200 and r["url"] in not_modified for r in second)
    versions = {r["url"]: r["n"] for r in query(out, "select url, count(*) n from article_versions group by url")}
    assert versions[edited_url] == 2 and versions[new_url] == 1
    gone = query(out, "select status from articles where url = ?", [deleted_url])[0]
    assert gone["status"] == "gone"
    assert query(out, "select count(*) n from articles where status = 'live'")[0]["n"] == len(posts)
