"""Benchmark: what feed-guided calibration adds at the end of a crawl, against extracting the same
archive's article pages once (the work a crawl does anyway), in the same run.

Crawls the bundled demo blog (``--scale`` times its posts) into a temporary folder, then times on
that archive: extracting every article page from the WARC in this process (the baseline), learning
the profile from the feed items' pages, and the whole ``calibrate`` (learning, writing
profile.toml, filling, the feed comparison).

    .venv/bin/python benchmarks/bench_calibrate.py [--theme classic] [--scale 4]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from archive.calibration import archived_page, calibrate
from archive.demo.server import SiteServer
from archive.pages.calibrate import learn_rules
from archive.pages.extract import extract_article
from archive.pages.feeds import FeedEntry
from archive.store import ArchiveDB
from benchmarks.record import save_results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--theme", default="classic")
    parser.add_argument("--scale", type=int, default=4)
    parser.add_argument("--json", type=Path, help="where the results go (default benchmarks/results/bench_calibrate.json)")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, SiteServer(args.theme, scale=args.scale) as server:
        out = Path(tmp) / "out"
        subprocess.run([sys.executable, "-m", "archive.cli", "crawl", server.base_url + "/", "--out", str(out),
                        "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "ARSHIF_PROGRESS_INTERVAL=0"],
                       check=True, capture_output=True)
        with ArchiveDB.existing(out) as db:
            captures = db.article_captures_all()
            feed_rows = db.feed_item_captures()
            start = time.perf_counter()
            for capture in captures:  # the baseline: each article page extracted once
                page = archived_page(out, capture)
                assert page is not None
                extract_article(page[0], capture["url"], base_date=capture["warc_date"])
            extraction = time.perf_counter() - start
            start = time.perf_counter()
            pages = [(archived_page(out, r)[1], FeedEntry(r["feed_url"], r["feed_title"], r["feed_published"],  # type: ignore[index]
                                                  r["feed_author"], json.loads(r["feed_categories"] or "[]")))
                     for r in feed_rows]
            rules = learn_rules(pages)
            learning = time.perf_counter() - start
            start = time.perf_counter()
            figures = calibrate(db, out, workers=1)
            whole = time.perf_counter() - start
    print(f"{args.theme} ×{args.scale}: {len(captures)} article pages, {len(feed_rows)} feed items, "
          f"{len(rules)} rules learned ({', '.join(sorted(rules))})")
    print(f"  extracting every article page once (baseline): {extraction:.2f} s")
    print(f"  learning from the feed pages (dateparser warm) : {learning:.2f} s  ({learning / extraction:.2f}× the baseline)")
    print(f"  calibrate, whole                               : {whole:.2f} s  ({whole / extraction:.2f}× the baseline)")
    print(f"  {figures}")
    save_results("bench_calibrate", f"calibration at a crawl's end {whole / extraction:.2f}x extracting every article page once "
                 f"({whole:.2f} vs {extraction:.2f} s, {len(captures)} article pages)",
                 {"theme": args.theme, "scale": args.scale, "article_pages": len(captures), "feed_items": len(feed_rows),
                  "extraction_seconds": extraction, "learning_seconds": learning, "calibrate_seconds": whole,
                  "calibrate": figures}, time.perf_counter() - started, args.json)


if __name__ == "__main__":
    main()
