"""Benchmark: one job crawled by 1, 2 and 4 workers (`arshif crawl --redis` + `arshif worker`
processes sharing one OUT), on a latency-bound set of blogs: four hosts (127.0.0.2–5), each
answering every request after --delay seconds (a far-away blog), each worker allowed one request
at a time per host (CONCURRENT_REQUESTS_PER_DOMAIN=1). Capture only: the load is the network's
wait, not the CPU's.

    python benchmarks/bench_jobs.py [--delay 0.3] [--scale 2] [--workers 1,2,4] [--trace]

What it measures: DOWNLOAD_DELAY=0 makes the job's shared per-host delay 0 (crawler/politeness.py),
so N workers may have N requests in flight at one host, and the ceiling is N × hosts / delay
pages/s (13 per worker at 0.3 s). With a delay above 0 the job would send at most one request per
delay to each host however many workers it has: that is politeness, not scaling. The four blogs
are the same size (the demo's custom theme is left out: without its --profile a crawl finds only a
few of its pages, and the job would be three blogs long). `make bench` runs the default --scale 2
(about 1,080 pages, ≈ 3 min); --scale 4 (2,154 pages, ≈ 6.5 min, the README's figures) makes the
added workers' start-up a smaller part of the job, so its ratios come out a little higher.

Prints, per number of workers, pages captured, the job's seconds (from the job's creation in Redis
to the last worker's exit: the added workers' start-up is part of it), pages/s, the ratio to one
worker, and how many requests the hosts were answering at once on average (the servers' own logs;
the ceiling is hosts × workers); then Redis memory per seen URL and per queued request. --trace prints each
host's requests per 5 s.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import redis
from scrapy import Request
from scrapy.utils.request import RequestFingerprinter
from scrapy_redis import picklecompat

from archive.demo.server import SiteServer, free_port
from archive.jobs import Job
from archive.store import ArchiveDB
from benchmarks.record import save_results
from crawler.jobs import host_of

ROOT = Path(__file__).resolve().parent.parent
HOSTS = ("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5")
THEMES = ("classic", "block", "blogger", "classic")
SETTINGS = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1",
            "-s", "ARSHIF_PROGRESS_INTERVAL=0", "--capture-only"]


def arshif(*args: object) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "archive.cli", *map(str, args)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


@dataclass
class Run:
    pages: int
    seconds: float
    started: float  # monotonic
    queue_bytes: float  # Redis memory per queued request, at the job's largest queue


class QueueSampler(threading.Thread):
    """Samples the job's queue once a second; keeps Redis's memory per queued request at its largest."""

    def __init__(self, client: redis.Redis, name: str) -> None:
        super().__init__(daemon=True)
        self.client, self.job, self.stop = client, Job(client, name), threading.Event()
        self.largest, self.per_request = 0, 0.0

    def run(self) -> None:
        while not self.stop.wait(1.0):
            queued = self.job.queued()
            if queued > self.largest:
                self.largest = queued
                self.per_request = frontier_bytes(self.client, self.job) / queued


def frontier_bytes(client: redis.Redis, job: Job) -> int:
    """Redis memory of the job's frontier (the same keys for both figures of the benchmark)."""
    return sum(client.memory_usage(k) or 0 for k in job.frontier_keys())


def run_job(urls: list[str], redis_url: str, out: Path, workers: int, name: str) -> Run:
    """Pages captured and seconds from the job's creation to the last worker's exit (the other
    workers' start-up is part of it)."""
    client = redis.Redis.from_url(redis_url)
    first = arshif("crawl", *urls, "--out", out, "--redis", redis_url, "--job", name, *SETTINGS)
    while client.hget(f"arshif:{name}:meta", "finished") != b"0":
        if first.poll() is not None:
            raise SystemExit(first.stderr.read() if first.stderr else "the job did not start")
        time.sleep(0.05)
    started = time.monotonic()  # the job is in Redis: the first worker has its Scrapy loaded
    sampler = QueueSampler(client, name)
    sampler.start()
    procs = [first] + [arshif("worker", "--redis", redis_url, "--out", out, "--job", name) for _ in range(workers - 1)]
    for proc in procs:
        _, err = proc.communicate()
        if proc.returncode:
            raise SystemExit(f"a worker failed: {err[-2000:]}")
    seconds = time.monotonic() - started
    sampler.stop.set()
    with ArchiveDB(out / "archive.db") as db:
        pages = db.counts()["captures"]
    return Run(pages, seconds, started, sampler.per_request)


def in_flight(blogs: list[SiteServer], run: Run, delay: float) -> float:
    """How many requests the hosts were answering at once, on average over the job (the servers'
    own logs: each request is answered for `delay`). The ceiling is hosts × workers."""
    served = sum(1 for blog in blogs for at in blog.request_times if run.started <= at <= run.started + run.seconds)
    return served * delay / run.seconds


def trace(blogs: list[SiteServer], run: Run, step: float = 5.0) -> None:
    """Requests per host in each `step` seconds of the job, from the servers' logs."""
    print(f"  {'t (s)':>6} " + " ".join(f"{blog.base_url.split('//')[1]:>16}" for blog in blogs))
    t = 0.0
    while t < run.seconds:
        lo, hi = run.started + t, run.started + t + step
        counts = [sum(1 for at in blog.request_times if lo <= at < hi) for blog in blogs]
        print(f"  {t:>6.0f} " + " ".join(f"{c:>16}" for c in counts))
        t += step


def memory_per_url(client: redis.Redis, urls: int, hosts: int) -> tuple[float, float]:
    """Redis bytes per queued request and per seen URL for `urls` Arabic article URLs (percent-
    encoded, ~110 characters) over `hosts` blogs, queued and seen as a job keeps them."""
    job = Job.create(client, "bench-memory", [], {})
    fingerprinter = RequestFingerprinter()
    for i in range(urls):
        request = Request(f"https://مدونة-{i % hosts}.example/٢٠٢٦/٠٥/مقالة-عن-الكِتَابة-{i}/")
        data = request.to_dict()
        data.update(callback="parse_page", errback="fetch_failed")  # as the blog spider's
        job.push(host_of(request), -request.priority, picklecompat.dumps(data))
        client.sadd(job.seen_key, fingerprinter.fingerprint(request))
    queued = frontier_bytes(client, job) / urls
    seen = (client.memory_usage(job.seen_key) or 0) / urls
    client.delete(*job.keys)
    return queued, seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--delay", type=float, default=0.3, help="seconds before each answer")
    parser.add_argument("--scale", type=int, default=2, help="each blog's size, in demo blogs (default 2)")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--trace", action="store_true", help="print requests per host every 5 s of each job")
    parser.add_argument("--memory-urls", type=int, default=20_000, help="Arabic URLs queued for the memory figures")
    parser.add_argument("--json", type=Path, help="where the results go (default benchmarks/results/bench_jobs.json)")
    args = parser.parse_args()
    begun = time.perf_counter()
    jobs: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        port = free_port()
        server = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                                   "--appendonly", "no", "--dir", tmp], stdout=subprocess.DEVNULL)
        stack.callback(server.wait)
        stack.callback(server.terminate)
        redis_url = f"redis://127.0.0.1:{port}/0"
        blogs = [stack.enter_context(SiteServer(theme, host=host, delay=args.delay, scale=args.scale))
                 for theme, host in zip(THEMES, HOSTS, strict=True)]
        client = redis.Redis.from_url(redis_url)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        urls = [blog.base_url + "/" for blog in blogs]
        print(f"{len(urls)} blogs, {args.delay * 1000:.0f} ms per response, one request per host per worker")
        print(f"{'workers':>7} {'pages':>6} {'seconds':>8} {'pages/s':>8} {'ratio':>6} {'in flight':>10}")
        base, queue_bytes = 0.0, []
        for n in (int(w) for w in args.workers.split(",")):
            run = run_job(urls, redis_url, Path(tmp) / f"out-{n}", n, f"bench-{n}")
            rate = run.pages / run.seconds
            base = base or rate
            queue_bytes.append(run.queue_bytes)
            flying = in_flight(blogs, run, args.delay)
            print(f"{n:>7} {run.pages:>6} {run.seconds:>8.1f} {rate:>8.1f} {rate / base:>5.2f}x "
                  f"{flying:>5.1f} of {len(blogs) * n}", flush=True)
            jobs.append({"workers": n, "pages": run.pages, "seconds": run.seconds, "rate": rate, "ratio": rate / base,
                         "in_flight": flying})
            if args.trace:
                trace(blogs, run)
        seen = client.scard(f"arshif:bench-{n}:seen")
        print(f"Redis: {client.memory_usage(f'arshif:bench-{n}:seen') / seen:.0f} bytes per seen URL ({seen} seen), "
              f"{max(queue_bytes):.0f} bytes per queued request (at the largest queue)")
        queued, seen_bytes = memory_per_url(client, args.memory_urls, 100)
        print(f"Redis, {args.memory_urls} Arabic article URLs over 100 blogs: {seen_bytes:.0f} bytes per seen URL, "
              f"{queued:.0f} bytes per queued request")
    workers = ", ".join(str(j["workers"]) for j in jobs)
    rates = ", ".join(f"{j['rate']:.1f}" for j in jobs)
    ratios = ", ".join(f"{j['ratio']:.2f}x" for j in jobs)
    save_results("bench_jobs", f"{workers} workers on one job: {rates} pages/s, {ratios} one worker ({jobs[0]['pages']:.0f} pages); "
                 f"Redis {seen_bytes:.0f} bytes per seen URL, {queued:.0f} per queued request",
                 {"delay": args.delay, "scale": args.scale, "jobs": jobs, "redis_bytes_per_seen_url": seen_bytes,
                  "redis_bytes_per_queued_request": queued}, time.perf_counter() - begun, args.json)

if __name__ == "__main__":
    main()
