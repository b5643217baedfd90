"""``arshif extract OUT``: extract the articles a capture-only crawl left for later.

A crawl with ``--capture-only`` writes the WARC files, ``captures`` and ``links`` at the pace of
the network and stores no article. This reads back, by offset, the latest HTML response of every
URL without an article row, and decides and extracts each with the same code and the settings its
crawl recorded, as ``reindex`` does, in the extraction pool. Each article is committed as it comes:
stopped half-way, the next run takes up what is still missing.
"""

from __future__ import annotations

import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .crawl import CrawlError, lock_folder
from .pages.blocks import html_root
from .pages.charset import decode_html, is_html
from .pages.classify import classify
from .pages.extract import extract_article
from .pages.pool import extraction_pool
from .pages.profile import Profile
from .reindex import WINDOW, CrawlSettings
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
    counts = {"pages": 0, "articles": 0}
    try:
        with ArchiveDB.existing(out) as db:
            settings = {crawl_id: CrawlSettings.recorded(recorded) for crawl_id, recorded in db.crawl_settings().items()}
            pending: deque[tuple[Future[dict], dict[str, Any], str]] = deque()

            def drain(limit: int) -> None:
                while len(pending) > limit:
                    future, capture, pattern = pending.popleft()
                    try:
                        article = future.result()
                    except Exception as exc:  # kept with its error, as the crawl keeps it
                        article = {"url": capture["url"], "extract_error": f"{type(exc).__name__}: {exc}"[:500]}
                    db.upsert_article(article, capture=capture, replay_pattern=pattern)
                    counts["articles"] += 1

            with extraction_pool(workers) as pool:
                for capture in db.unextracted_pages():
                    counts["pages"] += 1
                    crawl = settings.get(capture["crawl_id"]) or CrawlSettings()
                    try:
                        body = read_record(out / "warc" / capture["warc_filename"], capture["warc_offset"]).content
                    except Exception as exc:  # noqa: BLE001 - warcio and zlib raise several kinds
                        raise ExtractError(f"cannot read {capture['warc_filename']} at offset "
                                           f"{capture['warc_offset']}: {exc}") from None
                    url, content_type = capture["url"], capture["content_type"]
                    if not is_html(content_type, url, body):
                        continue
                    html = decode_html(body, content_type, url)
                    kinds = set((capture.pop("reached") or "").split(","))
                    reached = "feed" if "feed" in kinds else "article" if "article" in kinds else None
                    if classify(html_root(html), Profile.from_dict(crawl.profile), reached=reached) != "article":
                        continue
                    pending.append((pool.submit(extract_article, html, url, base_date=capture["warc_date"],
                                                profile=crawl.profile), capture, crawl.replay_pattern))
                    drain(WINDOW)
                drain(0)
            db.fill_from_feed()
    finally:
        lock.close()
    return ExtractSummary(counts["pages"], counts["articles"], time.monotonic() - started)
