"""Item pipelines: extraction (in worker processes), then storage.

Extraction (trafilatura, ~10 ms of CPU a page) runs in a process pool so that it neither stalls
the Twisted reactor nor competes with it for one core; fetching goes on while pages are extracted.
"""

from __future__ import annotations

import asyncio
import logging
import os
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured

from archive.pages.extract import extract_for_store, failed_article
from archive.pages.pool import extraction_pool

from .items import PageItem
from .run import ArchiveRun

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


class ExtractPipeline:
    def __init__(self, workers: int, profile: dict, stats: StatsCollector, allowed_domains: tuple[str, ...] = (),
                 learned: dict | None = None) -> None:
        self.workers, self.profile, self.stats = workers, profile, stats
        self.learned = learned or {}  # rules an earlier crawl learned from the feed: they fill only
        self.allowed_domains = allowed_domains  # where a page's rel=canonical may point
        self.pool: ProcessPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        if not crawler.settings.getbool("ARSHIF_EXTRACT", True):
            raise NotConfigured  # capture only: `arshif extract OUT` extracts later
        workers = crawler.settings.getint("ARSHIF_EXTRACT_WORKERS")
        if workers == 0:
            workers = os.cpu_count() or 1
        profile = getattr(crawler.spider, "profile", None)
        domains = tuple(getattr(crawler.spider, "extra_domains", ()))
        return cls(workers, dict(profile.selectors) if profile else {}, crawler.stats, domains,
                   ArchiveRun.of(crawler).learned)

    def open_spider(self) -> None:
        self.stats.set_value("arshif/extract_processes", max(self.workers, 0))
        if self.workers > 0:
            self.pool = extraction_pool(self.workers)

    def close_spider(self) -> None:
        if self.pool:
            self.pool.shutdown(wait=True)

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageItem) or item.kind != "article":
            return item
        base = (item.capture or {}).get("warc_date")  # relative dates resolve against the WARC-Date
        options = {"base_date": base, "profile": self.profile, "allowed_domains": self.allowed_domains,
                   "learned": self.learned}
        try:
            if self.pool:
                future = self.pool.submit(extract_for_store, item.html, item.url, **options)  # type: ignore[arg-type]
                item.article = await asyncio.wrap_future(future)
            else:
                item.article = extract_for_store(item.html, item.url, **options)  # type: ignore[arg-type]
        except Exception as exc:  # the pool itself broke: the page is kept, with the error
            item.article = failed_article(item.url, exc)
        if "extract_error" in item.article:
            logger.warning("extraction failed for %s: %s", item.url, item.article["extract_error"])
            self.stats.inc_value("arshif/extract_errors")
        item.html = None  # the WARC has the page; do not keep it in memory
        return item


class StorePipeline:
    def __init__(self, run: ArchiveRun, stats: StatsCollector, replay_pattern: str) -> None:
        self.run, self.stats, self.replay_pattern = run, stats, replay_pattern

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(ArchiveRun.of(crawler), crawler.stats, crawler.settings.get("ARSHIF_REPLAY_URL"))

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageItem) or self.run.fatal:  # nothing is written once storage failed
            return item
        with self.run.storing(str(self.run.db.path)):
            self._store(item)
        return item

    def _store(self, item: PageItem) -> None:
        db = self.run.db
        if item.kind == "article":
            if item.article is None:  # capture only: `arshif extract` extracts it later
                self.stats.inc_value("arshif/articles_deferred")
            else:
                db.upsert_article(item.article, capture=item.capture, replay_pattern=self.replay_pattern)
                self.stats.inc_value("arshif/articles")
        elif item.kind == "listing":
            self.stats.inc_value("arshif/listings")
        elif item.kind == "gone":
            if db.mark_gone(item.url, item.capture):
                self.stats.inc_value("arshif/gone")
            return
        if item.feed_entries:
            db.add_feed_entries(item.feed_entries)
        db.upsert_links(item.url, item.links, self.run.crawl_id)
        self.run.write_outlinks(item.url, item.kind, item.capture, item.links, item.feed_entries)
