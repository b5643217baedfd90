"""``arshif extract OUT``: extract the articles a capture-only crawl left for later.

A crawl with ``--capture-only`` writes the WARC files, ``captures`` and ``links`` at the pace of
the network and stores no article. This reads back, by offset, the latest HTML response of every
URL without an article row, and decides and extracts each with the same code and the settings its
crawl recorded, as ``reindex`` does, in the extraction pool. Each article is committed as it comes:
stopped half-way, the next run takes up what is still missing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from .calibration import calibrate
from .crawl import CrawlError, lock_folder
from .pages.classify import reached_by
from .reindex import ArticleExtractor, CrawlSettings
from .store import ArchiveDB
from .warc import read_record


class ExtractError(Exception):
    pass


@dataclass
class ExtractSummary:
    pages: int  # pages looked at
    articles: int  # articles stored
    seconds: float


def extract_missing(out: str | Path, *, workers: int | None = None) -> ExtractSummary:
    out = Path(out)
    try:
        lock = lock_folder(out)
    except CrawlError:
        raise ExtractError(f"a crawl is writing to {out}: extract once it has finished") from None
    started = time.monotonic()
    pages = 0
    try:
        with ArchiveDB.existing(out) as db, ArticleExtractor(db, workers) as extractor:
            settings = {crawl_id: CrawlSettings.recorded(recorded) for crawl_id, recorded in db.crawl_settings().items()}
            for capture in db.unextracted_pages():
                pages += 1
                try:
                    body = read_record(out / "warc" / capture["warc_filename"], capture["warc_offset"]).content
                except Exception as exc:  # noqa: BLE001 - warcio and zlib raise several kinds
                    raise ExtractError(f"cannot read {capture['warc_filename']} at offset "
                                       f"{capture['warc_offset']}: {exc}") from None
                reached = reached_by(set((capture.pop("reached") or "").split(",")),
                                     feed_item=bool(capture.pop("feed_item")))
                extractor.offer(body, capture, settings.get(capture["crawl_id"]) or CrawlSettings(), reached)
            extractor.drain()
            calibrate(db, out, workers=workers)
            db.fill_from_feed()
    finally:
        lock.close()
    return ExtractSummary(pages, extractor.stored, time.monotonic() - started)
