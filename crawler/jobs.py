"""Scrapy's side of a job shared by several workers (archive/jobs.py has the Redis side).

scrapy-redis keeps the frontier and the seen fingerprints in Redis; these subclasses add what a
job needs beyond it:

- ``HostQueue``, scrapy-redis's queue class for a frontier partitioned by host (archive.jobs.Job);
- ``JobScheduler`` takes each request with a *lease* (archive.jobs.Job.take) instead of popping it,
  and only for a host its worker can send to now: the next host in turn whose local download slot
  has room, so one worker keeps every host busy and several workers share the hosts;
- ``JobDupeFilter`` fingerprints with the crawler's ``request_fingerprinter``, so the job agrees
  with Scrapy and the rest of Arshif on what a duplicate is (scrapy-redis hashes its own JSON);
- ``LeaseSpiderMiddleware``, ``LeaseDownloaderMiddleware`` and the item signals release a lease
  once its request is finished: the response parsed, what it led to queued, its items stored
  (a redirect or a retry is finished once the new request is queued; a failure once recorded);
- ``JobWorker`` (an extension) beats the worker's heartbeat, renews its leases, requeues those of
  dead workers, wakes an idle worker when others queue work, and keeps the spider open until the
  whole job is done: nothing queued and nothing leased by any worker.

All of them raise NotConfigured outside a job's worker (no ARSHIF_WORKER).
"""

from __future__ import annotations

import logging
import time
import warnings
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Iterable
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError
from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider, NotConfigured, ScrapyDeprecationWarning
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.httpobj import urlparse_cached
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import Base
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from archive.jobs import Job, connect
from crawler.frontier import request_dict
from crawler.politeness import local_concurrency

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger("arshif")
LEASE = "arshif_lease"  # request meta: the lease this request was taken under
REDIS_LOST = "redis-failed"  # the finish reason of a worker that lost its Redis (as crawler/politeness.py)
TAKEN = "arshif_taken"  # request meta: taken from Redis by JobWorker.wake, to be served locally


class JobWork:
    """This worker's part of the job, shared by the components of one crawler (``JobWork.of``):
    the leases it holds and what each still waits for."""

    def __init__(self, job: Job, worker: str, lease_seconds: float, seed: bool) -> None:
        self.job, self.worker, self.seed = job, worker, seed
        self.lease_ms = int(lease_seconds * 1000)
        self.items: dict[str, int] = {}  # lease → items from its response not yet through the pipelines
        self.parsing: set[str] = set()  # leases whose response the spider is still parsing
        self.decode: Callable[[bytes], Request] | None = None  # the scheduler's queue decodes requests
        self.lost_redis: str | None = None  # set when a Redis command of the work itself failed

    @classmethod
    def of(cls, crawler: Crawler) -> JobWork:
        work = getattr(crawler, "_arshif_job", None)
        if work is None:
            s = crawler.settings
            if not s.get("ARSHIF_WORKER"):  # a job's worker (ARSHIF_JOB alone: shared politeness only)
                raise NotConfigured
            job = Job(connect(s.get("ARSHIF_REDIS_URL")), s.get("ARSHIF_JOB"))
            work = cls(job, s.get("ARSHIF_WORKER"), s.getfloat("ARSHIF_JOB_LEASE"), s.getbool("ARSHIF_JOB_SEED"))
            crawler._arshif_job = work  # type: ignore[attr-defined]
        return work

    @property
    def held(self) -> list[str]:
        return list(self.items)

    def take(self, skip_hosts: Iterable[str] = ()) -> Request | None:
        if self.decode is None:  # before the scheduler has opened
            return None
        taken = self.job.take(self.worker, self.lease_ms, skip_hosts)
        if taken is None:
            return None
        lease, data = taken
        request: Request = self.decode(data)
        request.meta[LEASE] = lease
        self.items[lease] = 0
        return request

    def finished(self, lease: str | None) -> None:
        """The request is done: release its lease (if still ours: a lease requeued meanwhile is gone)."""
        if lease is not None and self.items.pop(lease, None) is not None:
            self.parsing.discard(lease)
            if self.lost_redis is not None:
                return  # what it led to may not be queued: its lease expires and it is done again
            try:
                self.job.release(lease)
            except RedisError as exc:  # the lease expires and the request is done again: nothing lost
                self.lose(exc)

    def lose(self, exc: Exception) -> None:
        """Redis failed in the middle of the work (a request not queued, a lease not released): this
        worker releases nothing more and stops (JobWorker); its leases expire and others redo them."""
        if self.lost_redis is None:
            self.lost_redis = str(exc)
            logger.warning("the job's Redis failed: %s; this worker stops", exc)

    def item_started(self, lease: str) -> None:
        if lease in self.items:
            self.items[lease] += 1

    def item_done(self, lease: str | None) -> None:
        if lease in self.items:
            self.items[lease] -= 1
            if self.items[lease] <= 0 and lease not in self.parsing:
                self.finished(lease)

    def parsed(self, lease: str) -> None:
        self.parsing.discard(lease)
        if self.items.get(lease, 0) <= 0:
            self.finished(lease)

    def leave(self, pages: int) -> bool:
        """This worker leaves the job (ArchiveRun, once its rows are written). True when it is the
        last one of a finished job (see archive.jobs.Job.leave)."""
        try:
            return self.job.leave(self.worker, pages)
        except RedisError as exc:  # its heartbeat expires by itself; no one knows it was the last
            logger.warning("could not leave the job cleanly: %s", exc)
            return False

    def give_back(self) -> int:
        """Stopping: what this worker holds goes back to the queue now, not after its leases expire."""
        held, self.items = self.held, {}
        return self.job.requeue(*held) if held else 0


def host_of(request: Request) -> str:
    """The download slot a request will take, as Scrapy's downloader names it (without its optional
    per-IP slots, which need a DNS answer): the frontier is partitioned by it."""
    slot = request.meta.get("download_slot")
    return slot if slot is not None else urlparse_cached(request).hostname or ""


class HostQueue(Base):
    """scrapy-redis queue class (SCHEDULER_QUEUE_CLASS) for a job's frontier: one priority queue
    per host in Redis and the hosts taken in turn (archive.jobs.Job holds the layout and scripts).
    JobScheduler takes from it with a lease; ``pop`` takes without one."""

    def __init__(self, server: Any, spider: Spider, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        self.job = JobWork.of(spider.crawler).job

    def __len__(self) -> int:
        return self.job.queued()

    def push(self, request: Request) -> None:
        self.job.push(host_of(request), -request.priority, self._encode_request(request))

    def _encode_request(self, request: Request) -> bytes:
        return self.serializer.dumps(request_dict(request, self.spider))  # callbacks named cheaply

    def clear(self) -> None:
        pass  # the frontier belongs to the job (archive.jobs.Job.create clears a finished one)


class JobScheduler(Scheduler):
    """scrapy-redis's scheduler, with a lease on every request taken."""

    work: JobWork

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JobScheduler:
        scheduler = super().from_crawler(crawler)
        scheduler.work = JobWork.of(crawler)
        scheduler.local = deque()
        scheduler.crawler = crawler
        return scheduler

    @property
    def downloader(self) -> Any:
        return self.crawler.engine.downloader

    def open(self, spider: Spider) -> None:
        with warnings.catch_warnings():  # scrapy-redis logs "Resuming crawl" with Spider.log, deprecated in 2.19
            warnings.filterwarnings("ignore", r"Spider\.log\(\) is deprecated", ScrapyDeprecationWarning)
            super().open(spider)
        self.work.decode = self.queue._decode_request  # scrapy-redis's serializer, as configured

    def enqueue_request(self, request: Request) -> bool:
        lease = request.meta.pop(LEASE, None)
        if request.meta.pop(TAKEN, False):  # already leased to us (JobWorker.wake): serve it here
            request.meta[LEASE] = lease
            self.local.append(request)
            return True
        # scrapy-redis's enqueue_request, without the spider argument that Scrapy 2.19 deprecates
        try:
            queued = request.dont_filter or not self.df.request_seen(request)
            if queued:
                self.queue.push(request)
                if self.stats:
                    self.stats.inc_value("scheduler/enqueued/redis")
            else:
                self.df.log(request, self.spider)
        except RedisError as exc:  # raised here, it would stall Scrapy's scraper for good
            self.work.lose(exc)
            return False
        # A redirect or a retry carries its original's meta: once it is queued (or found a
        # duplicate), the original request is finished.
        self.work.finished(lease)
        return queued

    def next_request(self) -> Request | None:
        if self.local:
            return self.local.popleft()
        try:
            request = self.work.take(self.full_hosts())
        except RedisError:  # JobWorker stops the worker if Redis stays away
            return None
        if self.stats:  # Scrapy asks until it gets None, at every wake-up of its engine: most asks find nothing
            self.stats.inc_value("scheduler/dequeued/redis" if request is not None else "arshif/job_takes_empty")
        return request

    def full_hosts(self) -> list[str]:
        """Hosts this worker cannot send another request to now: as many of its requests in the
        downloader (waiting for their shared turn, queued in their slot or transferring) as the
        host's local slot sends at once. Taking one more for them would hold it here, leased,
        while another worker could send it; and, with the frontier in one queue, a run of one
        host's URLs would keep this worker on that host alone."""
        downloader = self.downloader
        in_downloader = Counter(downloader.get_slot_key(request) for request in downloader.active)
        return [host for host, n in in_downloader.items() if n >= local_concurrency(self.crawler, host)]

    def has_pending_requests(self) -> bool:
        try:
            return bool(self.local) or len(self.queue) > 0  # (queued for a full host counts too)
        except RedisError:
            return True  # unknown: never let the spider end as if the job were done

    def __len__(self) -> int:
        return len(self.local) + len(self.queue)


class JobDupeFilter(RFPDupeFilter):
    """The job's seen set, keyed by Scrapy's own request fingerprints (20 bytes each)."""

    def __init__(self, server: Any, key: str, fingerprinter: Any, debug: bool = False) -> None:
        super().__init__(server, key, debug)
        self.fingerprinter = fingerprinter

    @classmethod
    def from_spider(cls, spider: Spider) -> JobDupeFilter:
        crawler = spider.crawler
        work = JobWork.of(crawler)
        return cls(work.job.redis, work.job.seen_key, crawler.request_fingerprinter,
                   crawler.settings.getbool("DUPEFILTER_DEBUG"))

    def request_fingerprint(self, request: Request) -> bytes:
        return self.fingerprinter.fingerprint(request)

    def close(self, reason: str = "") -> None:
        pass  # the seen set belongs to the job, not to this worker


class LeaseSpiderMiddleware:
    """Outermost spider middleware: sees everything a response led to. Its lease is released once
    the callback is exhausted (its requests queued) and its items have left the pipelines."""

    def __init__(self, work: JobWork) -> None:
        self.work = work

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeaseSpiderMiddleware:
        return cls(JobWork.of(crawler))

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        lease = self._parsing(response)
        try:
            async for output in result:
                yield self._counted(lease, output)
        finally:
            self._parsed(lease)

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterable[Any]:
        # The same as above for sync callbacks (the blog spider's): a callback that raises must
        # still release its lease, or the job would never be done.
        lease = self._parsing(response)
        try:
            for output in result:
                yield self._counted(lease, output)
        finally:
            self._parsed(lease)

    def _parsing(self, response: Response) -> str | None:
        lease = response.meta.get(LEASE)
        if lease is not None:
            self.work.parsing.add(lease)  # an item done meanwhile must not release it early
        return lease

    def _counted(self, lease: str | None, output: Any) -> Any:
        if lease is not None and not isinstance(output, Request):
            self.work.item_started(lease)
        return output

    def _parsed(self, lease: str | None) -> None:
        if lease is not None:
            self.work.parsed(lease)


class LeaseDownloaderMiddleware:
    """Lowest downloader middleware: a request that failed for good (no middleware retried it) is
    finished once the failure is recorded (WarcCaptureMiddleware, above, records it)."""

    def __init__(self, work: JobWork) -> None:
        self.work = work

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeaseDownloaderMiddleware:
        return cls(JobWork.of(crawler))

    def process_exception(self, request: Request, exception: Exception) -> None:
        self.work.finished(request.meta.get(LEASE))
        return None


class JobWorker:
    """Heartbeat, lease upkeep, waking up and the end of the job, every ARSHIF_JOB_TICK seconds."""

    def __init__(self, crawler: Crawler, work: JobWork, tick: float) -> None:
        self.crawler, self.work, self.tick = crawler, work, tick
        self.loop: task.LoopingCall | None = None
        self.ticks = 0
        self.redis_lost_at: float | None = None  # monotonic time Redis stopped answering

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JobWorker:
        work = JobWork.of(crawler)
        ext = cls(crawler, work, crawler.settings.getfloat("ARSHIF_JOB_TICK"))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(ext.item_done, signal=signal)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        self.beat()
        self.loop = task.LoopingCall(self.on_tick)
        self.loop.start(self.tick, now=False)

    def item_done(self, item: Any, response: Any, spider: Spider, **kwargs: Any) -> None:
        meta = getattr(response, "meta", None) or getattr(getattr(response, "request", None), "meta", None) or {}
        self.work.item_done(meta.get(LEASE))

    def beat(self) -> None:
        self.work.job.heartbeat(self.work.worker, self.work.lease_ms, self.work.held,
                                self.crawler.stats.get_value("arshif/captures", 0))

    def on_tick(self) -> None:
        if self.work.lost_redis is not None:
            self.stop()
            return
        try:
            self.beat()
            self.redis_lost_at = None
            self.ticks += 1
            if self.ticks % 4 == 0:  # a dead worker's leases back into the queue
                requeued = self.work.job.requeue()
                if requeued:
                    self.crawler.stats.inc_value("arshif/job/requeued", requeued)
                    logger.warning("%d request(s) of a stopped worker went back to the queue", requeued)
            self.wake()
        except RedisError as exc:
            self.redis_away(exc)

    def redis_away(self, exc: Exception) -> None:
        """Redis away for a moment: the next tick tries again. Away longer than a lease: this
        worker's leases have expired anyway, so it stops (what it archived is kept) rather than
        wait for ever; started again, it continues the job."""
        now = time.monotonic()
        if self.redis_lost_at is None:
            self.redis_lost_at = now
            logger.warning("the job's Redis is not answering: %s", exc)
        elif now - self.redis_lost_at > self.work.lease_ms / 1000:
            self.stop()

    def stop(self) -> None:
        if self.loop and self.loop.running:
            self.loop.stop()
        if self.crawler.engine is not None:
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=REDIS_LOST))

    def wake(self) -> None:
        """An idle worker polls the engine only every few seconds: when the job has work queued,
        take one request and hand it to the engine, which then keeps pulling from the queue."""
        engine = self.crawler.engine
        if engine is None or engine.downloader.active or self.work.decode is None:
            return
        request = self.work.take()
        if request is not None:
            request.meta[TAKEN] = True
            engine.crawl(request)
        elif self.work.job.done():
            self._close_when_done()

    def _close_when_done(self) -> None:
        engine = self.crawler.engine
        if engine is not None and engine.spider_is_idle():
            deferred_from_coro(engine.close_spider_async(reason="finished"))

    def spider_idle(self, spider: Spider) -> None:
        try:
            self.work.job.requeue()  # a dead worker's requests may be all that is left
            done = self.work.job.done()
        except RedisError:
            done = False  # on_tick decides when Redis has been away too long
        if not done:
            raise DontCloseSpider  # others still work: what they find may be ours to fetch

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.loop and self.loop.running:
            self.loop.stop()
        try:
            given = self.work.give_back()
            if given:
                logger.warning("%d request(s) this worker held went back to the queue", given)
        except Exception as exc:
            logger.warning("could not give back this worker's requests: %s (its leases expire by themselves)", exc)
        # It leaves the job once its rows are written (ArchiveRun.close): the last to leave a
        # finished job calibrates the archive.

