"""Pages read in worker processes, off the reactor (archive.pages.reading).

The reactor's core does what only it can: fetch, write the WARC, store rows, schedule. Parsing,
classifying, finding links and extracting (≈ 3 ms of CPU an article page before extraction, 10 or
more with it) run in reader processes, one call per page: the page is parsed once there for all of
it. A callback awaits its page's reading, so pages waiting to be read count against Scrapy's
scraper slot, which holds the downloader back when they pile up: the backlog stays bounded.
ARSHIF_EXTRACT_WORKERS=-1 reads in the crawl process (no workers), as tests of small sites prefer.

Why not a ProcessPoolExecutor: its feeder and manager threads take the GIL from the reactor at
every page (a submit measured 1.2 ms of the reactor's time, waiting for the GIL to come back).
Here each reader has one pipe; the reactor writes tasks to it and the event loop reads results from
it when they are ready, with no thread in between.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections import deque
from functools import partial
from typing import TYPE_CHECKING, Any

from scrapy import signals

from archive.pages.pool import serve_tasks
from archive.pages.reading import PageReading, ReadingOptions, read_page

from .run import ArchiveRun

if TYPE_CHECKING:
    from collections.abc import Callable

    from scrapy.http import TextResponse
    from scrapy.statscollectors import StatsCollector

    from .spiders.blog import BlogSpider

# A reader's pipe holds tasks enough to keep it busy while the reactor is away (an event loop
# iteration can take longer than a page's reading), and never more bytes than a Unix socket's send
# buffer takes at once (≈ 208 KiB): a send must not block the reactor. A page larger than the room
# goes to an idle reader, which takes it off the pipe as it is written.
IN_FLIGHT = 8
ROOM = 96 * 1024


class ReaderDied(RuntimeError):
    """A reader process ended with pages in hand (killed, or a page that crashes libxml2)."""


class _Reader:
    """One reader process and its pipe, read by the event loop."""

    def __init__(self, on_result: Callable[[_Reader], None]) -> None:
        context = multiprocessing.get_context("spawn")  # never fork a process running a reactor
        self.conn, child = context.Pipe()
        self.process = context.Process(target=serve_tasks, args=(child,), daemon=True, name="arshif-reader")
        self.process.start()
        child.close()
        self.pending: dict[int, tuple[asyncio.Future, int]] = {}  # task number → (its future, its bytes)
        asyncio.get_running_loop().add_reader(self.conn.fileno(), on_result, self)

    def close(self) -> None:
        asyncio.get_running_loop().remove_reader(self.conn.fileno())
        self.conn.close()  # the reader sees end-of-file and exits
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()


class ReaderPool:
    """``workers`` reader processes; each page goes to the least busy one, within its room (above),
    the rest wait here in order."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.readers: list[_Reader] = []
        self.waiting: deque[tuple[int, Callable[[], Any], int, asyncio.Future]] = deque()
        self.numbers = 0

    def start(self) -> None:
        """Start the readers (the crawl does as it opens: a reader takes ~0.5 s to start)."""
        if not self.readers:
            self.readers = [_Reader(self._result) for _ in range(self.workers)]

    async def run(self, func: Callable[[], Any], size: int) -> Any:
        """``func()`` in a reader process; ``size``: about how many bytes it carries."""
        self.start()
        self.numbers += 1
        future = asyncio.get_running_loop().create_future()
        self.waiting.append((self.numbers, func, size, future))
        self._dispatch()
        return await future

    def _dispatch(self) -> None:
        """Send waiting tasks, in order, while the least busy reader has room for the next."""
        while self.waiting:
            number, func, size, future = self.waiting[0]
            reader = min(self.readers, key=lambda r: len(r.pending))
            in_pipe = sum(bytes_ for _, bytes_ in reader.pending.values())
            if reader.pending and (len(reader.pending) >= IN_FLIGHT or in_pipe + size > ROOM):
                return
            self.waiting.popleft()
            reader.pending[number] = future, size
            reader.conn.send((number, func))

    def _result(self, reader: _Reader) -> None:
        try:
            number, ok, value = reader.conn.recv()
        except (EOFError, OSError):
            self._replace(reader)
        else:
            future, _ = reader.pending.pop(number)
            if future.done():
                pass  # its callback was cancelled meanwhile
            elif ok:
                future.set_result(value)
            else:
                future.set_exception(value)
        self._dispatch()

    def _replace(self, reader: _Reader) -> None:
        """A reader died: its pages fail (their exchanges are in the WARC already), a new one starts."""
        reader.close()
        for future, _ in reader.pending.values():
            if not future.done():
                future.set_exception(ReaderDied(f"reader process {reader.process.pid} died"))
        reader.pending.clear()
        self.readers[self.readers.index(reader)] = _Reader(self._result)

    def close(self) -> None:
        for reader in self.readers:
            reader.close()
        self.readers = []


class PageReader:
    def __init__(self, options: ReadingOptions, workers: int, stats: StatsCollector) -> None:
        self.options, self.stats = options, stats
        self.pool = ReaderPool(workers) if workers > 0 else None

    @classmethod
    def of(cls, spider: BlogSpider) -> PageReader:
        """The crawl's one reader, made with the spider's settings (when the spider opens)."""
        crawler = spider.crawler
        reader = getattr(crawler, "_arshif_reader", None)
        if reader is None:
            extract = None
            if spider.extract:
                extract = {"allowed_domains": tuple(spider.extra_domains), "learned": ArchiveRun.of(crawler).learned}
            options = ReadingOptions(dict(spider.profile.selectors), spider.requisites, extract)
            workers = crawler.settings.getint("ARSHIF_EXTRACT_WORKERS")
            reader = cls(options, (os.cpu_count() or 1) if workers == 0 else workers, crawler.stats)
            crawler.signals.connect(reader.close, signal=signals.spider_closed)
            crawler.stats.set_value("arshif/extract_processes", reader.pool.workers if reader.pool else 0)
            crawler._arshif_reader = reader  # type: ignore[attr-defined]
            if reader.pool is not None:
                reader.pool.start()
        return reader

    async def read(self, response: TextResponse, *, reached: str | None, walk: bool) -> PageReading:
        capture = response.meta.get("arshif_capture") or {}
        reading = partial(read_page, response.body, response.url, response.encoding, self.options,
                          reached=reached, walk=walk, base_date=capture.get("warc_date"))
        if self.pool is None:
            return reading()
        page = await self.pool.run(reading, len(response.body))
        self.stats.inc_value("arshif/pages_read_by_workers")
        return page

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
