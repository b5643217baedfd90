"""What a crawl is doing while it runs; listens to signals only (like Scrapy's LogStats).

The first line comes at once: the URL, the output folder and the mode (first crawl, incremental,
full, resuming with N requests pending). Then, on a terminal, a live panel (rich) redrawn every
second; anywhere else (a pipe, cron, a CI log) one plain line every ARSHIF_PROGRESS_INTERVAL seconds.
ARSHIF_PROGRESS_INTERVAL=0 turns both off.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scrapy import signals
from twisted.internet import task

if TYPE_CHECKING:
    from rich.live import Live
    from scrapy import Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger("arshif")

MODES = {"first": "first crawl of this folder", "incremental": "incremental (conditional requests, known articles)",
         "full": "full re-crawl", "after-crash": "walking the blog again after an interrupted crawl",
         "after-pause": "resuming a paused crawl"}


@dataclass
class Figures:
    pages: int
    articles: int
    failures: int
    queued: int
    in_flight: int
    warc_bytes: int
    elapsed: float
    rate: float  # pages per second over the last RATE_WINDOW seconds (the whole crawl's, at its end)

    def line(self) -> str:
        return (f"{self.pages} pages captured ({self.rate:.1f}/s), {self.articles} articles, {self.failures} failed, "
                f"{self.queued} queued, {self.warc_bytes / 1e6:.2f} MB of WARC, {_duration(self.elapsed)}")


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class CrawlProgress:
    RATE_WINDOW = 10.0

    def __init__(self, crawler: Crawler, interval: float, live: bool) -> None:
        self.crawler, self.interval, self.use_live = crawler, interval, live
        self.started = time.monotonic()
        self.samples: deque[tuple[float, int]] = deque()
        self.loop: task.LoopingCall | None = None
        self.live: Live | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlProgress:
        interval = crawler.settings.getfloat("ARSHIF_PROGRESS_INTERVAL")
        live = interval > 0 and crawler.settings.getbool("ARSHIF_PROGRESS_LIVE", True) and sys.stderr.isatty()
        ext = cls(crawler, interval, live)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    # --- signals ----------------------------------------------------------------------------------
    def spider_opened(self, spider: Spider) -> None:
        self.started = time.monotonic()
        if self.interval <= 0:
            return
        logger.info(self.first_line(spider))
        if self.use_live:
            self.start_live()
            self.loop = task.LoopingCall(self.redraw)
            self.loop.start(1.0, now=True)
        else:
            self.loop = task.LoopingCall(self.log)
            self.loop.start(self.interval, now=False)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.loop and self.loop.running:
            self.loop.stop()
        if self.interval <= 0:
            return
        if self.live is not None:
            self.redraw()
            self.stop_live()
        # the whole crawl's rate, as its summary gives it: the last interval's says little of the crawl
        logger.info("finished (%s): %s", reason, self.figures(whole_crawl=True).line())

    # --- what is shown ----------------------------------------------------------------------------
    def first_line(self, spider: Spider) -> str:
        run = getattr(self.crawler, "_arshif_run", None)
        mode = MODES.get(run.mode, run.mode) if run is not None else "crawl"
        pending = self.queued()
        if pending and run is not None and run.mode in ("after-pause", "incremental"):
            mode = f"resuming a paused crawl, {pending} requests pending"
        url = getattr(spider, "start_url", "") or ""
        out = self.crawler.settings.get("ARSHIF_OUT")
        crawl = f"crawl {run.crawl_id}: " if run is not None else ""
        return f"{crawl}{url} into {out} — {mode}"

    def queued(self) -> int:
        engine = self.crawler.engine
        slot = getattr(engine, "_slot", None)
        scheduler = getattr(slot, "scheduler", None)
        try:
            return len(scheduler) if scheduler is not None else 0
        except (TypeError, AttributeError):
            return 0

    def figures(self, *, whole_crawl: bool = False) -> Figures:
        """What is shown now; the rate over the last RATE_WINDOW seconds, or since the crawl began."""
        stats, now = self.crawler.stats, time.monotonic()
        pages = stats.get_value("arshif/captures", 0)
        self.samples.append((now, pages))
        while len(self.samples) > 2 and now - self.samples[0][0] > self.RATE_WINDOW:
            self.samples.popleft()
        then, before = self.samples[0]
        average = pages / max(now - self.started, 1e-9)
        rate = average if whole_crawl or now - then <= 0.5 else (pages - before) / (now - then)
        engine = self.crawler.engine
        downloader = getattr(engine, "downloader", None)
        return Figures(pages, stats.get_value("arshif/articles", 0), stats.get_value("arshif/failures", 0),
                       self.queued(), len(getattr(downloader, "active", ()) or ()),
                       stats.get_value("arshif/warc_bytes", 0), now - self.started, rate)

    def log(self) -> None:
        logger.info(self.figures().line())

    # --- the live panel (a terminal only) ------------------------------------------------------------
    def start_live(self) -> None:
        from rich.console import Console
        from rich.live import Live

        self.live = Live(console=Console(stderr=True), auto_refresh=False, transient=False, redirect_stderr=True)
        self.live.start()
        self._redirect_log_handlers(to_live=True)

    def stop_live(self) -> None:
        assert self.live is not None
        self._redirect_log_handlers(to_live=False)
        self.live.stop()
        self.live = None

    def _redirect_log_handlers(self, to_live: bool) -> None:
        """Log lines (warnings, errors) must print above the panel, not through it: point the
        handlers that write to the terminal at rich's stderr proxy while the panel is shown."""
        for log in (logging.root, logger):
            for handler in log.handlers:
                if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
                    if to_live and handler.stream is sys.__stderr__:
                        handler.setStream(sys.stderr)
                    elif not to_live and handler.stream is not sys.__stderr__:
                        handler.setStream(sys.__stderr__)

    def redraw(self) -> None:
        from rich.table import Table

        if self.live is None:
            return
        f = self.figures()
        table = Table.grid(padding=(0, 2))
        for _ in range(4):
            table.add_column()
        table.add_row("pages", f"[bold]{f.pages:,}[/]", "rate", f"{f.rate:.1f} pages/s")
        table.add_row("articles", f"[bold green]{f.articles:,}[/]", "queued", f"{f.queued:,} (+{f.in_flight} in flight)")
        table.add_row("failed", f"[bold red]{f.failures:,}[/]" if f.failures else "0", "WARC", f"{f.warc_bytes / 1e6:.2f} MB")
        table.add_row("elapsed", _duration(f.elapsed), "", "[dim]Ctrl-C pauses; run again to resume[/]")
        self.live.update(table, refresh=True)
