"""Rebuild ``archive.db`` from the WARC files alone: the WARCs are the source of truth.

The same code as the crawl decides what a page is and extracts it: each response's content is
decoded as the crawl decoded it (``pages.charset``), classified with ``pages.classify``, extracted
with ``pages.extract`` in a process pool (both cores), and stored with ``ArchiveDB.upsert_article``.
Links come from the metadata records, crawls from the warcinfo records, and so do the settings each
crawl ran with: its profile and its replay URL pattern are used again unless overridden. Fetches
that failed left no WARC record and are not rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections import Counter, deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from lxml import etree
from warcio.recordloader import ArcWarcRecord

from .arabic.dates import parse_iso
from .crawl import CrawlError, CrawlSummary, health_stats, latest_crawl, lock_folder
from .pages.archived import ArchivedPage, extract_archived
from .pages.charset import is_html
from .pages.classify import reached_by
from .pages.extract import failed_article
from .pages.feeds import FeedEntry
from .pages.pool import extraction_pool
from .store import DEFAULT_REPLAY_URL, ArchiveDB, StoreError
from .warc import iter_records, read_record, repair_open_file, warc_files

Batched = tuple[ArchivedPage, dict[str, Any], str, str | None]
WINDOW = 64  # pages in flight: results are stored in record order, as the crawl stored them
BATCH = 8  # pages per hand-off to a worker: a submission wakes the pool's threads, whose GIL the reader waits for


@dataclass
class ReindexSummary:
    records: int
    captures: int  # archived captures in the rebuilt database
    articles: int
    seconds: float
    backup: Path | None = None  # where the old archive.db went
    missing: list[str] = field(default_factory=list)  # WARC files referred to but absent (--allow-missing)
    lost: dict[str, int] = field(default_factory=dict)  # how many captures/articles fewer than before
    latest: CrawlSummary | None = None  # the latest crawl's figures and health, as rebuilt


class ArticleExtractor:
    """Decide and extract archived pages in the extraction pool, storing the articles in the order
    they were offered (as the crawl stored them), at most WINDOW in flight. ``reindex`` and
    ``arshif extract`` both use it. The workers decode, parse, classify and extract
    (``pages.archived``): this process only reads the WARC files and stores the rows."""

    def __init__(self, db: ArchiveDB, workers: int | None = None, *, keep_failed: bool = True) -> None:
        self.db, self.pool, self.stored = db, extraction_pool(workers), 0
        self.stored_by_crawl: Counter[int | None] = Counter()  # articles stored, by the crawl of their capture
        # False when re-extracting stored articles (calibration): a failure leaves the row as it was
        self.keep_failed = keep_failed
        # (page, its capture row, replay pattern, the rules_of key a non-article is marked with)
        self.batch: list[Batched] = []
        self.pending: deque[tuple[Future[list[dict | None]], list[Batched]]] = deque()
        self.in_flight = 0

    def offer(self, body: bytes, capture: dict[str, Any], settings: CrawlSettings, reached: str | None,
              rules: str | None = None) -> None:
        """A 200 response's body: extracted and stored if it is an article page; else marked read
        under the rules that decided (``rules``: ``rules_of``, when the caller has it already)."""
        if is_html(capture["content_type"], capture["url"], body):
            page = ArchivedPage(capture["url"], body, capture["content_type"], reached, False,
                                self._options(capture, settings))
            self._add(page, capture, settings, rules or self.rules_of(settings, reached))

    @staticmethod
    def rules_of(settings: CrawlSettings, reached: str | None) -> str:
        """What decided whether a page is an article, as one short key: the crawl's rules (its
        profile, the selectors learned from the feed, the domains its canonical links may name),
        how the crawl reached the page, and the code that reads pages (``reader_revision``)."""
        decided = [reader_revision(), settings.profile, settings.learned, list(settings.allowed_domains), reached]
        return hashlib.sha1(json.dumps(decided, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:20]

    def extract(self, html: str, capture: dict[str, Any], settings: CrawlSettings) -> None:
        """Extract and store a page already known to be an article."""
        self._add(ArchivedPage(capture["url"], html, known_article=True, options=self._options(capture, settings)),
                  capture, settings)

    @staticmethod
    def _options(capture: dict[str, Any], settings: CrawlSettings) -> dict[str, Any]:
        return {"base_date": capture["warc_date"], "profile": settings.profile,
                "allowed_domains": settings.allowed_domains, "learned": settings.learned}

    def _add(self, page: ArchivedPage, capture: dict[str, Any], settings: CrawlSettings,
             rules: str | None = None) -> None:
        self.batch.append((page, capture, settings.replay_pattern, rules))
        if len(self.batch) >= BATCH:
            self._submit()
            self.drain(WINDOW)

    def _submit(self) -> None:
        if self.batch:
            batch, self.batch = self.batch, []
            self.pending.append((self.pool.submit(extract_archived, [page for page, _, _, _ in batch]), batch))
            self.in_flight += len(batch)

    def drain(self, limit: int = 0) -> None:
        """Store results, oldest first, until at most ``limit`` pages are in flight."""
        if not limit:
            self._submit()
        while self.pending and self.in_flight > limit:
            future, batch = self.pending.popleft()
            self.in_flight -= len(batch)
            try:
                articles = future.result()
            except Exception as exc:  # the pool itself broke: each page is kept, with the error, as in the crawl
                articles = [failed_article(page.url, exc) for page, _, _, _ in batch]
            for article, (_, capture, pattern, rules) in zip(articles, batch, strict=True):
                if article is None and rules:  # offered, and no article: marked (extract() pages are articles)
                    self.db.mark_read(capture["id"], rules)
                if article is None or ("extract_error" in article and not self.keep_failed):
                    continue
                self.db.upsert_article(article, capture=capture, replay_pattern=pattern)
                self.stored += 1
                self.stored_by_crawl[capture["crawl_id"]] += 1

    def __enter__(self) -> "ArticleExtractor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


@lru_cache(maxsize=1)
def reader_revision() -> str:
    """The code that decides what a page is, as a digest of its source (``archive/pages`` and
    ``archive/arabic``) and of libxml2's version: the package version does not move with each change."""
    digest = hashlib.sha1(".".join(map(str, etree.LIBXML_VERSION)).encode())
    root = Path(__file__).resolve().parent
    for path in sorted([*(root / "pages").rglob("*.py"), *(root / "arabic").rglob("*.py")]):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:20]


def _iso(warc_date: str) -> str:
    return parse_iso(warc_date).isoformat(timespec="microseconds")


@dataclass
class CrawlSettings:
    """What a crawl's extraction depended on, as recorded in its warcinfo records."""
    replay_pattern: str = DEFAULT_REPLAY_URL
    profile: dict[str, str] = field(default_factory=dict)
    allowed_domains: tuple[str, ...] = ()  # hosts beside the page's own a rel=canonical may name
    learned: dict[str, str] = field(default_factory=dict)  # rules learned from the feed: they fill only

    @classmethod
    def recorded(cls, settings: dict, *, replay_pattern: str | None = None,
                 profile: dict[str, str] | None = None) -> "CrawlSettings":
        """The crawl's own settings, each overridden by an explicit option when given."""
        domains = settings.get("ARSHIF_ALLOW_DOMAINS") or ()
        return cls(replay_pattern or settings.get("ARSHIF_REPLAY_URL") or DEFAULT_REPLAY_URL,
                   dict(profile if profile is not None else settings.get("ARSHIF_PROFILE_SELECTORS") or {}),
                   tuple(str(d) for d in domains) if isinstance(domains, list) else (),
                   dict(settings.get("ARSHIF_LEARNED_SELECTORS") or {}))


def reindex(out: str | Path, *, workers: int | None = None, replay_pattern: str | None = None,
            profile: dict[str, str] | None = None, allow_missing: bool = False) -> ReindexSummary:
    """Rebuild ``out/archive.db`` from ``out/warc``. Each crawl's articles are extracted with that
    crawl's recorded profile and replay URL pattern; ``replay_pattern`` or ``profile`` override them
    for every crawl.

    Nothing archived is lost: the rebuild holds the folder's lock (no crawl writes meanwhile), stops
    before it starts when a WARC file the database refers to is missing, and never replaces the
    database with one holding fewer archived captures or articles, unless ``allow_missing``. The old
    database is kept as a numbered backup (``archive.db.bak.N``), never overwritten."""
    out = Path(out)
    try:
        lock = lock_folder(out)
    except CrawlError:
        raise ReindexError(f"a crawl is writing to {out}: reindex once it has finished; archive.db left as it was") from None
    try:
        started = time.monotonic()
        for leftover in sorted((out / "warc").glob("*.warc.gz.open")):  # a crashed crawl's: keep its whole records
            repair_open_file(leftover)
        files = warc_files(out)
        before = _live_counts(out)
        missing = sorted(set(before.get("warc_files", ())) - {f.name for f in files})
        if missing and not allow_missing:
            raise ReindexError(f"{len(missing)} WARC file(s) that archive.db refers to are missing from {out / 'warc'} "
                               f"({', '.join(missing[:3])}{', …' if len(missing) > 3 else ''}); archive.db left as it was "
                               "(--allow-missing rebuilds from what remains)")
        target = out / "archive.db.reindex"
        counts = _rebuild(files, out, target, workers=workers, replay_pattern=replay_pattern, profile=profile)
        with ArchiveDB(target) as db:
            after = db.counts()
            latest = latest_crawl(db)[1] if db.crawl() else None
        lost = {k: before[k] - after[k] for k in ("captures", "articles") if k in before and after[k] < before[k]}
        if lost and not allow_missing:
            raise ReindexError(f"the rebuilt database would hold fewer {' and '.join(lost)} than archive.db "
                               f"({', '.join(f'{after[k]} < {before[k]}' for k in lost)}); archive.db left as it was, "
                               f"the rebuild is in {target.name} (--allow-missing replaces it anyway)")
        backup = _swap_in(out, target)
    finally:
        lock.close()
    return ReindexSummary(counts["records"], after["captures"], after["articles"], time.monotonic() - started,
                          backup=backup, missing=missing, lost=lost, latest=latest)


def _live_counts(out: Path) -> dict:
    """What the live archive.db holds (archived captures, articles, WARC files referred to); {} if it
    is absent or too damaged to read."""
    if not (out / "archive.db").exists():
        return {}
    try:
        with ArchiveDB(out / "archive.db") as db:
            return {**db.counts(), "warc_files": db.warc_filenames()}
    except (StoreError, sqlite3.Error):
        return {}


def _rebuild(files: list[Path], out: Path, target: Path, *, workers: int | None, replay_pattern: str | None,
             profile: dict[str, str] | None) -> dict[str, int]:
    """Write a new database at ``target`` from the WARC ``files``; return what was read."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    db = ArchiveDB(target)
    linked, feed_entries = _feeds(files)  # how the crawl reached a page is evidence for what it is
    feed_items = {entry.url for entry in feed_entries}  # as the crawl's: the pages a feed's entry names
    crawls: dict[str, tuple[int, CrawlSettings]] = {}
    settings = CrawlSettings.recorded({}, replay_pattern=replay_pattern, profile=profile)
    bodies: dict[str, tuple[Path, int]] = {}  # response record id → where to re-read its body
    counts = {"records": 0, "captures": 0, "articles": 0}
    warc_bytes: Counter[int] = Counter()  # each crawl's WARC files, on disk
    crawl_id = None
    try:
        with ArticleExtractor(db, workers) as extractor:
            for path in files:
                for record in _records(path):
                    counts["records"] += 1
                    kind = record.rec_type
                    headers = record.rec_headers
                    if kind == "warcinfo":
                        crawl_id, settings = _crawl_for(db, crawls, record, replay_pattern, profile)
                    elif kind == "metadata":
                        links = [line.split(" ", 1) for line in _fields(record).get("outlink", [])]
                        db.upsert_links(headers.get_header("WARC-Target-URI"), [(u, k) for u, k in links], crawl_id)
                    elif kind == "revisit" and not record.http_headers:
                        # a server-not-modified revisit: no HTTP block; the 304 itself is in a metadata record
                        db.add_capture(_capture_row(record, path, crawl_id, None))
                        counts["captures"] += 1
                    elif kind in ("response", "revisit") and record.http_headers:
                        record_id = headers.get_header("WARC-Record-ID")
                        if kind == "response":
                            body = record.body
                            bodies[record_id] = (path, record.offset)
                        else:
                            body = _original_body(bodies.get(headers.get_header("WARC-Refers-To")))
                        capture = _capture_row(record, path, crawl_id, body)
                        capture["id"] = db.add_capture(capture)
                        counts["captures"] += 1
                        if body is not None and capture["status"] == 200:
                            url = capture["url"]
                            reached = reached_by(linked.get(url, set()), feed_item=url in feed_items)
                            extractor.offer(body, capture, settings, reached)
                if crawl_id is not None:
                    warc_bytes[crawl_id] += path.stat().st_size
            extractor.drain()
            counts["articles"] = extractor.stored
        db.add_feed_entries(feed_entries)  # what pages lacked, from the blog's feed, as the crawl did
        # the profile learned from the feed fills what the heuristics missed, as at the crawl's end
        from .calibration import calibrate  # calibration re-extracts with this module's ArticleExtractor
        figures = calibrate(db, out, profile=profile, workers=workers)
        figures.update(db.fill_from_feed())
        # Each crawl's figures, as far as its WARC files keep them: the report and the summary are
        # drawn from these (none recorded reads as a crawl killed before its end)
        for rebuilt, _ in crawls.values():
            db.update_crawl_stats(rebuilt, {**db.capture_figures(rebuilt), "arshif/warc_bytes": warc_bytes[rebuilt],
                                            "arshif/articles": extractor.stored_by_crawl[rebuilt],
                                            **health_stats(db, rebuilt, figures)})
    except BaseException:
        db.close()
        for suffix in ("", "-wal", "-shm"):  # the live archive.db stays as it was
            Path(str(target) + suffix).unlink(missing_ok=True)
        raise
    db.close()
    return counts


class ReindexError(Exception):
    pass


def _records(path: Path, kinds: tuple[str, ...] | None = None) -> Iterator[ArcWarcRecord]:
    """The file's records (of WARC-Types ``kinds``); a damaged file stops the rebuild with its name
    and the offset."""
    offset = 0
    try:
        for record in iter_records(path, kinds):
            offset = record.offset
            yield record
    except Exception as exc:  # warcio and zlib raise several kinds on damaged input
        raise ReindexError(f"{path.name}: damaged after offset {offset} ({str(exc).splitlines()[0][:200]}); "
                           "archive.db left as it was") from None


def _crawl_for(db: ArchiveDB, crawls: dict[str, tuple[int, CrawlSettings]], record: ArcWarcRecord,
               replay_pattern: str | None, profile: dict[str, str] | None) -> tuple[int, CrawlSettings]:
    """The crawl a warcinfo record opens a file of (a crawls row, added the first time), and the
    settings its articles are extracted with."""
    fields = _fields(record)
    description = (fields.get("description") or [""])[0]
    recorded = (fields.get("arshif-settings") or ["{}"])[0]
    # isPartOf (arshif-crawl-N) is unique in one folder only: in a merge of folders (`arshif merge`)
    # each folder's first crawl is arshif-crawl-1, and only its machine, start URL and settings tell
    # them apart. Files of one crawl share all four.
    part_of = (fields.get("isPartOf") or [record.rec_headers.get_header("WARC-Filename")])[0]
    key = "\n".join((part_of, (fields.get("hostname") or [""])[0], description, recorded))
    if key not in crawls:
        try:
            settings = json.loads(recorded)
        except ValueError:
            settings = {}
        crawl_id = db.add_crawl({
            "start_url": description.removeprefix("Crawl of "),
            "started_at": _iso(record.rec_headers.get_header("WARC-Date")),
            "settings": recorded, "finish_reason": "reindexed"})
        crawls[key] = crawl_id, CrawlSettings.recorded(settings if isinstance(settings, dict) else {},
                                                       replay_pattern=replay_pattern, profile=profile)
    return crawls[key]


def _feeds(files: list[Path]) -> tuple[dict[str, set[str]], list[FeedEntry]]:
    """{URL: the kinds of link that led to it} and the feeds' items, from the metadata records the
    crawl wrote beside each page (the links table the crawl kept, before the rebuild has one)."""
    linked: dict[str, set[str]] = {}
    entries: list[FeedEntry] = []  # every feed's, in order: add_feed_entries decides between them
    for path in files:
        for record in _records(path, kinds=("metadata",)):
            fields = _fields(record)
            for to, _, kind in (line.partition(" ") for line in fields.get("outlink", [])):
                linked.setdefault(to, set()).add(kind)
            for line in fields.get("arshif-feed-entry", []):
                entries.append(FeedEntry.from_dict(json.loads(line)))
    return linked, entries


def _fields(record: ArcWarcRecord) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in record.body.decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            out.setdefault(name.strip(), []).append(value.strip())
    return out


def _original_body(where: tuple[Path, int] | None) -> bytes | None:
    return read_record(*where).content if where is not None else None


def _capture_row(record: ArcWarcRecord, path: Path, crawl_id: int | None, body: bytes | None) -> dict:
    headers, http = record.rec_headers, record.http_headers
    warc_date = headers.get_header("WARC-Date")
    status = int(http.get_statuscode()) if http else 304  # only server-not-modified revisits lack HTTP headers
    return {"crawl_id": crawl_id, "url": headers.get_header("WARC-Target-URI"), "method": "GET",
            "fetched_at": _iso(warc_date), "status": status,
            "content_type": http.get_header("Content-Type") if http else None,
            "content_length": len(body) if body is not None else None, "warc_filename": path.name,
            "warc_offset": record.offset, "warc_length": record.length, "warc_record_id": headers.get_header("WARC-Record-ID"),
            "payload_digest": headers.get_header("WARC-Payload-Digest"), "record_type": record.rec_type,
            "warc_date": warc_date, "refers_to": headers.get_header("WARC-Refers-To")}


def _swap_in(out: Path, target: Path) -> Path | None:
    """Put the rebuilt database in place; the live one becomes the next numbered backup."""
    live, backup = out / "archive.db", None
    if live.exists():
        backup = _next_backup(out)
        os.replace(live, backup)
    for suffix in ("-wal", "-shm"):
        Path(str(live) + suffix).unlink(missing_ok=True)
    os.replace(target, live)
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    return backup


def _next_backup(out: Path) -> Path:
    numbers = [int(p.name.rsplit(".", 1)[1]) for p in out.glob("archive.db.bak.*") if p.name.rsplit(".", 1)[1].isdigit()]
    return out / f"archive.db.bak.{max(numbers, default=0) + 1}"
