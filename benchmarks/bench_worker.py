"""Micro-benchmark: where an article's CPU time goes in the extraction worker and in the process
that stores it, stage by stage, on the generated benchmark blog's article pages.

The stages are those of ``arshif extract`` and ``reindex`` (``pages.archived``): the worker decodes
the archived body, parses it once, classifies the tree and extracts the article from it, then
computes its search-index forms; the storing process reads the WARC record (by offset) and
writes the row.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_worker.py [--pages 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.arabic.search import index_text  # noqa: E402
from archive.pages.blocks import html_root  # noqa: E402
from archive.pages.charset import decode_html  # noqa: E402
from archive.pages.classify import classify  # noqa: E402
from archive.pages.extract import extract_article  # noqa: E402
from archive.store import ArchiveDB  # noqa: E402
from archive.warc import HttpExchange, WarcWriter, read_record  # noqa: E402
from benchmarks.blogsite import write_site  # noqa: E402

BASE = "http://127.0.0.1:8080"
CONTENT_TYPE = "text/html; charset=UTF-8"


def article_pages(folder: Path, count: int) -> list[tuple[str, bytes]]:
    write_site(folder, BASE, count)
    files = sorted(p for p in folder.glob("20*/**/index.html"))
    return [(f"{BASE}/{quote(str(p.parent.relative_to(folder)))}/", p.read_bytes()) for p in files]


class Stages:
    """CPU time per stage: ``with stages("parse"): …``."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)
        self.stage = ""

    def __call__(self, stage: str) -> Stages:
        self.stage = stage
        return self

    def __enter__(self) -> None:
        self.started = time.process_time()

    def __exit__(self, *exc: object) -> None:
        self.spent[self.stage] += time.process_time() - self.started


def one_round(pages: list[tuple[str, bytes]], work: Path, warc_offsets: list[tuple[Path, int]]) -> dict[str, float]:
    stages = Stages()
    with ArchiveDB(work / f"archive-{time.monotonic_ns()}.db", commit_interval=1.0) as db:
        for (url, body), (path, offset) in zip(pages, warc_offsets, strict=True):
            with stages("read WARC record"):
                read_record(path, offset)
            with stages("decode"):
                html = decode_html(body, CONTENT_TYPE, url)
            with stages("parse"):
                root = html_root(html, for_trafilatura=True)
            with stages("classify"):
                classify(root)
            with stages("extract_article"):
                article = extract_article(html, url, base_date="2026-01-01T00:00:00Z", tree=root)
            with stages("search-index forms"):
                article["fts"] = (index_text(article["title"]), index_text(article["text"]))
            with stages("store the row"):
                db.upsert_article(article)
    return {stage: seconds / len(pages) * 1000 for stage, seconds in stages.spent.items()}


def write_warc(pages: list[tuple[str, bytes]], work: Path) -> list[tuple[Path, int]]:
    """The pages as gzip-encoded responses in one WARC file, as a crawl archives them; where each is."""
    writer = WarcWriter(work / "warc")
    refs = []
    for url, body in pages:
        refs.append(writer.write_exchange(HttpExchange(
            url, "GET", "/" + url.split("/", 3)[3], [("Host", "127.0.0.1:8080")], b"", "HTTP/1.1", 200,
            [("Content-Type", CONTENT_TYPE), ("Content-Encoding", "gzip")], gzip.compress(body))))
    writer.close()
    return [(work / "warc" / ref.filename, ref.offset) for ref in refs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=200, help="article pages of the generated blog")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="arshif-bench-worker-") as name:
        work = Path(name)
        pages = article_pages(work / "site", args.pages)
        offsets = write_warc(pages, work)
        one_round(pages[:20], work, offsets[:20])  # warm-up: imports, caches
        rounds = [one_round(pages, work, offsets) for _ in range(args.rounds)]
    print(f"{len(pages)} article pages of the benchmark blog, {args.rounds} rounds, median CPU ms per article")
    for stage in rounds[0]:
        print(f"  {stage:22s} {statistics.median(r[stage] for r in rounds):6.2f}")
    print(f"  {'total':22s} {statistics.median(sum(r.values()) for r in rounds):6.2f}")


if __name__ == "__main__":
    main()
