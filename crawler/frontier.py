"""The frontier on disk (Scrapy's JOBDIR), when the disk is full.

Scrapy's scheduler, dupefilter and spider state write to OUT/job for pause and resume; on a full
disk those writes raise inside Scrapy's own tasks and the crawl hangs. These subclasses keep the
requests in memory instead (the crawl is stopping anyway, see ``ArchiveRun.storage_failed``), and
the frontier on disk, no longer trustworthy, is discarded by the next run.
"""

from __future__ import annotations

from scrapy import Request, Spider
from scrapy.core.scheduler import Scheduler
from scrapy.dupefilters import RFPDupeFilter
from scrapy.extensions.spiderstate import SpiderState
from twisted.internet.defer import Deferred


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
