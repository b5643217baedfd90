"""WARC capture of every HTTP exchange, as a downloader middleware.

Placed at 800 (see settings): it sees each response as it came off the wire (body still
Content-Encoded, 3xx hops before RedirectMiddleware follows them) and the request with the headers
that other middlewares added. Cached responses (flag "cached") and requests with
``meta["dont_archive"]`` are not archived. A failed write is logged and counted; the crawl goes on.
"""

from __future__ import annotations

import logging

from scrapy.exceptions import IgnoreRequest, NotConfigured

from .run import ArchiveRun

logger = logging.getLogger(__name__)


class WarcCaptureMiddleware:
    def __init__(self, run: ArchiveRun, stats):
        self.run, self.stats = run, stats

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("ARSHIF_WARC_ENABLED", True):
            raise NotConfigured
        return cls(ArchiveRun.of(crawler), crawler.stats)

    def process_response(self, request, response):
        if "cached" in response.flags or request.meta.get("dont_archive"):
            return response
        try:
            request.meta["arshif_capture"] = self.run.capture(request, response)
        except OSError as exc:
            logger.error("WARC write failed for %s: %s", request.url, exc)
            self.stats.inc_value("arshif/warc_write_errors")
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, IgnoreRequest) or request.meta.get("dont_archive"):
            return None
        self.run.failure(request, exception)
        return None
