"""Benchmark: what the shared politeness costs a crawl (crawler/politeness.py). The demo blog on nginx
is crawled at concurrency 16 with no delay, with and without ARSHIF_REDIS_URL (a real redis-server on
loopback), alternately, in the same run: with Redis every request takes its turn through one Lua
script call, so the difference is the cost of those round trips on the reactor. The crawl's CPU time
(user + system) is printed too: on a shared machine it varies less than the wall time.

    make bench                                            # runs this: --scale 10, 3 rounds, ≈ 1 min
    python benchmarks/bench_politeness.py --rounds 5     # the README's run

Each crawl pays Scrapy's start-up (a few seconds) whatever the blog's size; the larger the blog, the
more of the ratio is the per-request cost. Prints each crawl's wall time, the medians and their
ratio (goal: under 1.10), and writes them to benchmarks/results/bench_politeness.json.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_crawl import ARSHIF, NGINX_CONF, SETTINGS

from archive.demo.server import free_port
from archive.demo.site import build_site
from benchmarks.record import save_results


def wait_for_port(port: int) -> None:
    for _ in range(50):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"nothing listens on 127.0.0.1:{port}")


def write_demo_site(folder: Path, base: str, scale: int) -> int:
    """Write the classic-theme demo blog (``scale`` times its posts) as static files for nginx;
    return the number of HTML pages."""
    pages = 0
    for path, served in build_site("classic", base, scale=scale).items():
        target = folder / path.lstrip("/")
        if path.endswith("/"):
            target = target / ("index.rss" if "rss" in served.content_type else "index.html")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(served.body)
        pages += served.content_type.startswith("text/html")
    return pages


def timed(cmd: list[str]) -> tuple[float, float, str]:
    """Wall and CPU seconds (user + system) of one command, and its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, proc.stdout + proc.stderr


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=int, default=10, help="the demo blog's size multiplier (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating pairs of crawls (default 3)")
    parser.add_argument("--json", type=Path, help="where the results go (default benchmarks/results/bench_politeness.json)")
    args = parser.parse_args()
    started = time.perf_counter()
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    redis_server = shutil.which("redis-server") or "/usr/bin/redis-server"
    arshif = str(Path(sys.executable).parent / "arshif")
    # robots.txt obeyed in both, so the shared robots.txt is part of what is measured
    settings = [*SETTINGS, "-s", "ROBOTSTXT_OBEY=True", *ARSHIF, "--capture-only"]
    times: dict[str, list[float]] = {"without Redis": [], "with Redis": []}
    cpu: dict[str, list[float]] = {name: [] for name in times}
    pages: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        tmp.chmod(0o755)  # nginx workers run as an unprivileged user
        port, redis_port = free_port(), free_port()
        base = f"http://127.0.0.1:{port}"
        html_pages = write_demo_site(tmp / "site", base, args.scale)
        (tmp / "nginx.conf").write_text(NGINX_CONF.format(tmp=tmp, port=port, site=tmp / "site"))
        server = subprocess.Popen([nginx, "-c", str(tmp / "nginx.conf")], stderr=subprocess.DEVNULL)
        redis = subprocess.Popen([redis_server, "--bind", "127.0.0.1", "--port", str(redis_port), "--save", "",
                                  "--appendonly", "no", "--dir", str(tmp)], stdout=subprocess.DEVNULL)
        try:
            wait_for_port(port)
            wait_for_port(redis_port)
            for round_ in range(args.rounds):
                for name in times:
                    extra = (["-s", f"ARSHIF_REDIS_URL=redis://127.0.0.1:{redis_port}/0", "-s", f"ARSHIF_JOB=bench{round_}"]
                             if name == "with Redis" else [])
                    seconds, cpu_seconds, out = timed([arshif, "crawl", f"{base}/", "--out", str(tmp / f"out-{round_}-{len(extra)}"),
                                          *settings, *extra])
                    times[name].append(seconds)
                    cpu[name].append(cpu_seconds)
                    pages[name] = int(re.search(r"pages captured : (\d+)", out).group(1))
        finally:
            server.terminate()
            redis.terminate()
            server.wait()
            redis.wait()
    print(f"site: {html_pages} HTML pages ({args.scale}x demo blog) on nginx, {os.cpu_count()} cores, "
          "concurrency 16, no delay, --capture-only")
    for name, runs in times.items():
        print(f"{name:14}: {pages[name]} pages; wall " + ", ".join(f"{t:.2f}" for t in runs)
              + f" s, median {statistics.median(runs):.2f} s; CPU median {statistics.median(cpu[name]):.2f} s")
    ratios = {}
    for label, figures in (("wall time", times), ("CPU time", cpu)):
        ratios[label] = statistics.median(figures["with Redis"]) / statistics.median(figures["without Redis"])
        print(f"ratio with / without Redis ({label}): {ratios[label]:.3f}")
    save_results("bench_politeness", f"capture-only crawl with / without shared politeness in Redis: wall {ratios['wall time']:.3f}, "
                 f"CPU {ratios['CPU time']:.3f} (goal < 1.10; {pages['without Redis']} pages, {args.rounds} rounds)",
                 {"scale": args.scale, "rounds": args.rounds, "html_pages": html_pages, "pages": pages,
                  "wall_seconds": times, "cpu_seconds": cpu, "ratio_wall": ratios["wall time"],
                  "ratio_cpu": ratios["CPU time"]}, time.perf_counter() - started, args.json)


if __name__ == "__main__":
    main()
