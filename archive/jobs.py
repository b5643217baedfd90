"""A crawl job shared by several workers through Redis, Scrapy-free: its keys, its seeding, the
leases on requests a worker took, heartbeats, done detection and the listing of ``arshif jobs``.

The seen fingerprints are scrapy-redis's dupefilter, and the frontier is a scrapy-redis queue class
(``crawler/jobs.py`` plugs them in); this module adds what scrapy-redis lacks:

- a frontier partitioned by host, taken round the hosts, skipping those the worker cannot send to
  now (scrapy-redis's one queue in frontier order would give a worker a run of one blog's URLs:
  one host fetched at a time, however many blogs the job has);

- a *lease* on every request a worker takes: moved atomically (a Lua script) from the queue into
  ``leases`` with a deadline, renewed by the worker's heartbeat, removed when the worker has
  finished the request; a lease whose deadline passed (its worker died) goes back to the queue;
- the job's record (``meta``): start URLs and settings, so every worker crawls alike, and whether
  the seeding worker has queued the start requests (until then an empty queue is not the end);
- who is alive (``workers``: a sorted set of heartbeat deadlines) and pages done per worker.

Deadlines use the Redis server's clock (``TIME``), so workers on machines whose clocks differ agree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import redis

PREFIX = "arshif:"  # one namespace with crawler/politeness.py: arshif:<job>:…
JOBS = "arshif:jobs"  # the set of job names
JOB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")

# The frontier is partitioned by host (the download slot a request will take): one sorted set of
# requests per host, "<queue>:<host>", scored by -priority as scrapy-redis's PriorityQueue; "hosts",
# a sorted set of the hosts with work, scored by their turn (the "turns" counter when a request of
# theirs was last taken), so taking goes round the hosts; "queued", the number of requests queued.
# The scripts touch the per-host keys by name (built from ARGV): fine on one Redis server, not on a
# Redis Cluster.

# KEYS: host's queue, hosts, queued, turns. ARGV: host, score, request. A host new to "hosts" joins
# the round at its end.
# Lua shared by the scripts below: the Redis server's clock in milliseconds, and a request queued
# for its host (counted once, its host joining the round of hosts at its end if new there).
_NOW_MS = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
"""
_ENQUEUE = """
local function enqueue(queue, hosts, queued, turns, host, score, request)
  if redis.call('ZADD', queue, score, request) == 1 then redis.call('INCR', queued) end
  redis.call('ZADD', hosts, 'NX', tonumber(redis.call('GET', turns) or '0'), host)
end
"""

_PUSH = _ENQUEUE + """
enqueue(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2], ARGV[3])
"""

# KEYS: hosts, leases, deadlines, sequence, queued, turns. ARGV: worker id, lease
# milliseconds, queue prefix, then the hosts to skip (the worker's local slot for them is full).
# Takes the first request of the host whose turn it is among those not skipped, and gives that host
# the last turn. The lease "<worker>:<n>" stores "<host>\n<score>\n<request>" so that a requeue
# restores both the host and the priority.
_TAKE = _NOW_MS + """
local skip = {}
for i = 4, #ARGV do skip[ARGV[i]] = true end
for _, host in ipairs(redis.call('ZRANGE', KEYS[1], 0, #ARGV - 3)) do
  if not skip[host] then
    local queue = ARGV[3] .. host
    local item = redis.call('ZRANGE', queue, 0, 0, 'WITHSCORES')
    if #item > 0 then
      redis.call('ZREM', queue, item[1])
      redis.call('DECR', KEYS[5])
      if redis.call('EXISTS', queue) == 1 then
        redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[6]), host)
      else
        redis.call('ZREM', KEYS[1], host)
      end
      local id = ARGV[1] .. ':' .. redis.call('INCR', KEYS[4])
      redis.call('HSET', KEYS[2], id, host .. '\\n' .. item[2] .. '\\n' .. item[1])
      redis.call('ZADD', KEYS[3], now_ms() + tonumber(ARGV[2]), id)
      return {id, item[1]}
    end
    redis.call('ZREM', KEYS[1], host)  -- (never left empty: a host leaves when its last request goes)
  end
end
return false
"""

# KEYS: leases, deadlines, hosts, queued, turns. ARGV: queue prefix, then lease ids to requeue now,
# or none: every expired one.
_REQUEUE = _NOW_MS + _ENQUEUE + """
local ids = {}
for i = 2, #ARGV do ids[#ids + 1] = ARGV[i] end
if #ids == 0 then
  ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now_ms())
end
local requeued = 0
for _, id in ipairs(ids) do
  local value = redis.call('HGET', KEYS[1], id)
  if value then
    local cut1 = string.find(value, '\\n', 1, true)
    local cut2 = string.find(value, '\\n', cut1 + 1, true)
    local host = string.sub(value, 1, cut1 - 1)
    local score = tonumber(string.sub(value, cut1 + 1, cut2 - 1))
    enqueue(ARGV[1] .. host, KEYS[3], KEYS[4], KEYS[5], host, score, string.sub(value, cut2 + 1))
    redis.call('HDEL', KEYS[1], id)
    requeued = requeued + 1
  end
  redis.call('ZREM', KEYS[2], id)
end
return requeued
"""

# KEYS: workers, pages, meta. ARGV: worker id, its pages. 1 when no other worker of the finished
# job is alive (a worker still writing its last rows has not left yet).
_LEAVE = _NOW_MS + """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
if redis.call('HGET', KEYS[3], 'finished') == '1' and redis.call('ZCOUNT', KEYS[1], now_ms(), '+inf') == 0 then
  return 1
end
return 0
"""

# KEYS: deadlines, workers. ARGV: worker id, lease milliseconds, the worker's lease ids.
_HEARTBEAT = _NOW_MS + """
local deadline = now_ms() + tonumber(ARGV[2])
redis.call('ZADD', KEYS[2], deadline, ARGV[1])
for i = 3, #ARGV do redis.call('ZADD', KEYS[1], 'XX', deadline, ARGV[i]) end
return deadline
"""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class JobError(Exception):
    """Redis unreachable, a bad job name, an unknown or clashing job: one line for the user."""


def connect(url: str) -> redis.Redis:
    """A client for ``redis://HOST:PORT/DB``, checked with a PING (a wrong URL fails here, in one line)."""
    if urlsplit(url).scheme not in ("redis", "rediss", "unix"):
        raise JobError(f"not a Redis URL (redis://HOST:PORT/DB): {url!r}")
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30)
        client.ping()
    except (redis.RedisError, ValueError) as exc:
        raise JobError(f"cannot reach Redis at {url}: {exc}") from None
    return client


def job_name_for(url: str) -> str:
    """The default job name: the first start URL's host and port (``blog.example-8080``)."""
    parts = urlsplit(url)
    name = (parts.hostname or "job") + (f"-{parts.port}" if parts.port else "")
    return re.sub(r"[^A-Za-z0-9._-]", "-", name)


def check_job_name(name: str) -> str:
    if not JOB_NAME.match(name):
        raise JobError(f"bad job name {name!r}: letters, digits, '.', '_' and '-' only")
    return name


@dataclass
class JobStatus:
    """One line of ``arshif jobs``."""
    name: str
    state: str  # seeding, running, finished
    queued: int
    seen: int
    in_flight: int
    workers_alive: list[str] = field(default_factory=list)
    pages: int = 0
    pages_by_worker: dict[str, int] = field(default_factory=dict)
    start_urls: list[str] = field(default_factory=list)


class Job:
    """One job's state in Redis, under ``arshif:NAME:``."""

    def __init__(self, client: redis.Redis, name: str) -> None:
        self.redis, self.name = client, check_job_name(name)
        base = PREFIX + name + ":"
        self.meta_key = base + "meta"  # hash: urls, settings (JSON), seeded, finished
        self.queue_key = base + "requests"  # the frontier: one sorted set per host, "<queue_key>:<host>"
        self.hosts_key = base + "hosts"  # sorted set: host with work → its turn
        self.queued_key = base + "queued"  # requests in the frontier
        self.turns_key = base + "turns"
        self.seen_key = base + "seen"  # scrapy-redis dupefilter (set of fingerprints)
        self.leases_key = base + "leases"  # hash: lease id → "score\nrequest"
        self.deadlines_key = base + "deadlines"  # sorted set: lease id → deadline (ms)
        self.sequence_key = base + "lease-seq"
        self.workers_key = base + "workers"  # sorted set: worker id → heartbeat deadline (ms)
        self.pages_key = base + "pages"  # hash: worker id → pages captured
        self.feed_items_key = base + "feed-items"  # shared spider state (crawler/jobs.py)
        self.parsed_other_key = base + "parsed-other"
        self._push = client.register_script(_PUSH)
        self._take = client.register_script(_TAKE)
        self._requeue = client.register_script(_REQUEUE)
        self._heartbeat = client.register_script(_HEARTBEAT)
        self._leave = client.register_script(_LEAVE)

    @property
    def keys(self) -> list[str]:
        # queue_key itself: an older Arshif's one queue.
        return [self.meta_key, self.seen_key, self.leases_key, self.deadlines_key, self.sequence_key, self.workers_key,
                self.pages_key, self.feed_items_key, self.parsed_other_key, self.queue_key, *self.frontier_keys()]

    def frontier_keys(self) -> list[str]:
        """The frontier's keys: the hosts with work, the count, the turns and each host's queue. A
        host is in hosts_key exactly while its queue holds requests (the scripts keep it so): the
        queues are found there, not by scanning Redis."""
        hosts: list[bytes] = self.redis.zrange(self.hosts_key, 0, -1)  # type: ignore[assignment]
        return [self.hosts_key, self.queued_key, self.turns_key, *(f"{self.queue_key}:{_text(h)}" for h in hosts)]

    # --- the job's record -----------------------------------------------------------------------------
    @classmethod
    def create(cls, client: redis.Redis, name: str, urls: list[str], settings: dict[str, Any]) -> "Job":
        """A new job: its start URLs and settings. A finished job of that name is cleared first; an
        unfinished one is refused (join it with ``arshif worker``)."""
        job = cls(client, name)
        try:
            meta = job.meta()
            if meta and meta.get("finished") != "1":
                raise JobError(f"job {name!r} is not finished ({job.status().queued} requests queued): join it with "
                               f"`arshif worker --job {name}`, or name a new job with --job")
            pipe = client.pipeline()
            pipe.delete(*job.keys)
            pipe.hset(job.meta_key, mapping={"urls": json.dumps(urls), "seeded": "0", "finished": "0",
                                             "settings": json.dumps(settings, ensure_ascii=False, sort_keys=True)})
            pipe.sadd(JOBS, name)
            pipe.execute()
        except redis.RedisError as exc:
            raise JobError(f"Redis: {exc}") from None
        return job

    @classmethod
    def open(cls, client: redis.Redis, name: str | None) -> "Job":
        """A job to join: the one named, or the only unfinished one."""
        try:
            if name is None:
                running = [s.name for s in list_jobs(client) if s.state != "finished"]
                if len(running) != 1:
                    raise JobError("no unfinished job in Redis" if not running else
                                   f"several unfinished jobs ({', '.join(running)}): name one with --job")
                name = running[0]
            job = cls(client, name)
            meta = job.meta()
            if not meta:
                raise JobError(f"no job {name!r} in Redis (start one with `arshif crawl URL --redis …`)")
            if meta.get("finished") == "1":
                raise JobError(f"job {name!r} is finished: nothing left to do")
            if client.type(job.queue_key) == b"zset":  # the layout before the frontier per host
                raise JobError(f"job {name!r} was started by an older Arshif (one queue for all hosts): finish it with "
                               "that version, or start it anew with `arshif crawl --job NEW_NAME`")
        except redis.RedisError as exc:
            raise JobError(f"Redis: {exc}") from None
        return job

    def meta(self) -> dict[str, str]:
        return {_text(k): _text(v) for k, v in self.redis.hgetall(self.meta_key).items()}

    @property
    def urls(self) -> list[str]:
        return json.loads(self.meta().get("urls", "[]"))

    @property
    def settings(self) -> dict[str, Any]:
        return json.loads(self.meta().get("settings", "{}"))

    def mark_seeded(self) -> None:
        """The seeding worker has queued every start request: from now on an empty queue with no
        lease means the job is done."""
        self.redis.hset(self.meta_key, "seeded", "1")

    # --- the frontier and its leases -----------------------------------------------------------------
    def push(self, host: str, score: float, request: bytes) -> None:
        """Queue a serialized request for ``host`` (lower scores first)."""
        self._push(keys=[f"{self.queue_key}:{host}", self.hosts_key, self.queued_key, self.turns_key],
                   args=[host, score, request])

    def queued(self) -> int:
        return int(self.redis.get(self.queued_key) or 0)

    def take(self, worker: str, lease_ms: int, skip_hosts: Iterable[str] = ()) -> tuple[str, bytes] | None:
        """The next request of the next host in turn, except ``skip_hosts``, leased to ``worker``:
        (lease id, serialized request), or None when no other host has work."""
        taken = self._take(keys=[self.hosts_key, self.leases_key, self.deadlines_key, self.sequence_key,
                                 self.queued_key, self.turns_key],
                           args=[worker, lease_ms, self.queue_key + ":", *skip_hosts])
        if not taken:
            return None
        return taken[0].decode(), taken[1]

    def release(self, *lease_ids: str) -> None:
        """The worker has finished these requests (response or failure recorded, what they led to queued)."""
        if lease_ids:
            pipe = self.redis.pipeline()
            pipe.hdel(self.leases_key, *lease_ids)
            pipe.zrem(self.deadlines_key, *lease_ids)
            pipe.execute()

    def requeue(self, *lease_ids: str) -> int:
        """Put these leases back in the queue now (a worker stopping), or, with none given, every
        lease past its deadline (its worker died). Returns how many went back."""
        return int(self._requeue(keys=[self.leases_key, self.deadlines_key, self.hosts_key, self.queued_key,
                                       self.turns_key], args=[self.queue_key + ":", *lease_ids]))

    def leased(self, worker: str) -> list[bytes]:
        """The serialized requests ``worker`` holds leases on right now."""
        leases: dict[bytes, bytes] = self.redis.hgetall(self.leases_key)  # type: ignore[assignment]
        return [value.split(b"\n", 2)[2] for lease, value in leases.items() if _text(lease).startswith(worker + ":")]

    def heartbeat(self, worker: str, lease_ms: int, lease_ids: list[str], pages: int) -> None:
        """The worker is alive: its heartbeat and its leases' deadlines move on; its page count."""
        self._heartbeat(keys=[self.deadlines_key, self.workers_key], args=[worker, lease_ms, *lease_ids])
        self.redis.hset(self.pages_key, worker, pages)

    def leave(self, worker: str, pages: int) -> bool:
        """The worker stops, its rows written: no longer alive; its final page count. True when it
        is the last worker alive of a finished job, the one to do what reads the whole archive
        (once every other worker's rows are in)."""
        return bool(self._leave(keys=[self.workers_key, self.pages_key, self.meta_key], args=[worker, pages]))

    # --- the whole job ------------------------------------------------------------------------------
    def done(self) -> bool:
        """Seeded, nothing queued and nothing leased: no worker can find more to do. (A worker queues
        what a page led to before it releases the page's lease, so there is no moment in between.)"""
        pipe = self.redis.pipeline()
        pipe.hget(self.meta_key, "seeded")
        pipe.get(self.queued_key)
        pipe.hlen(self.leases_key)
        seeded, queued, leased = pipe.execute()
        finished = seeded == b"1" and not int(queued or 0) and leased == 0
        if finished:
            self.redis.hset(self.meta_key, "finished", "1")
        return finished

    def status(self) -> JobStatus:
        now_s, now_us = self.redis.time()
        now = now_s * 1000 + now_us // 1000
        pipe = self.redis.pipeline()
        pipe.get(self.queued_key)
        pipe.scard(self.seen_key)
        pipe.hlen(self.leases_key)
        pipe.zrangebyscore(self.workers_key, now, "+inf")
        pipe.hgetall(self.pages_key)
        pipe.hgetall(self.meta_key)
        queued, seen, leased, alive, pages, meta = pipe.execute()
        meta = {k.decode(): v.decode() for k, v in meta.items()}
        by_worker = {k.decode(): int(v) for k, v in pages.items()}
        state = "finished" if meta.get("finished") == "1" else "running" if meta.get("seeded") == "1" else "seeding"
        return JobStatus(self.name, state, int(queued or 0), seen, leased, sorted(w.decode() for w in alive),
                         sum(by_worker.values()), by_worker, json.loads(meta.get("urls", "[]")))


def list_jobs(client: redis.Redis) -> list[JobStatus]:
    """Every job in this Redis database, by name."""
    try:
        names = sorted(_text(n) for n in client.smembers(JOBS))
        return [Job(client, name).status() for name in names if JOB_NAME.match(name)]
    except redis.RedisError as exc:
        raise JobError(f"Redis: {exc}") from None
