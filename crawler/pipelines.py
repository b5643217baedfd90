"""The item pipeline: storage. Articles come extracted (crawler/reading.py reads every page,
articles included, in worker processes); this stage writes them, with the page's links.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .items import PageItem
from .run import ArchiveRun

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


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
            if item.article and "extract_error" in item.article:
                logger.warning("extraction failed for %s: %s", item.url, item.article["extract_error"])
                self.stats.inc_value("arshif/extract_errors")
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
