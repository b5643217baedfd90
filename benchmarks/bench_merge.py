"""Benchmark: `arshif merge` (rows copied, WARC files hard-linked) against the other way to one
archive, the WARC files of every folder in one folder and `reindex` (every page extracted again),
in the same run, on the same folders.

    .venv/bin/python benchmarks/bench_merge.py [--folders 3] [--scale 3]

Crawls --folders demo blogs (themes in turn, each --scale times the demo's size, each on its own
port: different hosts) into their own folders, then merges them both ways and prints the seconds,
what each result holds, and the ratio. Both run in this process (no start-up cost in either).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from archive.demo.server import SiteServer
from archive.merge import merge
from archive.reindex import reindex
from archive.store import ArchiveDB
from benchmarks.record import save_results

ROOT = Path(__file__).resolve().parent.parent
FAST = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16",
        "-s", "ARSHIF_PROGRESS_INTERVAL=0", "-s", "ARSHIF_REPORT=False"]
THEMES = ["classic", "block", "blogger"]


def counts(out: Path) -> dict[str, int]:
    with ArchiveDB.existing(out) as db:
        return db.counts()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folders", type=int, default=3)
    parser.add_argument("--scale", type=int, default=3)
    parser.add_argument("--json", type=Path, help="where the results go (default benchmarks/results/bench_merge.json)")
    args = parser.parse_args()
    begun = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="arshif-bench-merge-") as tmp:
        base = Path(tmp)
        folders = []
        for n in range(args.folders):
            with SiteServer(THEMES[n % len(THEMES)], scale=args.scale) as server:
                folders.append(base / f"crawl-{n}")
                subprocess.run([sys.executable, "-m", "archive.cli", "crawl", server.base_url + "/", "--out",
                                str(folders[-1]), *FAST], cwd=ROOT, check=True, capture_output=True)
        started = time.perf_counter()
        merge(folders, base / "merged")
        t_merge = time.perf_counter() - started
        merged = counts(base / "merged")

        started = time.perf_counter()
        (base / "rebuilt" / "warc").mkdir(parents=True)
        for folder in folders:
            for path in (folder / "warc").glob("*.warc.gz"):
                os.link(path, base / "rebuilt" / "warc" / path.name)
        reindex(base / "rebuilt")
        t_reindex = time.perf_counter() - started
        rebuilt = counts(base / "rebuilt")

    print(f"{args.folders} folders of the demo blog at {args.scale}x, {os.cpu_count()} cores")
    print(f"arshif merge            : {t_merge:6.2f} s  {merged['captures']} captures, {merged['articles']} articles, "
          f"{merged['crawls']} crawls")
    print(f"WARC files + reindex    : {t_reindex:6.2f} s  {rebuilt['captures']} captures, {rebuilt['articles']} articles, "
          f"{rebuilt['crawls']} crawls (stats, failed fetches, validators lost)")
    print(f"ratio reindex / merge   : {t_reindex / t_merge:.1f}x")
    save_results("bench_merge", f"arshif merge {t_reindex / t_merge:.0f}x faster than WARC files + reindex ({t_merge:.2f} vs "
                 f"{t_reindex:.2f} s; {merged['captures']} captures, {merged['articles']} articles)",
                 {"folders": args.folders, "scale": args.scale, "merge_seconds": t_merge, "reindex_seconds": t_reindex,
                  "merged": merged, "rebuilt": rebuilt}, time.perf_counter() - begun, args.json)


if __name__ == "__main__":
    main()
