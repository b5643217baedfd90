"""Rebuild ``archive.db`` from the WARC files alone: the WARCs are the source of truth.

The same code as the crawl decides what a page is and extracts it: records are turned back into
Scrapy responses (content decoded exactly as HttpCompressionMiddleware does), classified with
``crawler.pages.classify``, extracted with ``archive.extract.extract_article`` in a process pool
(both cores), and stored with ``ArchiveDB.upsert_article``. Links come from the metadata records,
crawls from the warcinfo records. Fetches that failed left no WARC record and are not rebuilt.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from scrapy.http import Headers, HtmlResponse
from scrapy.responsetypes import responsetypes

from .charset import page_text
from .dates import parse_iso
from .db import DEFAULT_REPLAY_URL, ArchiveDB
from .extract import extract_article
from .package import warc_files
from .warc import iter_records

WINDOW = 64  # extractions in flight: results are stored in record order, as the crawl stored them


@dataclass
class ReindexSummary:
    records: int
    captures: int
    articles: int
    seconds: float


def response_from_record(record, body: bytes, flags: list[str] | None = None):
    """The Scrapy response the spider saw for this WARC record: ``body`` decoded, Content-Encoding
    gone, the response class chosen as HttpCompressionMiddleware chooses it."""
    headers = Headers([(k, v) for k, v in record.http_headers.headers if k.lower() != "content-encoding"])
    url = record.rec_headers.get_header("WARC-Target-URI")
    cls = responsetypes.from_args(headers=headers, url=url, body=body)
    return cls(url=url, status=int(record.http_headers.get_statuscode()), headers=headers, body=body, flags=flags)


def _iso(warc_date: str) -> str:
    return parse_iso(warc_date).isoformat(timespec="microseconds")


def reindex(out: str | Path, *, workers: int | None = None, replay_pattern: str = DEFAULT_REPLAY_URL,
            profile: dict | None = None) -> ReindexSummary:
    from crawler.pages import classify  # the crawl's own classifier
    from .profile import Profile

    out = Path(out)
    files = warc_files(out)
    started = time.monotonic()
    target = out / "archive.db.reindex"
    for suffix in ("", "-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    db = ArchiveDB(target)
    page_profile = Profile.from_dict(profile)
    crawl_ids: dict[str, int] = {}
    bodies: dict[str, tuple[Path, int]] = {}  # response record id → where to re-read its body
    pending: deque = deque()
    counts = {"records": 0, "captures": 0, "articles": 0}
    crawl_id = None

    def drain(limit: int) -> None:
        while len(pending) > limit:
            future, capture = pending.popleft()
            article = future.result()
            db.upsert_article(article, capture=capture, replay_pattern=replay_pattern)
            counts["articles"] += 1

    pool = ProcessPoolExecutor(workers or os.cpu_count() or 1, mp_context=multiprocessing.get_context("spawn"))
    try:
        for path in files:
            for record in _records(path):
                counts["records"] += 1
                kind = record.rec_type
                headers = record.rec_headers
                if kind == "warcinfo":
                    crawl_id = _crawl_for(db, crawl_ids, record)
                elif kind == "metadata":
                    links = [line.split(" ", 1) for line in _fields(record).get("outlink", [])]
                    db.upsert_links(headers.get_header("WARC-Target-URI"), [(u, k) for u, k in links], crawl_id)
                elif kind == "revisit" and not record.http_headers:
                    # a server-not-modified revisit: no HTTP block; the 304 itself is in a metadata record
                    capture = _capture_row(record, path, crawl_id, None)
                    db.add_capture(capture)
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
                    if body is None or capture["status"] != 200:
                        continue
                    response = response_from_record(record, body)
                    if isinstance(response, HtmlResponse) and classify(response.selector.root, page_profile) == "article":
                        html = page_text(response.body, response.text, response.encoding, response.url)
                        future = pool.submit(extract_article, html, response.url,
                                             base_date=capture["warc_date"], profile=profile)
                        pending.append((future, capture))
                        drain(WINDOW)
        drain(0)
    except BaseException:
        db.close()
        for suffix in ("", "-wal", "-shm"):  # the live archive.db stays as it was
            Path(str(target) + suffix).unlink(missing_ok=True)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    db.close()
    _swap_in(out, target)
    return ReindexSummary(counts["records"], counts["captures"], counts["articles"], time.monotonic() - started)


class ReindexError(Exception):
    pass


def _records(path: Path):
    """The file's records; a damaged file stops the rebuild with its name and the offset."""
    offset = 0
    try:
        for record in iter_records(path):
            offset = record.offset
            yield record
    except Exception as exc:  # warcio and zlib raise several kinds on damaged input
        if isinstance(exc, ReindexError):
            raise
        raise ReindexError(f"{path.name}: damaged after offset {offset} ({str(exc).splitlines()[0][:200]}); "
                           "archive.db left as it was") from None


def _crawl_for(db: ArchiveDB, crawl_ids: dict, record) -> int:
    fields = _fields(record)
    key = (fields.get("isPartOf") or [record.rec_headers.get_header("WARC-Filename")])[0]
    if key not in crawl_ids:
        description = (fields.get("description") or [""])[0]
        start_url = description.removeprefix("Crawl of ")
        settings = (fields.get("arshif-settings") or ["{}"])[0]
        crawl_ids[key] = db.db["crawls"].insert({
            "start_url": start_url, "started_at": _iso(record.rec_headers.get_header("WARC-Date")),
            "settings": settings, "finish_reason": "reindexed"}).last_pk
    return crawl_ids[key]


def _fields(record) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in record.body.decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            out.setdefault(name.strip(), []).append(value.strip())
    return out


def _original_body(where) -> bytes | None:
    if where is None:
        return None
    from .warc import read_record

    return read_record(*where).content


def _capture_row(record, path: Path, crawl_id, body: bytes | None) -> dict:
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


def _swap_in(out: Path, target: Path) -> None:
    live = out / "archive.db"
    if live.exists():
        os.replace(live, out / "archive.db.bak")
    for suffix in ("-wal", "-shm"):
        Path(str(live) + suffix).unlink(missing_ok=True)
    os.replace(target, live)
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
