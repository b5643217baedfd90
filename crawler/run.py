"""One crawl's output: the WARC writer and the database under ARSHIF_OUT, shared by the capture
middleware, the pipelines and the extension of the same crawler (``ArchiveRun.of(crawler)``)."""

from __future__ import annotations

import errno
import json
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro

from archive import __version__
from archive.calibration import PROFILE_FILE, calibrate
from archive.crawl import claim_dead_workers, health_stats
from archive.pages.feeds import FeedEntry
from archive.pages.profile import Profile
from archive.store import ArchiveDB
from archive.warc import (
    REVISIT_IDENTICAL,
    REVISIT_NOT_MODIFIED,
    HttpExchange,
    Original,
    WarcWriter,
    payload_digest,
    read_record,
    repair_open_file,
)

from .responses import response_from_record

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.http.headers import Headers
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

# Captures and links rows are committed once a second, not once a page (a commit cost more than
# the page's inserts); the WARC, written first, stays the source of truth.
COMMIT_INTERVAL = 1.0
# Settings worth recording with each crawl (in the crawls table and every warcinfo record).
RECORDED_SETTINGS = ("USER_AGENT", "ROBOTSTXT_OBEY", "AUTOTHROTTLE_ENABLED", "DOWNLOAD_DELAY",
                     "CONCURRENT_REQUESTS_PER_DOMAIN", "ARSHIF_ALLOW_DOMAINS", "ARSHIF_PROFILE",
                     "ARSHIF_WARC_MAX_SIZE", "ARSHIF_WARC_PREFIX", "ARSHIF_CONTACT", "ARSHIF_OPERATOR",
                     "ARSHIF_DEDUP", "ARSHIF_FULL", "ARSHIF_REPLAY_URL", "ARSHIF_JOB", "ARSHIF_JOB_RUN", "ARSHIF_WORKER")
# Besides, the profile's selectors themselves (ARSHIF_PROFILE_SELECTORS): the file may change or go,
# and `arshif reindex` must extract as the crawl did; and so the rules learned from the feed by an
# earlier crawl (OUT/profile.toml) that this one fills with (ARSHIF_LEARNED_SELECTORS).


def _header_pairs(headers: Headers) -> list[tuple[str, str]]:
    """Every value of every header (repeated Set-Cookie included), as text."""
    return [(name.decode("latin-1"), value.decode("latin-1"))
            for name, values in headers.items() for value in values]


# How this crawl relates to the last one into the same folder, by how that one ended:
# first; after-crash (it was killed: its picture of the blog is partial, so the blog is walked
# again, whole); after-pause (Ctrl-C: Scrapy's JOBDIR continues it); otherwise incremental.
# ARSHIF_FULL makes any crawl "full".
_MODES = {None: "first", "crashed": "after-crash", "shutdown": "after-pause"}


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


class ArchiveRun:
    def __init__(self, out: str, start_url: str, recorded: dict, *, dedup: bool = True, full: bool = False,
                 warc_prefix: str = "ARSHIF", warc_max_size: int = 10**9, stats: StatsCollector | None = None,
                 worker: str = "", job_mode: str = "") -> None:
        self.out = Path(out)
        self.recorded = recorded
        self.out.mkdir(parents=True, exist_ok=True)
        self.stats, self.dedup = stats, dedup
        # In a job, workers share OUT: each repairs only what a dead worker left, never a live one's file.
        dead: list[str] | None = None
        if worker:
            dead = self.repair_dead_workers()
        else:
            self.repair_leftovers()
        # Workers of a job share archive.db: a write transaction held for a second at a time starved
        # a joining worker's first writes until the others had finished the job. They commit per page.
        self.db = ArchiveDB(self.out / "archive.db", commit_interval=0 if worker else COMMIT_INTERVAL)
        # What earlier crawls into this folder left: a re-crawl is incremental unless ARSHIF_FULL;
        # either way the known articles are checked at the end, so deleted ones are found. Looked
        # up in archive.db as needed (payload digests, validators too): memory stays flat however
        # big the archive grows.
        self.known = self.db.known_articles()
        last_state = self.db.last_crawl_state()
        self.conditional = not full and last_state is not None
        # A job's mode is decided once, by the worker that seeded it: to the others the seeder's
        # unfinished crawl would look like a crash.
        self.mode = job_mode or ("full" if full else _MODES.get(last_state, "incremental"))
        self.db.mark_interrupted_crawls(workers=dead)  # a crawl with no finish time was killed: say so
        self.crawl_id = self.db.start_crawl(start_url, recorded)
        if stats is not None:
            stats.set_value("arshif/mode", self.mode)
        info = {"software": f"Arshif/{__version__} (Scrapy; warcio)", "operator": recorded.get("ARSHIF_OPERATOR"),
                "http-header-user-agent": recorded.get("USER_AGENT"),
                "robots": "obey" if recorded.get("ROBOTSTXT_OBEY") else "ignore",
                "isPartOf": f"arshif-crawl-{self.crawl_id}", "description": f"Crawl of {start_url}",
                "arshif-settings": recorded}
        # A worker's id (host-pid) names its WARC files, so workers sharing OUT never write one file
        self.warc = WarcWriter(self.out / "warc", prefix=warc_prefix, max_size=warc_max_size, info=info,
                               hostname=worker or None)
        self.closed = False
        self.fatal: str | None = None  # set when writing the archive failed (storage_failed)
        self.crawler: Crawler | None = None

    def repair_leftovers(self, pattern: str = "*.warc.gz.open") -> None:
        """A crash leaves ``.warc.gz.open`` files: keep their complete records, cut the rest."""
        for path in sorted((self.out / "warc").glob(pattern)):
            final, kept, cut = repair_open_file(path)
            logger.warning("repaired %s: %d complete records kept, %d bytes of a cut-off record removed",
                           final.name, kept, cut)

    def repair_dead_workers(self) -> list[str]:
        """The ``.open`` files of workers that died in this folder (their lock is free); returns them."""
        dead = []
        for worker, lock in claim_dead_workers(self.out):
            self.repair_leftovers(f"*-{worker}.warc.gz.open")
            dead.append(worker)
            lock.unlink()
        return dead

    @classmethod
    def of(cls, crawler: Crawler) -> "ArchiveRun":
        run = getattr(crawler, "_arshif_run", None)
        if run is None:
            s = crawler.settings
            if not s.get("ARSHIF_OUT"):  # another spider run in this project: archive nothing, least of all here
                raise NotConfigured("ARSHIF_OUT is not set")
            recorded = {name: s.get(name) for name in RECORDED_SETTINGS}
            recorded["ARSHIF_ALLOW_DOMAINS"] = s.getlist("ARSHIF_ALLOW_DOMAINS")
            profile = getattr(crawler.spider, "profile", None)
            recorded["ARSHIF_PROFILE_SELECTORS"] = user = dict(profile.selectors) if profile else {}
            learned = Profile.learned(Path(s.get("ARSHIF_OUT")) / PROFILE_FILE).selectors
            recorded["ARSHIF_LEARNED_SELECTORS"] = {k: v for k, v in learned.items() if k not in user}
            start_url = getattr(crawler.spider, "start_url", None) or ""
            recorded["ARSHIF_START_URLS"] = list(getattr(crawler.spider, "start_urls_all", None) or [start_url])
            run = cls(s.get("ARSHIF_OUT"), start_url, recorded, dedup=s.getbool("ARSHIF_DEDUP", True),
                      full=s.getbool("ARSHIF_FULL"), warc_prefix=s.get("ARSHIF_WARC_PREFIX"),
                      warc_max_size=s.getint("ARSHIF_WARC_MAX_SIZE"), stats=crawler.stats,
                      worker=s.get("ARSHIF_WORKER"), job_mode=s.get("ARSHIF_JOB_MODE"))
            crawler._arshif_run = run  # type: ignore[attr-defined]
            run.crawler = crawler
            crawler.signals.connect(run._spider_closed, signal=signals.spider_closed)
        return run

    # --- captures -----------------------------------------------------------------------------------
    # --- storage that fails: a full disk, an I/O error ------------------------------------------------
    def storage_failed(self, exc: BaseException, where: str) -> None:
        """Writing the archive failed: stop the crawl at once. What was written stays valid (the WARC
        ends at its last whole record) and the next run resumes; ``fatal`` is the one line for the user."""
        if self.fatal:
            return
        full = getattr(exc, "errno", None) == errno.ENOSPC or "full" in str(exc).lower()
        self.fatal = f"{'no space left on device' if full else exc} writing {where}"
        if self.stats:
            self.stats.set_value("arshif/storage_error", self.fatal)
        if self.crawler is not None and self.crawler.engine is not None:
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="storage-failed"))

    @contextmanager
    def storing(self, where: str) -> Iterator[None]:
        """Around every write to the archive: a failure stops the crawl instead of spreading."""
        try:
            yield
        except (OSError, sqlite3.Error) as exc:
            self.storage_failed(exc, where)

    # --- captures -----------------------------------------------------------------------------------
    def capture(self, request: Request, response: Response) -> dict | None:
        """Write the exchange to the WARC and its row to ``captures``; return the row (None once
        storage has failed)."""
        if self.fatal:
            return None
        row = None
        with self.storing(str(self.warc.folder / (self.warc.filename or ""))):
            row = self._capture(request, response)
        return row

    def _capture(self, request: Request, response: Response) -> dict:
        parts = urlsplit(request.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request_headers = _header_pairs(request.headers)
        if not any(name.lower() == "host" for name, _ in request_headers):
            request_headers.insert(0, ("Host", parts.netloc))
        now = datetime.now(timezone.utc)
        digest = payload_digest(response.body)  # once: for dedup here, and as the record's header
        exchange = HttpExchange(
            url=request.url, method=request.method, target=target, request_headers=request_headers,
            request_body=request.body or b"", protocol=response.protocol or "HTTP/1.1", status=response.status,
            response_headers=_header_pairs(response.headers), response_body=response.body,
            ip_address=str(response.ip_address) if response.ip_address else None, fetched_at=now,
            payload_digest=digest)
        original, profile = self._original_of(request.url, response, digest)
        truncated = ("length" if "arshif-truncated" in response.flags
                     else "disconnect" if "dataloss" in response.flags else None)
        ref = self.warc.write_exchange(exchange, original=original, profile=profile, truncated=truncated)
        row = {"crawl_id": self.crawl_id, "url": request.url, "method": request.method,
               "fetched_at": now.isoformat(timespec="microseconds"), "status": response.status,
               "content_type": (response.headers.get(b"Content-Type") or b"").decode("latin-1") or None,
               "content_length": len(response.body), "warc_filename": ref.filename, "warc_offset": ref.offset,
               "warc_length": ref.length, "warc_record_id": ref.record_id, "payload_digest": ref.payload_digest,
               "record_type": ref.record_type, "warc_date": ref.date,
               "refers_to": original.record_id if original else None,
               "etag": _header(response, b"ETag"), "last_modified": _header(response, b"Last-Modified")}
        row["id"] = self.db.add_capture(row)
        if self.stats:
            self.stats.inc_value("arshif/captures")
            if original:
                self.stats.inc_value("arshif/revisits")
            self.stats.set_value("arshif/warc_bytes", self.warc.bytes_written)
        return row

    def _original_of(self, url: str, response: Response, digest: str) -> tuple[Original | None, str]:
        """The earlier capture this response repeats, if any, and the revisit profile to use."""
        if not self.dedup:
            return None, REVISIT_IDENTICAL
        if response.status == 304:  # answer to a conditional request: the body is the last capture's
            last = self.db.last_response(url)
            if last:
                return (Original(url, last["warc_date"], last["warc_record_id"], last["payload_digest"]),
                        REVISIT_NOT_MODIFIED)
            return None, REVISIT_IDENTICAL
        if response.status != 200 or not response.body or {"dataloss", "arshif-truncated"} & set(response.flags):
            return None, REVISIT_IDENTICAL
        if first := self.db.archived_payload(digest):  # this crawl's captures included
            uri, date, record_id = first
            return Original(uri, date, record_id, digest), REVISIT_IDENTICAL
        return None, REVISIT_IDENTICAL

    def validator(self, url: str) -> tuple[str | None, str | None] | None:
        """(ETag, Last-Modified) of ``url``'s last capture by an earlier crawl into OUT, if any."""
        return self.db.validator(url, self.crawl_id) if self.conditional else None

    def archived_copy(self, url: str) -> Response | None:
        """The last full response archived for ``url``, rebuilt as the Scrapy response it was, or None."""
        last = self.db.last_response(url)
        if last is None:
            return None
        try:
            record = read_record(self.out / "warc" / last["warc_filename"], last["warc_offset"])
        except (OSError, ValueError):
            return None
        return response_from_record(record, flags=["archived-copy"])

    def failure(self, request: Request, exception: BaseException) -> dict:
        """A fetch that got no response: recorded with its error, the crawl goes on."""
        row = {"crawl_id": self.crawl_id, "url": request.url, "method": request.method,
               "fetched_at": datetime.now(timezone.utc).isoformat(timespec="microseconds"),
               "error": f"{type(exception).__name__}: {exception}"[:500]}
        if self.fatal:
            return row
        with self.storing(str(self.db.path)):
            row["id"] = self.db.add_capture(row)
        if self.stats:
            self.stats.inc_value("arshif/failures")
        return row

    def write_outlinks(self, url: str, kind: str, capture: dict | None, links: list[tuple[str, str]],
                       feed_entries: list[FeedEntry] | None = None) -> None:
        """A ``metadata`` record beside the page's response: its outlinks and how each was classified,
        and for a feed its items (what ``reindex`` needs to fill in what pages lack, as the crawl did)."""
        if not capture or not capture.get("warc_record_id"):
            return
        fields: dict[str, list[str] | str] = {"arshif-page-kind": kind,
                                              "outlink": [f"{to} {link_kind}" for to, link_kind in links]}
        if feed_entries:
            fields["arshif-feed-entry"] = [json.dumps(e.as_dict(), ensure_ascii=False) for e in feed_entries]
        if not self.fatal:
            with self.storing(str(self.warc.folder / (self.warc.filename or ""))):
                self.warc.write_metadata(url, capture["warc_record_id"], fields)

    # --- end ------------------------------------------------------------------------------------
    @property
    def learned(self) -> dict[str, str]:
        """The rules an earlier crawl learned from the feed (OUT/profile.toml), less the user's keys:
        extraction fills what the heuristics miss with them."""
        return dict(self.recorded.get("ARSHIF_LEARNED_SELECTORS") or {})

    def _calibrate(self) -> dict[str, int]:
        """Learn the profile from the feed items' pages and fill what the heuristics missed (not in a
        capture-only crawl: `arshif extract` calibrates once it has extracted)."""
        settings = self.crawler.settings if self.crawler is not None else None
        if settings is None or not settings.getbool("ARSHIF_EXTRACT", True) or self.fatal:
            return {}
        workers = settings.getint("ARSHIF_EXTRACT_WORKERS") or None
        try:
            return calibrate(self.db, self.out, workers=workers if workers and workers > 0 else None)
        except (OSError, sqlite3.Error):
            raise  # storage: `storing` stops the crawl as for any write
        except Exception as exc:  # noqa: BLE001 - the crawl's archive stands without it: say so, go on
            logger.warning("calibration from the feed failed (%s: %s); the crawl's articles are kept as extracted",
                           type(exc).__name__, exc)
            return {"calibration_failed": 1}

    def _finishes_the_archive(self, stats: dict) -> bool:
        """Calibration and the feed fill read and rewrite the whole archive.db: in a job, only the
        last worker to leave it runs them, once, with every other worker's rows in (each worker
        running them at its own end would redo them N times, on a part of the archive)."""
        work = getattr(self.crawler, "_arshif_job", None)  # crawler.jobs.JobWork, in a job's worker
        return work is None or work.leave(stats.get("arshif/captures", 0))

    def _spider_closed(self, spider: Spider, reason: str) -> None:
        self.close(reason)

    def close(self, reason: str | None = None) -> None:
        if self.closed:
            return
        self.closed = True
        self.warc.close()  # each file ends at its last whole record, even after a failed write
        stats = dict(self.stats.get_stats()) if self.stats else {}
        stats["arshif/warc_bytes"] = self.warc.bytes_written
        # On a full disk this may fail too: the crawl then has no recorded end, and the next run
        # treats it as interrupted (it walks the blog again, cheaply).
        with self.storing(str(self.db.path)):
            calibrated: dict[str, int] = {}
            fed: dict[str, int] = {}
            if self._finishes_the_archive(stats):
                calibrated = self._calibrate()
                fed = self.db.fill_from_feed(self.crawl_id)
            stats.update(health_stats(self.db, self.crawl_id, {**fed, **calibrated}))
            self.db.finish_crawl(self.crawl_id, stats,
                                 "storage-failed" if self.fatal else reason)
        try:
            self.db.close()
        except sqlite3.Error:
            pass
