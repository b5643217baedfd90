"""Benchmark: Arshif against bare Scrapy and wget on one generated Arabic blog, in the same run.

    make bench                                           # all benchmarks and one table, ≤ 15 min on 2 cores
    python benchmarks/bench_crawl.py                     # this one: 2 rounds at 5,000 articles + 50,000 capture-only, ≈ 8.5 min
    python benchmarks/bench_crawl.py --rounds 3 --big-only capture,scrapy   # the bigger run: ≈ 15 min alone
    python benchmarks/bench_crawl.py --only capture,scrapy --pages 5000 --rounds 1 --big 0

The blog (benchmarks/blogsite.py: ≈ 11 KB WordPress article pages, listings, feed, sitemaps) is
served by nginx with gzip. Each round runs, one after the other (alternating, so a noisy
neighbour hurts every contender alike): Arshif capture-only, bare Scrapy fetching exactly the URLs
Arshif captured (benchmarks/baseline_spider.py: the ratios' baseline), bare Scrapy crawling the
blog through its links as its tutorial does (benchmarks/follow_spider.py, first round only), the full Arshif crawl, `wget --warc-file`, and
`arshif extract` on the capture-only output. The table shows medians over the rounds; ratios are
taken within each round against that round's bare Scrapy, then the median. Every process tree is
sampled from /proc for peak RSS (largest process, whole tree); CPU time per page comes from
getrusage of the waited-for children. With --big N, a capture-only crawl runs once on an N-article
blog, for memory growth (--big-only capture,scrapy adds bare Scrapy's run there, ≈ 2.5 min more).
With --against DIR (another checkout, e.g. a worktree of main) its capture-only and full crawls,
and its `arshif extract` on a copy of the capture, join the rounds: before and after in one table.
Raw results go to a JSON file (printed at the end; benchmarks/summary.py reads it back).
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
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from archive.demo.server import free_port  # noqa: E402
from archive.store import ArchiveDB  # noqa: E402
from benchmarks.blogsite import write_site  # noqa: E402
from benchmarks.record import RESULTS, save_results  # noqa: E402

CONTENDERS = ("capture", "scrapy", "follow", "full", "wget", "extract")
BIG_CONTENDERS = ("capture", "scrapy")  # the ones that may run on the big blog, for memory growth
SETTINGS = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS=16",
            "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16", "-s", "LOG_LEVEL=WARNING", "-s", "ROBOTSTXT_OBEY=False"]
# The crawl report (OUT/report.html) costs a few seconds once per crawl: left out of pages per second.
ARSHIF = ["-s", "ARSHIF_PROGRESS_INTERVAL=0", "-s", "ARSHIF_REPORT=False"]

NGINX_CONF = """
daemon off; worker_processes 1; pid {tmp}/nginx.pid; error_log {tmp}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off; client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi; uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
  types {{ text/html html; application/xml xml; text/plain txt; application/rss+xml rss; text/css css;
          application/javascript js; image/png png; }}
  charset utf-8; charset_types text/html text/plain application/xml application/rss+xml;
  gzip on; gzip_types text/css application/javascript application/xml application/rss+xml text/plain;
  server {{
    listen 127.0.0.1:{port}; root {site}; index index.html index.rss;
  }}
}}
"""


@dataclass
class Run:
    name: str
    round: int
    articles: int
    pages: int
    seconds: float
    cpu_seconds: float  # user + system of the whole process tree
    rss_largest_mb: float
    rss_tree_mb: float
    extra: dict = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_page(self) -> float:
        return 1000 * self.cpu_seconds / self.pages if self.pages else 0.0


class TreeSampler(threading.Thread):
    """Peak RSS of a process and its descendants, from /proc every 50 ms."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.largest, self.tree = pid, 0, 0
        self.done = threading.Event()

    @staticmethod
    def _children(pid: int) -> list[int]:
        kids = []
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            try:
                kids += [int(k) for k in task.read_text().split()]
            except OSError:
                pass
        return kids

    @staticmethod
    def _rss_kb(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    def run(self) -> None:
        while not self.done.is_set():
            pids, todo = [], [self.pid]
            while todo:
                pid = todo.pop()
                pids.append(pid)
                todo += self._children(pid)
            sizes = [self._rss_kb(p) for p in pids]
            self.largest = max(self.largest, max(sizes, default=0))
            self.tree = max(self.tree, sum(sizes))
            self.done.wait(0.05)


def measure(cmd: list[str], cwd: Path, code: Path = ROOT) -> tuple[float, float, float, float, str]:
    """Run ``cmd`` with the Arshif checkout ``code``; return (wall s, CPU s of the tree, largest RSS
    MB, tree RSS MB, output)."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sampler = TreeSampler(proc.pid)
    sampler.start()
    out, _ = proc.communicate()
    seconds = time.perf_counter() - start
    sampler.done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 8):  # wget exits 8 when a link answered 404
        sys.exit(f"benchmark: {' '.join(cmd[:4])} … failed ({proc.returncode}):\n{out[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu, sampler.largest / 1024, sampler.tree / 1024, out


def found(pattern: str, text: str) -> int:
    match = re.search(pattern, text)
    if not match:
        sys.exit(f"benchmark: {pattern!r} not found in the output:\n{text[-2000:]}")
    return int(match.group(1))


class Bench:
    def __init__(self, tmp: Path, base: str) -> None:
        self.tmp, self.base = tmp, base
        self.arshif = [sys.executable, "-m", "archive.cli"]

    def crawl(self, name: str, rnd: int, articles: int, *extra: str, code: Path = ROOT) -> Run:
        out = self.tmp / f"{name}-{rnd}-{articles}"
        shutil.rmtree(out, ignore_errors=True)
        wall, cpu, largest, tree, text = measure(
            [*self.arshif, "crawl", f"{self.base}/", "--out", str(out), *SETTINGS, *ARSHIF, *extra], code, code)
        run = Run(name, rnd, articles, found(r"pages captured : (\d+)", text), wall, cpu, largest, tree)
        if code != ROOT:
            return run  # the baseline fetches what this checkout captured
        with ArchiveDB.existing(out) as db:
            urls = db.captured_urls()
        (self.tmp / f"urls-{articles}.txt").write_text("\n".join(urls))
        return run

    def scrapy(self, rnd: int, articles: int) -> Run:
        """Bare Scrapy, from the temp folder (without this project's settings), on the URLs Arshif captured."""
        urls = self.tmp / f"urls-{articles}.txt"
        wall, cpu, largest, tree, text = measure(
            [sys.executable, "-m", "scrapy.cmdline", "runspider", str(HERE / "baseline_spider.py"),
             "-a", f"urls_file={urls}", *SETTINGS, "-s", "TELNETCONSOLE_ENABLED=False"], self.tmp)
        return Run("scrapy", rnd, articles, found(r"BASELINE_PAGES=(\d+)", text), wall, cpu, largest, tree)

    def follow(self, rnd: int, articles: int) -> Run:
        """Bare Scrapy crawling the blog from its home page through its links (follow_spider.py)."""
        wall, cpu, largest, tree, text = measure(
            [sys.executable, "-m", "scrapy.cmdline", "runspider", str(HERE / "follow_spider.py"),
             "-a", f"url={self.base}/", *SETTINGS, "-s", "TELNETCONSOLE_ENABLED=False"], self.tmp)
        return Run("follow", rnd, articles, found(r"BASELINE_PAGES=(\d+)", text), wall, cpu, largest, tree)

    def wget(self, rnd: int, articles: int) -> Run:
        work = self.tmp / f"wget-{rnd}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        wall, cpu, largest, tree, text = measure(
            ["wget", "--recursive", "--level=inf", "--no-parent", "-nv", "-e", "robots=off", "--no-directories",
             "--delete-after", "--compression=auto", f"--warc-file={work / 'wget'}", "--no-warc-keep-log",
             f"{self.base}/"], work)
        shutil.rmtree(work, ignore_errors=True)
        return Run("wget", rnd, articles, found(r"Downloaded: (\d+) files", text), wall, cpu, largest, tree)

    def extract(self, rnd: int, articles: int, code: Path = ROOT) -> Run:
        out = self.tmp / f"capture-{rnd}-{articles}"
        name = "extract"
        if code != ROOT:  # on a copy: this checkout's own run extracts the capture afterwards
            name = "extract@against"
            copy = self.tmp / f"extract-against-{rnd}-{articles}"
            shutil.rmtree(copy, ignore_errors=True)
            out = Path(shutil.copytree(out, copy))
        wall, cpu, largest, tree, text = measure([*self.arshif, "extract", str(out)], code, code)
        return Run(name, rnd, articles, found(r", (\d+) articles extracted", text), wall, cpu, largest, tree)


def serve(tmp: Path, site: Path, port: int) -> subprocess.Popen:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    conf = tmp / f"nginx-{port}.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp, port=port, site=site))
    server = subprocess.Popen([nginx, "-c", str(conf)], stderr=subprocess.DEVNULL)
    for _ in range(50):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.1)
    server.terminate()
    sys.exit("benchmark: nginx did not start (is nginx installed? `make bench` installs nginx-light)")


def site_folder(tmp: Path, articles: int) -> Path:
    """Where to write the blog: a folder in memory (/dev/shm) when it has room, else ``tmp``. On ext4
    with discard, deleting the 50,000-article blog's page folders took 108 s (crawling it took 257 s),
    and writing its 674 MB back to disk competed with the crawls for the disk."""
    shm = Path("/dev/shm")
    if shm.is_dir() and shutil.disk_usage(shm).free > 3 * 14_000 * articles:  # ≈ 13.5 KB a page on disk
        folder = Path(tempfile.mkdtemp(prefix="arshif-bench-site-", dir=shm))
        folder.chmod(0o755)  # nginx workers run as an unprivileged user
        return folder
    return tmp


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ratios_to_scrapy(runs: list[Run], articles: int) -> dict[str, float]:
    """Each contender's median, over the rounds, of its pages/s divided by that round's bare Scrapy."""
    by = {(r.name, r.round): r for r in runs if r.articles == articles}
    medians = {}
    for name in {r.name for r in runs if r.articles == articles}:
        ratios = [run.rate / by["scrapy", n].rate for (other, n), run in by.items()
                  if other == name and ("scrapy", n) in by and by["scrapy", n].rate]
        if ratios:
            medians[name] = median(ratios)
    return medians


@dataclass
class Growth:
    """Peak RSS of ``name`` at the small blog (medians over its rounds) and in the big blog's run."""
    small_largest_mb: float
    small_tree_mb: float
    big: Run

    @property
    def largest(self) -> float:  # as a fraction
        return self.big.rss_largest_mb / self.small_largest_mb - 1

    @property
    def tree(self) -> float:
        return self.big.rss_tree_mb / self.small_tree_mb - 1


def growth(runs: list[Run], name: str, articles: int, big: int) -> Growth | None:
    """Peak RSS growth of ``name`` from ``articles`` to ``big`` articles."""
    small = [r for r in runs if r.articles == articles and r.name == name]
    large = [r for r in runs if r.articles == big and r.name == name]
    if not small or not large:
        return None
    return Growth(median([r.rss_largest_mb for r in small]), median([r.rss_tree_mb for r in small]), large[0])


def headline(runs: list[Run], articles: int, big: int) -> str:
    """The crawl benchmark in one line: ratios to bare Scrapy and memory growth."""
    ratios = ratios_to_scrapy(runs, articles)
    labels = {"full": "full", "capture": "capture-only", "extract": "extract", "wget": "wget",
              "follow": "Scrapy following links"}
    parts = [f"{label} {ratios[name]:.2f}x" for name, label in labels.items() if name in ratios]
    line = (", ".join(parts) + " bare Scrapy") if parts else "no ratio to bare Scrapy"
    grown = growth(runs, "capture", articles, big) if big else None
    if grown:
        line += f"; capture-only peak RSS {articles:,} → {big:,} articles {grown.largest:+.0%} (tree {grown.tree:+.0%})"
    return line


def table(runs: list[Run], articles: int, big: int, against: str = "--against") -> str:
    small = [r for r in runs if r.articles == articles]
    rounds = sorted({r.round for r in small})
    by = {(r.name, r.round): r for r in small}
    ratios = ratios_to_scrapy(runs, articles)
    lines = [f"{'':28} {'pages':>7} {'pages/s':>8} {'× Scrapy':>9} {'CPU ms/page':>12} {'RSS max MB':>11} "
             f"{'RSS tree MB':>12}"]
    labels = {"scrapy": "bare Scrapy (same URLs)", "follow": "Scrapy following links", "full": "arshif crawl (full)", "capture": "arshif crawl --capture-only",
              "extract": "arshif extract (articles)", "wget": "wget --warc-file",
              "full@against": f"  the same, {against}", "capture@against": f"  the same, {against}",
              "extract@against": f"  the same, {against}"}
    for name in ("scrapy", "follow", "full", "full@against", "capture", "capture@against", "extract", "extract@against", "wget"):
        mine = [by[name, n] for n in rounds if (name, n) in by]
        if not mine:
            continue
        ratio = f"{ratios[name]:.2f}" if name in ratios else "–"
        lines.append(f"{labels[name]:28} {median([r.pages for r in mine]):>7.0f} {median([r.rate for r in mine]):>8.1f} "
                     f"{ratio:>9} {median([r.cpu_ms_per_page for r in mine]):>12.2f} "
                     f"{median([r.rss_largest_mb for r in mine]):>11.0f} {median([r.rss_tree_mb for r in mine]):>12.0f}")
    if big:
        lines.append(f"memory growth, {articles:,} → {big:,} articles (peak RSS, largest process / tree):")
        for name in BIG_CONTENDERS:
            grown = growth(runs, name, articles, big)
            if grown is None:
                continue
            b = grown.big
            lines.append(f"  {labels[name]:26} {grown.small_largest_mb:.0f} → {b.rss_largest_mb:.0f} MB ({grown.largest:+.0%}), "
                         f"tree {grown.small_tree_mb:.0f} → {b.rss_tree_mb:.0f} MB ({grown.tree:+.0%}); "
                         f"{b.pages} pages at {b.rate:.0f}/s")
    return "\n".join(lines)


def report(run: Run) -> None:
    print(f"  round {run.round} {run.name:16} {run.pages:6} pages {run.seconds:7.1f} s {run.rate:7.1f}/s "
          f"{run.cpu_ms_per_page:6.2f} ms CPU/page  RSS {run.rss_largest_mb:.0f}/{run.rss_tree_mb:.0f} MB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="Arshif vs bare Scrapy and wget on a generated blog.")
    parser.add_argument("--pages", type=int, default=5000, help="articles in the blog (default 5000)")
    parser.add_argument("--big", type=int, default=50000, help="articles for the memory-growth run; 0: none")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--big-only", default="capture", help="comma-separated among capture, scrapy: who crawls the "
                        "big blog (default capture; capture,scrapy also measures bare Scrapy's memory there)")
    parser.add_argument("--only", default=",".join(CONTENDERS),
                        help=f"comma-separated among {', '.join(CONTENDERS)} (scrapy and extract need capture)")
    parser.add_argument("--against", type=Path, help="another Arshif checkout (e.g. a worktree of main): its "
                        "capture-only and full crawls and its extract (on a copy of the capture) run too, in the "
                        "same rounds, for a before/after table")
    parser.add_argument("--json", type=Path, default=RESULTS / "bench_crawl.json")
    args = parser.parse_args()
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    if unknown := set(only) - set(CONTENDERS):
        parser.error(f"unknown contender(s): {', '.join(sorted(unknown))}")
    if {"scrapy", "extract"} & set(only):
        only = sorted(set(only) | {"capture"}, key=CONTENDERS.index)
    big_only = {name.strip() for name in args.big_only.split(",") if name.strip()}
    if big_only - set(BIG_CONTENDERS):
        parser.error(f"--big-only: among {', '.join(BIG_CONTENDERS)}")
    if "scrapy" in big_only:
        big_only.add("capture")  # bare Scrapy fetches what the capture found
    runs: list[Run] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="arshif-bench-") as name:
        tmp = Path(name)
        tmp.chmod(0o755)  # nginx workers run as an unprivileged user
        for articles in ([args.pages] + ([args.big] if args.big else [])):
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            holder = site_folder(tmp, articles)
            site = holder / f"site-{articles}"
            try:
                t = time.perf_counter()
                written = write_site(site, base, articles)
                print(f"site: {articles:,} articles, {written['listings']:,} listing pages, {written['bytes'] / 1e6:.0f} MB "
                      f"written in {time.perf_counter() - t:.1f} s{' (in memory)' if holder != tmp else ''}; nginx on {base}",
                      flush=True)
                server = serve(tmp, site, port)
                bench = Bench(tmp, base)
                try:
                    big = articles != args.pages
                    for rnd in range(1, (1 if big else args.rounds) + 1):
                        for contender in only:
                            if big and contender not in big_only:
                                continue
                            if contender == "follow" and rnd > 1:
                                continue  # context, not a goal's baseline: one round keeps make bench ≤ 15 min
                            if contender in ("capture", "full") and args.against and not big:
                                flags = ["--capture-only"] if contender == "capture" else []
                                before = bench.crawl(f"{contender}@against", rnd, articles, *flags, code=args.against.resolve())
                                runs.append(before)
                                report(before)
                            if contender == "extract" and args.against and not big:
                                before = bench.extract(rnd, articles, code=args.against.resolve())
                                runs.append(before)
                                report(before)
                            if contender == "capture":
                                run = bench.crawl("capture", rnd, articles, "--capture-only")
                            elif contender == "full":
                                run = bench.crawl("full", rnd, articles)
                            elif contender == "scrapy":
                                run = bench.scrapy(rnd, articles)
                            elif contender == "follow":
                                run = bench.follow(rnd, articles)
                            elif contender == "wget":
                                run = bench.wget(rnd, articles)
                            else:
                                run = bench.extract(rnd, articles)
                            runs.append(run)
                            report(run)
                        for out in tmp.glob(f"*-{rnd}-{articles}"):  # this round's output folders
                            shutil.rmtree(out)
                finally:
                    server.terminate()
                    server.wait()
            finally:  # the blog may be in memory: never leave it behind
                shutil.rmtree(site if holder == tmp else holder, ignore_errors=True)
    print()
    print(f"Arshif benchmark: {args.pages:,}-article blog, {args.rounds} rounds, medians; {os.cpu_count()} cores "
          f"(shared: compare ratios, not absolute figures); {time.perf_counter() - started:.0f} s in all")
    print(table(runs, args.pages, args.big, args.against.name if args.against else ""))
    save_results("bench_crawl", headline(runs, args.pages, args.big),
                 {"pages": args.pages, "big": args.big, "rounds": args.rounds, "against": args.against.name if args.against else "",
                  "runs": [asdict(r) | {"rate": r.rate} for r in runs]}, time.perf_counter() - started, args.json)


if __name__ == "__main__":
    main()
