"""A crawl's inputs and outcome, Scrapy-free: the checks on the start URL and the output folder,
the one-crawl-per-folder lock, and the summary read back from archive.db. Running the crawl itself
is ``crawler.process.crawl`` (Scrapy); ``arshif crawl`` calls it.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from .arabic.dates import parse_iso
from .store import MERGED, ArchiveDB, recorded_json

# Bounds a crawl met (hostile sites are bounded by the defaults): stats key → one warning line.
LIMIT_LINES = {
    "urllength/request_ignored_count": "{n} link(s) longer than URLLENGTH_LIMIT (2083 characters unless set) "
                                       "were not followed",
    "arshif/budget/url_pattern": "{n} navigation link(s) not followed: more than ARSHIF_URL_PATTERN_BUDGET of one "
                                 "URL pattern (a calendar or an endless archive; see the crawl log for which)",
    "arshif/budget/host": "{n} link(s) not followed: their host had ARSHIF_HOST_PAGE_BUDGET requests already "
                          "(raise it with -s ARSHIF_HOST_PAGE_BUDGET=N for a blog that large)",
}


class CrawlError(Exception):
    """Bad input for a crawl: the message is meant for the user, on one line."""


@dataclass
class CrawlSummary:
    crawl_id: int
    start_url: str
    finish_reason: str | None
    pages: int
    articles: int
    failures: int
    warc_bytes: int
    seconds: float
    responses: int = 0  # responses received, cached ones included
    revisits: int = 0  # captures that repeat an earlier one (unchanged payload or 304)
    health: dict[str, int] = field(default_factory=dict)  # ArchiveDB.health of this crawl
    deferred: int = 0  # article pages a capture-only crawl left for `arshif extract`
    log_file: str | None = None  # OUT/logs/crawl-….log, set by whoever ran the crawl
    mode: str = ""  # first, incremental, full, after-pause, after-crash
    archive: dict[str, int] = field(default_factory=dict)  # ArchiveDB.counts after the crawl, and crawls
    limits: dict[str, int] = field(default_factory=dict)  # LIMIT_LINES' stats that the crawl reached

    @classmethod
    def from_row(cls, row: dict, archive: dict[str, int] | None = None) -> "CrawlSummary":
        """A crawl's figures from its ``crawls`` row (``stats`` as JSON; {} when the crawl was
        killed before it recorded them)."""
        stats = recorded_json(row["stats"])
        return cls(row["id"], row["start_url"] or "", row["finish_reason"], stats.get("arshif/captures", 0),
                   stats.get("arshif/articles", 0), stats.get("arshif/failures", 0), stats.get("arshif/warc_bytes", 0),
                   float(stats.get("elapsed_time_seconds", 0.0)), stats.get("response_received_count", 0),
                   stats.get("arshif/revisits", 0),
                   {k.removeprefix(HEALTH_PREFIX): v for k, v in stats.items() if k.startswith(HEALTH_PREFIX)},
                   stats.get("arshif/articles_deferred", 0), mode=stats.get("arshif/mode", ""),
                   archive=archive or {}, limits={k: stats[k] for k in LIMIT_LINES if stats.get(k)})

    @classmethod
    def of_job(cls, parts: list["CrawlSummary"], seconds: float, health: dict[str, int],
               finish_reason: str | None) -> "CrawlSummary":
        """A job's crawl: the crawls of its workers (``parts``, in the order they began) as one,
        over ``seconds`` from the first start to the last end, with the ``health`` of them all and
        how they ended (``finish_reason``)."""
        first, last = parts[0], parts[-1]
        limits: dict[str, int] = {}
        for part in parts:
            for key, n in part.limits.items():
                limits[key] = limits.get(key, 0) + n
        return cls(max(p.crawl_id for p in parts), first.start_url, finish_reason,
                   sum(p.pages for p in parts), sum(p.articles for p in parts), sum(p.failures for p in parts),
                   sum(p.warc_bytes for p in parts), seconds, sum(p.responses for p in parts),
                   sum(p.revisits for p in parts), health, sum(p.deferred for p in parts), mode=first.mode,
                   archive=last.archive, limits=limits)

    @property
    def understood(self) -> bool:
        """False when most of the posts the crawl was pointed at (linked as posts, or listed in the
        sitemap where its stored posts sit) were captured but not stored as articles: the WARC holds
        the blog, the database does not."""
        h = self.health
        if self.deferred:
            return True  # capture only: understanding comes with `arshif extract`
        if h.get("archive_articles", 1) == 0 and h.get("html_pages", 0) > 0:
            return False  # pages captured, not one understood as an article
        missed = max(h.get("unstored_posts", 0), h.get("unstored_sitemap_like_posts", 0))
        return missed == 0 or missed < h.get("stored", 0)

    def health_lines(self) -> list[str]:
        """One plain line per problem, each with the next step."""
        h = self.health
        lines = [LIMIT_LINES[key].format(n=n) for key, n in self.limits.items() if n and key in LIMIT_LINES]
        if self.deferred:
            return lines
        none_stored = h.get("archive_articles", 1) == 0 and h.get("html_pages", 0) > 0
        if none_stored and h.get("unstored_sitemap") and not h.get("unstored_posts"):
            # A sitemap lists pages, not only posts: say what it listed, never a number of posts.
            lines.append(f"{h['unstored_sitemap']} of the {h['sitemap_pages']} pages listed in the blog's sitemap were "
                         "captured but not stored as articles, nor read as listings: the theme was not understood; "
                         "write a profile (README, Per-site profiles) and run `arshif reindex OUT --profile FILE`")
        elif none_stored and not h.get("unstored_posts"):
            lines.append(f"{h['html_pages']} HTML page(s) captured but none was understood as an article, nor led to "
                         "one: if this is a blog, write a profile (README, Per-site profiles) and crawl again with "
                         "--profile FILE")
        if h.get("unstored_posts"):
            lines.append(f"{h['unstored_posts']} pages linked as posts (listing permalinks, feed items, related links) "
                         "were captured but not stored as articles: the theme was not understood; write a profile "
                         "(README, Per-site profiles) and run `arshif reindex OUT --profile FILE`")
        if h.get("unstored_sitemap_like_posts") and not none_stored:
            lines.append(f"{h['unstored_sitemap_like_posts']} pages listed in the blog's sitemap beside its stored "
                         "articles, at URLs shaped like theirs, were captured but not stored as articles: if they are "
                         "posts, the theme was understood only in part; write a profile (README, Per-site profiles) "
                         "and run `arshif reindex OUT --profile FILE`")
        for key, what in (("no_date", "a date"), ("no_author", "an author"), ("no_text", "any text")):
            if h.get(key):
                lines.append(f"{h[key]} of {h.get('stored', 0)} articles stored without {what} "
                             "(see the articles table; `arshif profile OUT` shows what was learned from the "
                             "feed; a profile can name where it is)")
        if h.get("feed_fields_disagree"):
            lines.append(f"{h['feed_fields_disagree']} field(s) of the {h.get('feed_items', 0)} feed items stored "
                         "disagree with the feed (table feed_disagreements): `arshif profile OUT` shows the rules "
                         "learned from the feed and where the pages differ")
        return lines

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0

    def lines(self) -> list[str]:
        """This crawl's figures, then the archive's: a re-crawl that stores 0 new articles must not
        read as an archive of 0 articles."""
        mode = f", {self.mode}" if self.mode else ""
        lines = [f"This crawl (#{self.crawl_id}{mode}, {self.finish_reason or 'not finished'}):",
                 f"  pages captured : {self.pages}" + (f" ({self.revisits} unchanged since an earlier capture)"
                                                      if self.revisits else ""),
                 f"  articles       : {self.articles}" + (" new or changed" if self.archive.get("crawls", 1) > 1 else "")
                 + (f"; {self.deferred} article pages to extract: `arshif extract OUT`" if self.deferred else ""),
                 f"  failed fetches : {self.failures}",
                 f"  WARC bytes     : {self.warc_bytes:,}",
                 f"  time           : {self.seconds:.1f} s ({self.pages_per_second:.1f} pages/s)"]
        if self.archive:
            lines += ["In the archive:",
                      f"  articles       : {self.archive['articles']}",
                      f"  captures       : {self.archive['captures']} in {self.archive['crawls']} crawl(s)"]
        return lines


HEALTH_PREFIX = "arshif/health/"  # a crawl's health figures among its stats


def health_stats(db: ArchiveDB, crawl_id: int, figures: dict[str, int]) -> dict[str, int]:
    """A crawl's health figures under their stats names, as its end records them (and ``extract``
    and ``reindex`` record them again): ``ArchiveDB.health`` and ``figures``, calibration's and the
    feed fill's."""
    return {f"{HEALTH_PREFIX}{name}": value for name, value in {**db.health(crawl_id), **figures}.items()}


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


def parse_time(text: str | None) -> datetime | None:
    """An ISO time from archive.db, or None when absent or unreadable."""
    try:
        return parse_iso(text) if text else None
    except ValueError:
        return None


def crawl_row(row: dict[str, Any]) -> CrawlRow:
    settings = recorded_json(row["settings"])
    starts = [u for u in settings.get("ARSHIF_START_URLS") or [] if isinstance(u, str)] or [row["start_url"] or ""]
    job = (settings.get("ARSHIF_JOB") or "default") if settings.get("ARSHIF_WORKER") else ""
    figures = CrawlSummary.from_row(row)
    return CrawlRow(row["id"], row["start_url"] or "", parse_time(row["started_at"]), parse_time(row["finished_at"]),
                    row["finish_reason"], bool(row["stats"]), figures, starts, str(job),
                    str(settings.get("ARSHIF_JOB_RUN") or ""), [row["id"]], [figures])


def latest_crawl(db: ArchiveDB, crawls: list[CrawlRow] | None = None) -> tuple[CrawlRow, CrawlSummary]:
    """The folder's latest crawl as the user ran it (a job's workers' crawls as one; a merge is no
    crawl) and its figures: a job's summed over its workers, its health judged on all their rows at
    once. Raises CrawlError when no crawl is recorded."""
    crawls = crawls if crawls is not None else [crawl_row(row) for row in db.crawls()]
    if not crawls:
        raise CrawlError(f"no crawl recorded in {db.path.parent}")
    as_run = crawls_as_run([c for c in crawls if c.finish_reason != MERGED])
    latest = max(as_run, key=lambda c: c.id) if as_run else crawls[-1]
    counts = db.counts()
    if len(latest.ids) <= 1:
        return latest, replace(latest.figures, archive=counts)  # its row, read once with the others
    if latest.finished_at is None:  # a worker was killed: the job ends with its last capture
        last = db.capture_times(latest.ids)[-1:]
        latest = replace(latest, finished_at=parse_time(last[0]) if last else None)
    span = (latest.finished_at - latest.started_at).total_seconds() if latest.finished_at and latest.started_at else 0.0
    recorded = {k: v for part in latest.parts for k, v in part.health.items()}  # the feed's and calibration's
    job = CrawlSummary.of_job(latest.parts, span, {**recorded, **db.health(latest.ids)}, latest.finish_reason)
    return latest, replace(job, archive=counts)


def check_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CrawlError(f"not an http(s) URL: {url!r}")
    try:
        _ = parts.port  # raises on a bad port
    except ValueError:
        raise CrawlError(f"bad port in URL: {url!r}") from None
    return url.strip()


def check_out(out: str | os.PathLike) -> Path:
    path = Path(out)
    try:
        (path / "warc").mkdir(parents=True, exist_ok=True)
        probe = path / ".arshif-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise CrawlError(f"cannot write to output folder {str(path)!r}: {exc.strerror or exc}") from None
    return path


def lock_folder(out: Path, *, shared: bool = False) -> IO[str]:
    """One crawl at a time per output folder: a second one would interleave WARC files and rows.
    The lock is held until the returned file is closed (or the process ends). The workers of a job
    share it (each writes files of its own, see ``lock_worker``), and keep ordinary crawls out."""
    fh = open(out / ".crawl.lock", "w")  # noqa: SIM115 - the open file is the lock
    try:
        fcntl.flock(fh, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        raise CrawlError(f"another crawl is writing to {out}" + (" (not a job's worker)" if shared else "")) from None
    return fh


WORKERS = "workers"  # OUT/workers/<worker id>.lock: held by each live worker of a job in OUT


def lock_worker(out: Path, worker: str) -> IO[str]:
    """A job's worker holds its own lock while it runs: when the lock is free again (even after
    kill -9, the system frees it) the next worker knows its WARC files are to be repaired."""
    (out / WORKERS).mkdir(exist_ok=True)
    fh = open(out / WORKERS / f"{worker}.lock", "w")  # noqa: SIM115 - the open file is the lock
    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fh


def claim_dead_workers(out: Path) -> Iterator[tuple[str, Path]]:
    """The workers that ran in ``out`` and died: (worker id, its lock file), each held while the
    caller repairs what it left (two workers starting at once never repair one file twice)."""
    for path in sorted((out / WORKERS).glob("*.lock")):
        with open(path, "a") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # alive (or being repaired by another)
            if path.exists():
                yield path.stem, path


def last_crawl_state(out: Path) -> str | None:
    """How the last crawl into ``out`` ended (see ``ArchiveDB.last_crawl_state``)."""
    if not (out / "archive.db").exists():
        return None
    with ArchiveDB(out / "archive.db") as db:
        return db.last_crawl_state()


def summary(out: str | Path, crawl_id: int | None = None) -> CrawlSummary:
    """The figures of a crawl (the last one in ``out`` by default), from archive.db."""
    with ArchiveDB.existing(out) as db:
        return crawl_summary(db, crawl_id)


def crawl_summary(db: ArchiveDB, crawl_id: int | None = None) -> CrawlSummary:
    """``summary`` on an open database: the crawl's row and the archive's counts."""
    row = db.crawl(crawl_id)
    if row is None:
        raise CrawlError(f"no crawl recorded in {db.path.parent}")
    return CrawlSummary.from_row(row, db.counts())
