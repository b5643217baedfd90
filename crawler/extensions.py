"""Progress lines while a crawl runs; listens to signals only (like Scrapy's LogStats)."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger("arshif")


class CrawlProgress:
    def __init__(self, stats: StatsCollector, interval: float) -> None:
        self.stats, self.interval = stats, interval
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlProgress:
        interval = crawler.settings.getfloat("ARSHIF_PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured
        ext = cls(crawler.stats, interval)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.log)
        self.loop.start(self.interval, now=False)

    def log(self) -> None:
        logger.info(self.summary())

    def summary(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        pages = self.stats.get_value("arshif/captures", 0)
        return (f"{pages} pages captured ({pages / elapsed:.1f}/s), {self.stats.get_value('arshif/articles', 0)} articles, "
                f"{self.stats.get_value('arshif/failures', 0)} failed, "
                f"{self.stats.get_value('arshif/warc_bytes', 0) / 1e6:.2f} MB of WARC")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.loop and self.loop.running:
            self.loop.stop()
        logger.info("finished (%s): %s", reason, self.summary())
