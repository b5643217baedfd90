"""WARC capture of every HTTP exchange, as a downloader middleware.

Placed at 800 (see settings): it sees each response as it came off the wire (body still
Content-Encoded, 3xx hops before RedirectMiddleware follows them) and the request with the headers
that other middlewares added. Cached responses (flag "cached") and requests with
``meta["dont_archive"]`` are not archived. A failed write is logged and counted; the crawl goes on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured, StopDownload

from .run import ArchiveRun

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.statscollectors import StatsCollector

class WarcCaptureMiddleware:
    def __init__(self, run: ArchiveRun, stats: StatsCollector, max_size: int) -> None:
        self.run, self.stats, self.max_size = run, stats, max_size

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCaptureMiddleware:
        mw = cls(ArchiveRun.of(crawler), crawler.stats, crawler.settings.getint("ARSHIF_MAX_RESPONSE_SIZE"))
        if mw.max_size > 0:
            crawler.signals.connect(mw.bytes_received, signal=signals.bytes_received)
        return mw

    def bytes_received(self, data: bytes, request: Request, spider: Spider) -> None:
        """Stop a response at ARSHIF_MAX_RESPONSE_SIZE but keep what arrived: it is archived with
        ``WARC-Truncated: length`` (Scrapy's DOWNLOAD_MAXSIZE would drop it whole)."""
        received = request.meta.get("arshif_received", 0) + len(data)
        request.meta["arshif_received"] = received
        if received > self.max_size:
            raise StopDownload(fail=False)

    def process_request(self, request: Request) -> None:
        request.meta["arshif_received"] = 0  # a retry starts counting again
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        if "cached" in response.flags or request.meta.get("dont_archive"):
            return response
        if "download_stopped" in response.flags and request.meta.get("arshif_received", 0) > self.max_size > 0:
            response.flags.append("arshif-truncated")
            self.stats.inc_value("arshif/truncated")
        # None once writing the archive has failed (a full disk): the run then stops the crawl
        request.meta["arshif_capture"] = self.run.capture(request, response)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        if isinstance(exception, IgnoreRequest) or request.meta.get("dont_archive"):
            return None
        self.run.failure(request, exception)
        return None


class ScopeMiddleware:
    """Keep every request, redirects included, within the blog's scope.

    Scrapy's OffsiteMiddleware allows whole domains; asset hosts (CDNs) must serve requisites
    only, never pages, and a page's redirect to such a host must not be followed either.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ScopeMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        spider: Any = self.crawler.spider
        if not hasattr(spider, "in_scope") or request.url.endswith("/robots.txt"):
            return None
        if spider.in_scope(request.url):
            return None
        if request.meta.get("link_kind") == "requisite" and spider.is_asset_host(request.url):
            return None
        self.crawler.stats.inc_value("arshif/out_of_scope")
        raise IgnoreRequest(f"out of scope: {request.url}")


class ConditionalRequestMiddleware:
    """On a re-crawl, ask for articles and requisites only if they changed (If-None-Match,
    If-Modified-Since from their last capture). Listing pages, sitemaps and feeds are always
    fetched whole: they are how new articles are found. Off with ARSHIF_FULL."""

    def __init__(self, run: ArchiveRun, stats: StatsCollector) -> None:
        self.run, self.stats = run, stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequestMiddleware:
        if crawler.settings.getbool("ARSHIF_FULL"):
            raise NotConfigured
        return cls(ArchiveRun.of(crawler), crawler.stats)

    def process_request(self, request: Request) -> None:
        url = request.url
        if request.headers.get("If-None-Match") or not self.run.conditional:
            return None
        if request.meta.get("link_kind") != "requisite" and url not in self.run.known:
            return None
        validator = self.run.validator(url)
        if validator is None:
            return None
        etag, modified = validator
        if etag:
            request.headers["If-None-Match"] = etag
        if modified:
            request.headers["If-Modified-Since"] = modified
        self.stats.inc_value("arshif/conditional_requests")
        return None


class ArchivedCopyMiddleware:
    """After a crash, the next run must reach everything behind the pages the killed run had
    already archived, yet those answer 304 now and a 304 has no body. So in that run the spider
    gets the archived copy instead, read back from the WARC. (In an ordinary incremental run a 304
    page is left unparsed: that is the saving.) Sits below WarcCaptureMiddleware, so the 304
    itself is archived first."""

    def __init__(self, run: ArchiveRun, stats: StatsCollector) -> None:
        self.run, self.stats = run, stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivedCopyMiddleware:
        return cls(ArchiveRun.of(crawler), crawler.stats)

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status != 304 or self.run.mode != "after-crash":
            return response
        archived = self.run.archived_copy(request.url)
        if archived is None:
            return response
        self.stats.inc_value("arshif/archived_copies")
        return archived
