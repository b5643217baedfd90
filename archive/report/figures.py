"""The figures of a crawl report, read from ``OUT/archive.db`` (through ``ArchiveDB``) and from the
WARC files in ``OUT/warc``: nothing else, so a report can be rebuilt at any time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..arabic.dates import parse_iso
from ..changes import Change, changes_in
from ..crawl import CrawlError, CrawlSummary, crawl_summary
from ..store import MERGED, ArchiveDB


@dataclass
class CrawlRow:
    """One crawl of the folder, as the crawls table recorded it: its times and its figures."""

    id: int
    start_url: str
    started_at: datetime | None
    finished_at: datetime | None
    finish_reason: str | None
    recorded: bool  # False for a crawl killed before it recorded its figures
    figures: CrawlSummary


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
        a crawl of the blog; a crawl after a merge is numbered apart from its row's id."""
        blog_crawls = [c.id for c in self.crawls if c.finish_reason != MERGED]
        if self.crawl.id not in blog_crawls:  # only merges recorded
            return f"crawl #{self.crawl.id}"
        position = blog_crawls.index(self.crawl.id) + 1
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


def _time(text: str | None) -> datetime | None:
    try:
        return parse_iso(text) if text else None
    except ValueError:
        return None


def _crawl_row(row: dict[str, Any]) -> CrawlRow:
    return CrawlRow(row["id"], row["start_url"] or "", _time(row["started_at"]), _time(row["finished_at"]),
                    row["finish_reason"], bool(row["stats"]), CrawlSummary.from_row(row))


def gather(out: str | Path) -> ReportData:
    """Everything the report shows, about the latest crawl in ``out`` and the archive as a whole.
    Raises StoreError (no or damaged archive.db) or CrawlError (no crawl recorded)."""
    out = Path(out)
    with ArchiveDB.existing(out) as db:  # one open database for every figure
        crawls = [_crawl_row(row) for row in db.crawls()]
        if not crawls:
            raise CrawlError(f"no crawl recorded in {out}")
        latest = next((c for c in reversed(crawls) if c.finish_reason != MERGED), crawls[-1])  # a merge is no crawl
        times = [t for t in map(_time, db.capture_times(latest.id)) if t is not None]
        data: dict[str, Any] = dict(
            status_counts=db.status_counts(latest.id), content_types=db.content_types(latest.id),
            per_month=db.named_counts("articles_per_month"), per_author=db.named_counts("articles_per_author"),
            per_category=db.named_counts("articles_per_category"), reached_by=db.articles_reached_by(),
            changes_per_crawl=db.changes_per_crawl(), dedup_per_crawl=db.dedup_per_crawl(),
            failures=db.failures(latest.id), unparsed_dates=db.unparsed_dates(), date_sources=db.date_sources())
        summary = crawl_summary(db, latest.id)
        _, found = changes_in(db, diff=False)  # since the latest crawl began; the page shows no diff
    warcs = sorted((out / "warc").glob("*.warc.gz")) if (out / "warc").is_dir() else []
    return ReportData(out=out, crawl=latest, crawls=crawls, summary=summary, capture_times=times,
                      changes=found, warc_files=len(warcs), warc_bytes_on_disk=sum(p.stat().st_size for p in warcs),
                      **data)
