"""Benchmark: one job crawled by 1, 2 and 4 workers (`arshif crawl --redis` + `arshif worker`
processes sharing one OUT), on a latency-bound set of blogs: four hosts (127.0.0.2–5), each
answering every request after --delay seconds (a far-away blog), each worker allowed one request
at a time per host. Capture only: the load is the network's wait, not the CPU's.

    python benchmarks/bench_jobs.py [--delay 0.3] [--scale 2]

Prints, per number of workers, pages captured, the job's seconds (from the job's creation in Redis
to the last worker's exit) and pages/s with the ratio to one worker, and Redis memory per seen URL.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import redis

from archive.demo.server import SiteServer, free_port
from archive.store import ArchiveDB

ROOT = Path(__file__).resolve().parent.parent
HOSTS = ("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5")
THEMES = ("classic", "block", "blogger", "custom")
SETTINGS = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1",
            "-s", "ARSHIF_PROGRESS_INTERVAL=0", "--capture-only"]


def arshif(*args: object) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "archive.cli", *map(str, args)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def run_job(urls: list[str], redis_url: str, out: Path, workers: int, name: str) -> tuple[int, float]:
    """(pages captured, seconds from the job's creation to the last worker's exit: the other
    workers' start-up is part of it)."""
    client = redis.Redis.from_url(redis_url)
    first = arshif("crawl", *urls, "--out", out, "--redis", redis_url, "--job", name, *SETTINGS)
    while client.hget(f"arshif:{name}:meta", "finished") != b"0":
        if first.poll() is not None:
            raise SystemExit(first.stderr.read() if first.stderr else "the job did not start")
        time.sleep(0.05)
    started = time.monotonic()  # the job is in Redis: the first worker has its Scrapy loaded
    procs = [first] + [arshif("worker", "--redis", redis_url, "--out", out, "--job", name) for _ in range(workers - 1)]
    for proc in procs:
        _, err = proc.communicate()
        if proc.returncode:
            raise SystemExit(f"a worker failed: {err[-2000:]}")
    seconds = time.monotonic() - started
    with ArchiveDB(out / "archive.db") as db:
        pages = db.counts()["captures"]
    return pages, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--delay", type=float, default=0.3, help="seconds before each answer")
    parser.add_argument("--scale", type=int, default=2, help="each blog's size, in demo blogs")
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
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
        print(f"{'workers':>7} {'pages':>6} {'seconds':>8} {'pages/s':>8} {'ratio':>6}")
        base = 0.0
        for n in (int(w) for w in args.workers.split(",")):
            pages, seconds = run_job(urls, redis_url, Path(tmp) / f"out-{n}", n, f"bench-{n}")
            rate = pages / seconds
            base = base or rate
            print(f"{n:>7} {pages:>6} {seconds:>8.1f} {rate:>8.1f} {rate / base:>5.2f}x", flush=True)
        seen = client.scard(f"arshif:bench-{n}:seen")
        print(f"Redis: {client.memory_usage(f'arshif:bench-{n}:seen') / seen:.0f} bytes per seen URL ({seen} seen)")

if __name__ == "__main__":
    main()
