"""Politeness that holds across every worker of a job, through Redis.

Scrapy spaces the requests to one host per process (its downloader slots), so N workers of one job
would hit a blog N times as often, and each would fetch its robots.txt again. With
``ARSHIF_REDIS_URL`` set (job namespace ``ARSHIF_JOB``):

* ``SharedPolitenessMiddleware`` has each request take its turn from a per-host slot kept in Redis
  (an atomic script on Redis's own clock, so workers on different machines share one clock) and
  holds the request until then without blocking the reactor. The delay is the one the host's local
  slot would apply — ``DOWNLOAD_DELAY``, a ``DOWNLOAD_SLOTS`` entry, or AutoThrottle's current delay
  — taken over from that slot, which then runs at delay 0: otherwise each worker would wait once in
  Redis and again locally; or the host's robots.txt ``Crawl-delay`` when longer (at most
  ``AUTOTHROTTLE_MAX_DELAY``). The shared delay has no jitter. A request takes its turn only when
  its local slot has room to send it at once (``CONCURRENT_REQUESTS_PER_DOMAIN``): one held there
  after its turn would leave with the next one's, on a host slower to answer than that many delays.
* ``SharedRobotsTxtMiddleware`` is Scrapy's RobotsTxtMiddleware whose robots.txt body is shared:
  one worker fetches it (and archives it, and reads its ``Sitemap:`` lines into the job's frontier)
  while the others wait for the body in Redis. Without Redis it is Scrapy's middleware unchanged.

Both need Scrapy's asyncio reactor (its default), as the Redis client is asyncio's.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, deque
from contextlib import suppress
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred

# redis is imported where a job uses it, not with this module: Scrapy loads both middlewares for every
# crawl, and the import costs each 0.1–0.3 s of start-up.
if TYPE_CHECKING:
    import redis.asyncio as aioredis
    from redis.exceptions import RedisError
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.robotstxt import RobotParser
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

# One host's slot, a hash on Redis's clock (µs): "sent", when the last request went out, and "next",
# the end of the queue of turns taken. KEYS[1]: the slot; ARGV[1]: the delay (µs); ARGV[2]: "new" for
# a request asking for a turn, "due" for one whose turn has come. Returns 0 when the caller may go
# now (its moment is recorded as "sent"), else how many µs to wait before calling again with "due".
# Going out needs now >= sent + delay, checked at the moment of going, so a worker that woke late
# delays the next turns instead of bunching them; the queue of turns spreads the wake-ups.
# Numbers go back to Redis through %.0f: Lua's own conversion keeps 14 digits, a time in µs has 16.
TAKE_TURN = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local delay = tonumber(ARGV[1])
local sent = tonumber(redis.call('HGET', KEYS[1], 'sent'))
local next = tonumber(redis.call('HGET', KEYS[1], 'next')) or 0
local at = now
if sent then at = math.max(at, sent + delay) end
if ARGV[2] == 'new' then at = math.max(at, next) end
if at > now then
  if ARGV[2] == 'new' then next = at + delay; redis.call('HSET', KEYS[1], 'next', string.format('%.0f', next)) end
else
  next = math.max(next, now + delay)
  redis.call('HSET', KEYS[1], 'sent', string.format('%.0f', now), 'next', string.format('%.0f', next))
end
redis.call('PEXPIRE', KEYS[1], math.floor((next - now) / 1000) + 60000)
return at - now
"""

ROBOTS_TTL_MS = 24 * 3600 * 1000  # RFC 9309: a cached robots.txt is used for 24 hours at most
ROBOTS_POLL = 0.1  # seconds between looks for a robots.txt another worker is fetching


def job_key(settings: BaseSettings, kind: str, host: str) -> str:
    """The Redis key of one host's shared state in this job."""
    return f"arshif:{settings.get('ARSHIF_JOB') or 'default'}:{kind}:{host}"


def shared_redis(crawler: Crawler) -> aioredis.Redis:
    """One asyncio Redis client per crawler, closed when the spider closes."""
    client = getattr(crawler, "_arshif_redis", None)
    if client is None:
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(crawler.settings.get("ARSHIF_REDIS_URL"))
        crawler._arshif_redis = client  # type: ignore[attr-defined]

        async def close() -> None:
            await client.aclose()
        crawler.signals.connect(close, signal=signals.spider_closed, weak=False)
    return client


def local_concurrency(crawler: Crawler, key: str) -> int:
    """How many requests the local download slot ``key`` transfers at once (as the downloader will
    make it, when it has no such slot yet)."""
    assert crawler.engine is not None
    downloader = crawler.engine.downloader
    slot = downloader.slots.get(key)
    if slot is not None:
        return slot.concurrency
    configured = downloader.per_slot_settings.get(key, {})  # DOWNLOAD_SLOTS, as the downloader read it
    return int(configured.get("concurrency", downloader.ip_concurrency or downloader.domain_concurrency))


def redis_failed(crawler: Crawler, exc: RedisError) -> IgnoreRequest:
    """Without Redis every request of this worker would fail: stop the crawl (reason "redis-failed"),
    with one line, and skip the request that found it out (it was not fetched)."""
    if not getattr(crawler, "_arshif_redis_failed", False) and crawler.engine is not None:
        crawler._arshif_redis_failed = True  # type: ignore[attr-defined]
        logger.error("Redis at %s failed (%s): stopping the crawl", crawler.settings.get("ARSHIF_REDIS_URL"), exc)
        deferred_from_coro(crawler.engine.close_spider_async(reason="redis-failed"))
    return IgnoreRequest(f"Redis failed: {exc}")


class SharedPolitenessMiddleware:
    """Per-host download delay held across all processes of a job. Place it innermost (950, after
    HttpCache at 900), so a cached response takes no slot and nothing runs between its wait and the
    download."""

    def __init__(self, crawler: Crawler, client: aioredis.Redis) -> None:
        self.crawler = crawler
        self.settings = crawler.settings
        self.take_turn = client.register_script(TAKE_TURN)
        self.download_delay = crawler.settings.getfloat("DOWNLOAD_DELAY")
        if crawler.settings.getbool("AUTOTHROTTLE_ENABLED"):  # where AutoThrottle starts a new slot
            self.download_delay = max(self.download_delay, crawler.settings.getfloat("AUTOTHROTTLE_START_DELAY"))
        per_slot = crawler.settings.getdict("DOWNLOAD_SLOTS")
        self.slot_delays = {key: float(slot["delay"]) for key, slot in per_slot.items() if "delay" in slot}
        self.in_flight: Counter[str] = Counter()  # slot key → requests between their turn and their response
        self.waiting: dict[str, deque[asyncio.Future[None]]] = {}  # slot key → requests waiting for room
        self.delays: dict[str, float] = {}  # slot key → the delay taken over from its local slot
        self.crawl_delays: dict[str, float] = {}  # slot key → its robots.txt Crawl-delay
        self.max_delay = crawler.settings.getfloat("AUTOTHROTTLE_MAX_DELAY")
        self.robots_agent = crawler.settings.get("ROBOTSTXT_USER_AGENT")
        crawler.signals.connect(self.robots_parsed, signal=signals.robots_parsed)
        crawler.signals.connect(self.request_left_downloader, signal=signals.request_left_downloader)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedPolitenessMiddleware:
        if not crawler.settings.get("ARSHIF_REDIS_URL"):
            raise NotConfigured
        return cls(crawler, shared_redis(crawler))

    def robots_parsed(self, robotparser: RobotParser, request: Request) -> None:
        """A host's robots.txt may ask for a longer delay (Crawl-delay): obeyed up to
        AUTOTHROTTLE_MAX_DELAY, so a robots.txt cannot stall the crawl for hours."""
        assert self.crawler.engine is not None
        agent = self.robots_agent or request.headers.get(b"User-Agent") or self.crawler.settings.get("USER_AGENT")
        delay = robotparser.crawl_delay(agent)
        if delay:
            self.crawl_delays[self.crawler.engine.downloader.get_slot_key(request)] = min(delay, self.max_delay)

    def _take_local_delay(self, key: str) -> float:
        """The host's delay, moved out of its local slot (where AutoThrottle keeps adjusting it),
        or its robots.txt Crawl-delay if longer."""
        assert self.crawler.engine is not None
        slot = self.crawler.engine.downloader.slots.get(key)
        if slot is not None and slot.delay:
            self.delays[key] = slot.delay
            slot.delay = 0
        if key not in self.delays:  # no local slot yet: the delay it will start with
            self.delays[key] = self.slot_delays.get(key, self.download_delay)
        return max(self.delays[key], self.crawl_delays.get(key, 0.0))

    async def _wait_for_room(self, key: str) -> None:
        """Take a turn only when the request can go out at once: a request that waited in a full
        local slot after its turn would go out together with the next one's."""
        while self.in_flight[key] >= local_concurrency(self.crawler, key):
            room = asyncio.get_running_loop().create_future()
            self.waiting.setdefault(key, deque()).append(room)
            await room
        self.in_flight[key] += 1

    def _left(self, key: str) -> None:
        self.in_flight[key] -= 1
        waiting = self.waiting.get(key)
        while waiting:
            room = waiting.popleft()
            if not room.done():  # (a cancelled request's)
                room.set_result(None)
                break

    def request_left_downloader(self, request: Request) -> None:
        self._left(request.meta.get("download_slot", ""))

    async def process_request(self, request: Request) -> None:
        from redis.exceptions import RedisError

        assert self.crawler.engine is not None
        key = self.crawler.engine.downloader.get_slot_key(request)
        await self._wait_for_room(key)
        try:
            await self._take_turn(key)
        except BaseException as exc:
            self._left(key)  # it never reaches the downloader
            if isinstance(exc, RedisError):
                raise redis_failed(self.crawler, exc) from exc
            raise

    async def _take_turn(self, key: str) -> None:
        slot, delay_us = job_key(self.settings, "slot", key), round(self._take_local_delay(key) * 1e6)
        wait_us = await self.take_turn(keys=[slot], args=[delay_us, "new"])
        if wait_us:
            stats = self.crawler.stats
            assert stats is not None
            stats.inc_value("arshif/politeness/waits")
            while wait_us:
                stats.inc_value("arshif/politeness/wait_seconds", wait_us / 1e6)
                await asyncio.sleep(wait_us / 1e6)
                wait_us = await self.take_turn(keys=[slot], args=[delay_us, "due"])
        self._take_local_delay(key)  # AutoThrottle may have set it again while this request waited


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """RobotsTxtMiddleware that fetches robots.txt once per host per job: the first worker to want
    it takes a lock in Redis, fetches it and stores the body; the others read that body."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.redis = shared_redis(crawler) if crawler.settings.get("ARSHIF_REDIS_URL") else None
        # One fetch may take every retry of a full download timeout; past that the lock is free again.
        retries = crawler.settings.getint("RETRY_TIMES") + 1 if crawler.settings.getbool("RETRY_ENABLED") else 1
        self.lock_ms = int(retries * crawler.settings.getfloat("DOWNLOAD_TIMEOUT") * 1000) + 10_000

    async def robot_parser(self, request: Request) -> RobotParser | None:
        netloc = urlparse_cached(request).netloc
        if self.redis is None or netloc in self._parsers:
            return await super().robot_parser(request)
        from redis.exceptions import RedisError

        # Requests to this host that come meanwhile wait for the same answer, as in the base class.
        pending: Deferred[RobotParser | None] = Deferred()
        self._parsers[netloc] = pending
        lock = job_key(self.crawler.settings, "robots-lock", netloc)
        try:
            body = await self._shared_body(netloc, lock)
        except RedisError as exc:
            # the crawl stops; requests already waiting here go on to the politeness middleware,
            # which skips them as Redis is gone
            del self._parsers[netloc]
            pending.callback(None)
            raise redis_failed(self.crawler, exc) from exc
        if body is not None:
            parser: RobotParser | None = build_from_crawler(self._parserimpl, self.crawler, body)
            self._parsers[netloc] = parser
            self._stats.inc_value("arshif/robotstxt/shared")
            # as when fetched (the politeness middleware reads its Crawl-delay there)
            await self.crawler.signals.send_catch_log_async(signal=signals.robots_parsed, robotparser=parser,
                                                            request=request)
        else:  # this worker holds the lock: fetch as Scrapy does (_parse_robots stores the body)
            del self._parsers[netloc]
            try:
                parser = await super().robot_parser(request)
            finally:
                with suppress(RedisError):  # gone: the lock expires by itself
                    await self.redis.delete(lock)  # a failed fetch stored nothing: another worker tries
        pending.callback(parser)
        return parser

    async def _shared_body(self, netloc: str, lock: str) -> bytes | None:
        """The body another worker stored, or None once this worker holds the lock to fetch it."""
        assert self.redis is not None
        key = job_key(self.crawler.settings, "robots", netloc)
        while True:  # a worker that died fetching leaves a lock that expires (lock_ms)
            body = await self.redis.get(key)
            if isinstance(body, bytes):  # the client is made without decode_responses
                return body
            if await self.redis.set(lock, "fetching", nx=True, px=self.lock_ms):
                return None
            await asyncio.sleep(ROBOTS_POLL)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if self.redis is not None:
            from redis.exceptions import RedisError

            try:
                await self.redis.set(job_key(self.crawler.settings, "robots", netloc), response.body, px=ROBOTS_TTL_MS)
            except RedisError as exc:
                redis_failed(self.crawler, exc)  # this worker still obeys the file it fetched
        await super()._parse_robots(response, netloc, request)
