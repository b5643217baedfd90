"""The frontier on disk (Scrapy's JOBDIR), when the disk is full.

Scrapy's scheduler, dupefilter and spider state write to OUT/job for pause and resume; on a full
disk those writes raise inside Scrapy's own tasks and the crawl hangs. These subclasses keep the
requests in memory instead (the crawl is stopping anyway, see ``ArchiveRun.storage_failed``), and
the frontier on disk, no longer trustworthy, is discarded by the next run.

The dupefilter also keeps its fingerprints compactly (crawler/seen.py): memory stays flat as the blog grows.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request, Spider
from scrapy.core.scheduler import Scheduler
from scrapy.dupefilters import RFPDupeFilter
from scrapy.extensions.spiderstate import SpiderState
from twisted.internet.defer import Deferred

from .seen import Fingerprints


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
