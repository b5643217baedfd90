"""The frontier on disk (Scrapy's JOBDIR), when the disk is full.

Scrapy's scheduler, dupefilter and spider state write to OUT/job for pause and resume; on a full
disk those writes raise inside Scrapy's own tasks and the crawl hangs. These subclasses keep the
requests in memory instead (the crawl is stopping anyway, see ``ArchiveRun.storage_failed``), and
the frontier on disk, no longer trustworthy, is discarded by the next run.

The dupefilter also keeps its fingerprints compactly (crawler/seen.py): memory stays flat as the
blog grows. And a request is written to the queue without searching the whole spider for the names
of its callbacks (``request_dict``).
"""

from __future__ import annotations

import inspect
import weakref
from typing import Any

from scrapy import Request, Spider
from scrapy.core.scheduler import Scheduler
from scrapy.dupefilters import RFPDupeFilter
from scrapy.extensions.spiderstate import SpiderState
from scrapy.squeues import PickleLifoDiskQueue
from twisted.internet.defer import Deferred

from .seen import Fingerprints


class _Named:
    """The methods one request calls back, under their names on the spider, and nothing else.

    ``Request.to_dict`` finds a callback's name with ``inspect.getmembers`` over the object it is
    given. Over the spider that is every attribute (properties computed, ``logger`` built), for the
    callback and again for the errback, at every request queued: 5 % of the crawl's reactor time."""

    def __init__(self, methods: dict[str, Any]) -> None:
        self.__dict__.update(methods)

    def __dir__(self) -> list[str]:
        return list(self.__dict__)


_names: weakref.WeakKeyDictionary[Spider, dict[Any, str]] = weakref.WeakKeyDictionary()


def request_dict(request: Request, spider: Spider) -> dict[str, Any]:
    """``request.to_dict(spider=spider)``, with the callbacks' names looked up in a table made once."""
    names = _names.get(spider)
    if names is None:
        names = _names[spider] = {}
        for name, method in inspect.getmembers(spider, inspect.ismethod):  # sorted: the same name as Scrapy's
            names.setdefault(method.__func__, name)
    methods = {}
    for func in (request.callback, request.errback):
        if callable(func):
            known = names.get(getattr(func, "__func__", None))
            if known is None:  # not a method of the spider's (or set on it since): Scrapy's own way
                return request.to_dict(spider=spider)
            methods[known] = func
    return request.to_dict(spider=_Named(methods))  # type: ignore[arg-type]


class LifoDiskQueue(PickleLifoDiskQueue):  # type: ignore[misc,valid-type]
    """Scrapy's default disk queue (SCHEDULER_DISK_QUEUE), each request written by ``request_dict``."""

    def push(self, request: Request) -> None:
        # past Scrapy's push, which would name the callbacks its own way, to the pickling queue's
        super(PickleLifoDiskQueue, self).push(request_dict(request, self.spider))  # type: ignore[misc]


class DiskSafeScheduler(Scheduler):
    def _dqpush(self, request: Request) -> bool:
        try:
            return super()._dqpush(request)
        except OSError:
            return False  # kept in the memory queue

    def close(self, reason: str) -> Deferred[None] | None:
        try:
            return super().close(reason)
        except OSError:  # the queue state could not be saved: the next run discards the frontier
            return self.df.close(reason)


class DiskSafeDupeFilter(RFPDupeFilter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Scrapy (2.14 on) holds a set of 20-byte digests, ≈ 90 bytes a request; the same set
        # protocol in 8. The fingerprints read back from JOBDIR on resume move in too.
        if isinstance(vars(self).get("_fingerprints"), set):
            self._fingerprints = Fingerprints(self._fingerprints)  # type: ignore[assignment]

    def request_seen(self, request: Request) -> bool:
        try:
            return super().request_seen(request)
        except OSError:  # the fingerprints stay in memory; the file is cut short
            file, self.file = self.file, None
            try:
                if file:
                    file.close()
            except OSError:
                pass
            return False

    def close(self, reason: str) -> None:
        try:
            super().close(reason)
        except OSError:
            pass


class DiskSafeSpiderState(SpiderState):
    def spider_closed(self, spider: Spider) -> None:
        try:
            super().spider_closed(spider)
        except OSError:
            pass
