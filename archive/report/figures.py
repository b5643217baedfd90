"""The figures of a crawl report, read from ``OUT/archive.db`` (through ``ArchiveDB``) and from the
WARC files in ``OUT/warc``: nothing else, so a report can be rebuilt at any time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..changes import Change, changes_in
from ..crawl import CrawlRow, CrawlSummary, crawl_row, crawls_as_run, latest_crawl, parse_time
from ..store import MERGED, ArchiveDB


@dataclass
class ReportData:
    out: Path
    crawl: CrawlRow  # the latest crawl: the one the report is about
    crawls: list[CrawlRow]
    summary: CrawlSummary
    capture_times: list[datetime]
    status_counts: list[dict[str, Any]]
    content_types: list[dict[str, Any]]
    per_month: list[dict[str, Any]]
    per_author: list[dict[str, Any]]
    per_category: list[dict[str, Any]]
    reached_by: dict[str, int]
    changes_per_crawl: list[dict[str, Any]]
    changes: list[Change]
    dedup_per_crawl: list[dict[str, Any]]
    failures: list[dict[str, Any]]
    unparsed_dates: list[dict[str, Any]]
    date_sources: dict[str, int]
    warc_files: int
    warc_bytes_on_disk: int

    @property
    def crawl_position(self) -> str:
        """"crawl #2 of 3": which of the blog's crawls this is. A merge's row records the merge, not
        a crawl of the blog; a crawl after a merge is numbered apart from its row's id. A job's
        workers' crawls count as one: "job news, 2 workers (crawls #3, #4): crawl 2 of 2"."""
        blog_crawls = [c.id for c in crawls_as_run([c for c in self.crawls if c.finish_reason != MERGED])]
        if self.crawl.id not in blog_crawls:  # only merges recorded
            return f"crawl #{self.crawl.id}"
        position = blog_crawls.index(self.crawl.id) + 1
        if self.crawl.job:
            rows = ", ".join(f"#{i}" for i in self.crawl.ids)
            workers = f"{self.crawl.workers} worker{'s' if self.crawl.workers > 1 else ''}"
            return f"job {self.crawl.job}, {workers} (crawls {rows}): crawl {position} of {len(blog_crawls)}"
        at = f"#{position}" if position == self.crawl.id else f"{position} (#{self.crawl.id})"
        return f"crawl {at} of {len(blog_crawls)}"

    @property
    def articles(self) -> int:
        """Articles in the archive."""
        return self.summary.archive["articles"]

    @property
    def pages(self) -> int:
        """Pages captured: the crawl's own count or, for a crawl killed before it recorded its
        figures, the answers in the captures table."""
        if self.crawl.recorded:
            return self.summary.pages
        return sum(r["captures"] for r in self.status_counts if r["status"] is not None)

    @property
    def pages_per_minute(self) -> float:
        return self.summary.pages_per_second * 60


def gather(out: str | Path) -> ReportData:
    """Everything the report shows, about the latest crawl in ``out`` and the archive as a whole.
    Raises StoreError (no or damaged archive.db) or CrawlError (no crawl recorded)."""
    out = Path(out)
    with ArchiveDB.existing(out) as db:  # one open database for every figure
        crawls = [crawl_row(row) for row in db.crawls()]
        latest, summary = latest_crawl(db, crawls)
        ids = latest.ids  # a job's workers' crawls, or the one crawl
        times = [t for t in map(parse_time, db.capture_times(ids)) if t is not None]
        data: dict[str, Any] = dict(
            status_counts=db.status_counts(ids), content_types=db.content_types(ids),
            per_month=db.named_counts("articles_per_month"), per_author=db.named_counts("articles_per_author"),
            per_category=db.named_counts("articles_per_category"), reached_by=db.articles_reached_by(),
            changes_per_crawl=db.changes_per_crawl(), dedup_per_crawl=db.dedup_per_crawl(),
            failures=db.failures(ids), unparsed_dates=db.unparsed_dates(), date_sources=db.date_sources())
        # since the latest crawl (a job: its first worker) began; the page shows no diff
        _, found = changes_in(db, latest.started_at if len(ids) > 1 else None, diff=False)
    warcs = sorted((out / "warc").glob("*.warc.gz")) if (out / "warc").is_dir() else []
    return ReportData(out=out, crawl=latest, crawls=crawls, summary=summary, capture_times=times,
                      changes=found, warc_files=len(warcs), warc_bytes_on_disk=sum(p.stat().st_size for p in warcs),
                      **data)
