"""The figures of a crawl report, read from ``OUT/archive.db`` (through ``ArchiveDB``) and from the
WARC files in ``OUT/warc``: nothing else, so a report can be rebuilt at any time."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from ..arabic.dates import parse_iso
from ..changes import Change, changes_in
from ..crawl import CrawlError, CrawlSummary, crawl_summary
from ..store import MERGED, ArchiveDB


@dataclass
class CrawlRow:
    """One crawl of the folder, as the crawls table recorded it: its times and its figures. The
    workers of a Redis job each record a crawl of their own; the report takes them as one crawl
    (``joined``): ``ids`` are then all of their rows."""

    id: int
    start_url: str
    started_at: datetime | None
    finished_at: datetime | None
    finish_reason: str | None
    recorded: bool  # False for a crawl killed before it recorded its figures
    figures: CrawlSummary
    start_urls: list[str] = field(default_factory=list)  # every start URL (a job's blogs), the first is start_url
    job: str = ""  # the Redis job a worker's crawl was part of
    run: str = ""  # that job's id (ARSHIF_JOB_RUN; none recorded before it was): its workers' crawls share it
    ids: list[int] = field(default_factory=list)
    parts: list[CrawlSummary] = field(default_factory=list)  # a job's workers' figures, in the order they began

    @property
    def workers(self) -> int:
        return len(self.ids)

    def same_job_as_before(self, later: "CrawlRow") -> bool:
        """For crawls recorded before job ids were (no ``run``): ``later`` is another worker of this
        job if it has its name and began before this one's last worker ended."""
        return bool(self.job) and not later.run and later.job == self.job and self.finished_at is not None \
            and later.started_at is not None and later.started_at <= self.finished_at

    def joined(self, later: "CrawlRow") -> "CrawlRow":
        """This job's crawl with another of its workers' crawls."""
        ends = [self.finished_at, later.finished_at]
        starts = [t for t in (self.started_at, later.started_at) if t is not None]
        reasons = dict.fromkeys([*(self.finish_reason or "not finished").split(", "), later.finish_reason or "not finished"])
        return replace(self, id=max(self.id, later.id), started_at=min(starts) if starts else None,
                       finished_at=None if None in ends else max(t for t in ends if t is not None),
                       finish_reason=", ".join(reasons), recorded=self.recorded and later.recorded,
                       start_urls=self.start_urls + [u for u in later.start_urls if u not in self.start_urls],
                       ids=self.ids + later.ids, parts=self.parts + later.parts)


def crawls_as_run(rows: list[CrawlRow]) -> list[CrawlRow]:
    """The folder's crawls as the user ran them, in the order they began: a job's workers' crawls
    joined into one (by the job's id, whatever ran between them; by name and time before ids)."""
    crawls: list[CrawlRow] = []
    jobs: dict[tuple[str, str], int] = {}  # (job, run) → its place in crawls
    for row in rows:
        place = jobs.get((row.job, row.run)) if row.job and row.run else None
        if place is None and crawls and crawls[-1].same_job_as_before(row):
            place = len(crawls) - 1
        if place is not None:
            crawls[place] = crawls[place].joined(row)
            continue
        if row.job and row.run:
            jobs[row.job, row.run] = len(crawls)
        crawls.append(row)
    return crawls


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


def _time(text: str | None) -> datetime | None:
    try:
        return parse_iso(text) if text else None
    except ValueError:
        return None


def _crawl_row(row: dict[str, Any]) -> CrawlRow:
    try:
        settings = json.loads(row["settings"] or "{}")
    except ValueError:
        settings = {}
    settings = settings if isinstance(settings, dict) else {}
    starts = [u for u in settings.get("ARSHIF_START_URLS") or [] if isinstance(u, str)] or [row["start_url"] or ""]
    job = (settings.get("ARSHIF_JOB") or "default") if settings.get("ARSHIF_WORKER") else ""
    figures = CrawlSummary.from_row(row)
    return CrawlRow(row["id"], row["start_url"] or "", _time(row["started_at"]), _time(row["finished_at"]),
                    row["finish_reason"], bool(row["stats"]), figures, starts, str(job),
                    str(settings.get("ARSHIF_JOB_RUN") or ""), [row["id"]], [figures])


def latest_crawl(db: ArchiveDB, crawls: list[CrawlRow] | None = None) -> tuple[CrawlRow, CrawlSummary]:
    """The folder's latest crawl as the user ran it (a job's workers' crawls as one; a merge is no
    crawl) and its figures: a job's summed over its workers, its health judged on all their rows at
    once. Raises CrawlError when no crawl is recorded."""
    crawls = crawls if crawls is not None else [_crawl_row(row) for row in db.crawls()]
    if not crawls:
        raise CrawlError(f"no crawl recorded in {db.path.parent}")
    as_run = crawls_as_run([c for c in crawls if c.finish_reason != MERGED])
    latest = max(as_run, key=lambda c: c.id) if as_run else crawls[-1]
    summary = crawl_summary(db, latest.id)
    if len(latest.ids) <= 1:
        return latest, summary
    if latest.finished_at is None:  # a worker was killed: the job ends with its last capture
        last = db.capture_times(latest.ids)[-1:]
        latest = replace(latest, finished_at=_time(last[0]) if last else None)
    span = (latest.finished_at - latest.started_at).total_seconds() if latest.finished_at and latest.started_at else 0.0
    recorded = {k: v for part in latest.parts for k, v in part.health.items()}  # the feed's and calibration's
    job = CrawlSummary.of_job(latest.parts, span, {**recorded, **db.health(latest.ids)}, latest.finish_reason)
    return latest, replace(job, archive=summary.archive)


def gather(out: str | Path) -> ReportData:
    """Everything the report shows, about the latest crawl in ``out`` and the archive as a whole.
    Raises StoreError (no or damaged archive.db) or CrawlError (no crawl recorded)."""
    out = Path(out)
    with ArchiveDB.existing(out) as db:  # one open database for every figure
        crawls = [_crawl_row(row) for row in db.crawls()]
        latest, summary = latest_crawl(db, crawls)
        ids = latest.ids or [latest.id]
        times = [t for t in map(_time, db.capture_times(ids)) if t is not None]
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
