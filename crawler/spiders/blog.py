"""The ``blog`` spider: walks an Arabic blog from one start URL.

From the start URL (home, a listing page or a single article) it follows listing pagination, every
article linked from listings, related-article and previous/next links on articles, the blog's home
link (so a single article leads to the whole blog), sitemaps (robots.txt ``Sitemap:`` lines and
the well-known paths) and feeds. It stays on the start URL's host plus ``allow_domains``.

    scrapy crawl blog -a url=https://example.blog/ -s ARSHIF_OUT=out
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import HtmlResponse, TextResponse
from scrapy.http.request import NO_CALLBACK
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.sitemap import Sitemap

from archive import __version__
from archive.arabic.dates import parse_iso
from archive.pages.feeds import feed_entries
from archive.pages.links import css_links
from archive.pages.profile import Profile
from archive.pages.reading import PageReading, resolved
from archive.pages.urls import blog_key, canonical_url, same_blog, url_pattern
from archive.store import KnownArticles

from ..evidence import PageEvidence
from ..items import PageItem
from ..reading import PageReader
from ..run import ArchiveRun
from ..seen import IntMap, SeenUrls

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings

progress_log = logging.getLogger("arshif")
SITEMAP_PATHS = ("/wp-sitemap.xml", "/sitemap.xml", "/sitemap_index.xml")
MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps.org limit for one uncompressed file
MAX_SITEMAP_DEPTH = 3  # sitemaps.org allows an index of sitemaps; real sites nest one or two deep
# Links walked to find pages, not pages themselves: calendars and date archives hide among them.
# Links to articles (listings, feeds, sitemaps) are never held back by the pattern budget.
NAVIGATION_KINDS = ("pagination", "adjacent", "related", "home", "discovered")


def _spend(counts: IntMap, key: int, budget: int, warning: str) -> bool:
    """One more request of ``key`` if its budget allows it; the first refusal logs ``warning``."""
    made = counts.get(key, 0)
    if made <= budget:
        counts[key] = made + 1
    if made == budget:
        progress_log.warning(warning)
    return made < budget


def _lastmod(text: str | None) -> datetime | None:
    """A sitemap lastmod as an aware datetime; a bare date counts as the end of that day, so a
    post edited on the day of the last capture is still checked."""
    if not text:
        return None
    try:
        value = parse_iso(text)
    except ValueError:
        return None
    return value.replace(hour=23, minute=59, second=59) if len(text.strip()) == 10 else value


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _micros(when: datetime) -> int:
    """An aware datetime as whole microseconds since the epoch: exact, and an int for IntMap."""
    return (when - _EPOCH) // timedelta(microseconds=1)


class BlogSpider(scrapy.Spider):
    name = "blog"

    def __init__(self, url: str | None = None, allow_domains: str = "", profile: str = "", *args: Any,
                 urls: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One blog (url), or several in one job (urls): each start URL's host is in scope.
        starts = ([url] if url else []) + [u for u in urls if u]
        if not starts:
            raise ValueError("the blog spider needs a start URL: -a url=https://…")
        for start in starts:
            parts = urlsplit(start)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"not an http(s) URL: {start!r}")
        self.start_urls_all = starts
        self.start_url = starts[0]
        self.blog_hosts = {key for u in starts if (key := blog_key(u))}  # all of them (checked above)
        self.extra_domains = [d.strip().lower() for d in allow_domains.split(",") if d.strip()]
        # OffsiteMiddleware (redirects too) as same_blog: www.blog and blog are one blog (a domain
        # also allows its subdomains there)
        self.allowed_domains = sorted({host for host, _ in self.blog_hosts}) + self.extra_domains
        self.profile_path = profile
        # Set from the crawler's settings in from_crawler:
        self.requisites = True
        self.extract = True
        self.asset_hosts: list[str] = []
        self.profile = Profile()
        self.obeys_robots = True
        self.requested = SeenUrls()  # every URL asked for in this crawl
        # hash of an article URL (see SeenUrls) → its sitemap lastmod, in µs since the epoch
        self.lastmod = IntMap()
        self._sitemap_turn = asyncio.Lock()  # see parse_sitemap
        self.known_checked = False
        self.listed: dict[str, SeenUrls] = {}  # posts seen on each pagination chain (by its first page)
        # Feed items (evidence for classify) and pages taken for "other" (looked at again if a feed
        # names them): in this process, or in Redis when workers share a job (set in from_crawler)
        self.shared: PageEvidence = PageEvidence()
        self.pattern_budget = 1000  # ARSHIF_URL_PATTERN_BUDGET: navigation URLs per url_pattern (0: no limit)
        # hash of a url_pattern → navigation URLs requested (as SeenUrls: a blog with a slug per post
        # has about as many patterns as posts): compact, as SeenUrls
        self.patterns = IntMap()
        self.held_back = SeenUrls()  # navigation URLs past their pattern's budget
        self.host_budget = 200_000  # ARSHIF_HOST_PAGE_BUDGET: requests per host (0: no limit)
        self.discover_depth = 2  # ARSHIF_DISCOVER_DEPTH: steps walked from pages not understood
        self.per_host = IntMap()  # hash of a host → requests made
        self._scope: dict[str, bool] = {}  # see in_scope

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        if not crawler.settings.get("ARSHIF_OUT"):
            raise ValueError("ARSHIF_OUT is not set: name the output folder, e.g. -s ARSHIF_OUT=example-archive")
        spider = super().from_crawler(crawler, *args, **kwargs)
        extra = crawler.settings.getlist("ARSHIF_ALLOW_DOMAINS")
        spider.extra_domains += [d.lower() for d in extra if d]
        spider._scope.clear()
        spider.allowed_domains += [d.lower() for d in extra if d]
        spider.requisites = crawler.settings.getbool("ARSHIF_REQUISITES", True)
        spider.extract = crawler.settings.getbool("ARSHIF_EXTRACT", True)
        spider.asset_hosts = [h.lower() for h in crawler.settings.getlist("ARSHIF_ASSET_HOSTS") if h]
        spider.pattern_budget = crawler.settings.getint("ARSHIF_URL_PATTERN_BUDGET", 1000)
        spider.host_budget = crawler.settings.getint("ARSHIF_HOST_PAGE_BUDGET", 200_000)
        spider.discover_depth = crawler.settings.getint("ARSHIF_DISCOVER_DEPTH", 2)
        spider.allowed_domains += spider.asset_hosts  # so OffsiteMiddleware lets asset requests through
        path = spider.profile_path or crawler.settings.get("ARSHIF_PROFILE")
        spider.profile = Profile.load(path) if path else Profile()
        # RobotsTxtMiddleware fetches robots.txt itself; read its Sitemap: lines from that same
        # response instead of fetching (and archiving) the file twice.
        spider.obeys_robots = crawler.settings.getbool("ROBOTSTXT_OBEY")
        crawler.signals.connect(spider._robots_seen, signal=signals.response_received)
        crawler.signals.connect(spider._check_known_articles, signal=signals.spider_idle)
        crawler.signals.connect(lambda: PageReader.of(spider), signal=signals.spider_opened, weak=False)
        if crawler.settings.get("ARSHIF_WORKER"):
            from ..evidence import SharedPageEvidence
            from ..jobs import JobWork

            work = JobWork.of(crawler)
            spider.shared = SharedPageEvidence(work.job, work.lose)
        return spider

    # --- incremental re-crawls ------------------------------------------------------------------------
    @cached_property
    def known(self) -> KnownArticles:
        """Articles archived by earlier crawls into this folder (empty on a first crawl). Cached, as
        the two below: Scrapy's request serialization (JOBDIR) reads every attribute of the spider
        for each request it queues to disk."""
        return ArchiveRun.of(self.crawler).known

    @cached_property
    def incremental(self) -> bool:
        """A re-crawl after a finished crawl: stop paging at known articles, re-check the rest."""
        return ArchiveRun.of(self.crawler).mode == "incremental" and bool(self.known)

    @cached_property
    def checks_known(self) -> bool:
        """A re-crawl, incremental or --full: known articles nothing linked to are fetched at the end."""
        return ArchiveRun.of(self.crawler).mode in ("incremental", "full") and bool(self.known)

    def unchanged_per_sitemap(self, url: str) -> bool:
        """The sitemap's lastmod says the article has not changed since its last capture (not
        trusted by a --full crawl, which fetches everything)."""
        lastmod = self.lastmod.get(hash(url)) if self.incremental else None
        captured = self.known.get(url) if lastmod is not None else None
        return bool(lastmod is not None and captured and lastmod < _micros(parse_iso(captured)))

    def _check_known_articles(self, spider: scrapy.Spider) -> None:
        """Once the blog has been walked, check the known articles nothing linked to this time
        (a deleted post answers 404 and is marked gone), unless their sitemap lastmod says unchanged."""
        if self.known_checked or not self.checks_known:
            return
        self.known_checked = True
        scheduled = 0
        for url in self.known:
            if url in self.requested or not self.in_scope(url):
                continue
            if self.unchanged_per_sitemap(url):
                self.crawler.stats.inc_value("arshif/skipped_unchanged_lastmod")
                continue
            self.requested.add(url)
            self.crawler.engine.crawl(scrapy.Request(url, callback=self.parse_page, errback=self.fetch_failed,
                                                     meta={"link_kind": "known"}))
            scheduled += 1
        if scheduled:
            raise DontCloseSpider

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        # An honest User-Agent naming Arshif and a contact, unless the user set one.
        if settings.getpriority("USER_AGENT") <= settings.getpriority("BOT_NAME"):  # type: ignore[operator]
            contact = settings.get("ARSHIF_CONTACT")
            settings.set("USER_AGENT", f"Arshif/{__version__} (archival crawler; +{contact})", priority="spider")

    # --- scope --------------------------------------------------------------------------------------
    def in_scope(self, url: str) -> bool:
        """``url`` is one of the start URLs' blogs' (or an allowed domain's). Asked for every link of
        every page, so the answer is kept by origin (``scheme://host:port``, all it depends on)."""
        end = url.find("/", url.find("//") + 2)
        origin = url if end < 0 else url[:end]
        answer = self._scope.get(origin)
        if answer is None:
            if len(self._scope) >= 10_000:  # a page linking to endless hosts: start over
                self._scope.clear()
            answer = self._scope[origin] = same_blog(url, self.blog_hosts, self.extra_domains)
        return answer

    def is_asset_host(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return any(host == h or host.endswith("." + h) for h in self.asset_hosts)

    def within_budget(self, url: str, kind: str) -> bool:
        """A navigation link not requested yet, unless its URL pattern has had its budget: a
        calendar that pages through months without end, an archive with a page for every day. Each
        URL held back is counted; the first of each pattern is logged."""
        if kind not in NAVIGATION_KINDS or not self.pattern_budget:
            return True
        pattern = url_pattern(url)
        if _spend(self.patterns, hash(pattern), self.pattern_budget,
                  f"more than {self.pattern_budget} links like {pattern}: the rest are not followed "
                  "(ARSHIF_URL_PATTERN_BUDGET)"):
            return True
        if url not in self.held_back:
            self.held_back.add(url)
            self.crawler.stats.inc_value("arshif/budget/url_pattern")
        return False

    def within_host_budget(self, url: str) -> bool:
        """A backstop whatever the URLs look like (session ids, endless query strings): at most
        ARSHIF_HOST_PAGE_BUDGET requests to one host (``url``: not requested yet); the first
        refusal is logged."""
        if not self.host_budget:
            return True
        host = (urlsplit(url).hostname or "").lower()
        if _spend(self.per_host, hash(host), self.host_budget,
                  f"{self.host_budget} requests to {host}: no more are made (ARSHIF_HOST_PAGE_BUDGET)"):
            return True
        self.crawler.stats.inc_value("arshif/budget/host")
        return False

    def follow_all(self, response: Response, links: Iterable[tuple[str, str]], callback: Callable[..., Any],
                   meta: dict[str, dict[str, Any]] | None = None) -> tuple[Iterator[scrapy.Request], list[tuple[str, str]]]:
        """Scope links, given as canonical URLs (a page's reading, a sitemap's or a feed's entries,
        or ``resolved``); return (requests, link rows). ``meta``: more request meta by link kind.
        The requests are built as Scrapy takes them: a sitemap of 2,000 URLs, 16 sitemaps at a
        time, would otherwise hold 32,000 Request objects at once."""
        wanted, rows, seen = [], [], set()
        for url, kind in links:
            in_scope = self.in_scope(url) or (kind == "requisite" and self.is_asset_host(url))
            if (url, kind) in seen or not in_scope or url == response.url and kind != "sitemap":
                continue
            requested = url in self.requested  # once a link: the budgets count new URLs only
            if not requested and (not self.within_budget(url, kind) or not self.within_host_budget(url)):
                continue
            link = (url, kind)  # one tuple for all three: a sitemap brings 2,000 links at once
            seen.add(link)
            rows.append(link)
            if requested:
                continue  # the dupefilter would drop it: a link row, no Request built and fingerprinted
            self.requested.add(url)
            wanted.append(link)
        # Requisites wait behind pages: the blog's structure first, its decoration after. Sitemaps
        # go first: behind the pages of the first ones read (the disk queue is last in, first out)
        # they all came at the end of the crawl, together, on top of everything the crawl holds by then.
        priority = 1 if callback == self.parse_sitemap else 0
        requests = (scrapy.Request(url, callback=callback, errback=self.fetch_failed,
                                   meta={"link_kind": kind, **(meta or {}).get(kind, {})},
                                   priority=-1 if kind == "requisite" else priority) for url, kind in wanted)
        return requests, rows

    # --- callbacks ----------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        job = None
        if self.settings.get("ARSHIF_WORKER"):
            from ..jobs import JobWork

            job = JobWork.of(self.crawler)
            if not job.seed:
                return  # joining a job: its start requests are in Redis already
        for start_url in self.start_urls_all:
            parts = urlsplit(start_url)
            root_url = f"{parts.scheme}://{parts.netloc}"
            self.requested.add(start_url)
            yield scrapy.Request(start_url, callback=self.parse_page, errback=self.fetch_failed)
            if not self.obeys_robots:
                yield scrapy.Request(root_url + "/robots.txt", callback=self.parse_robots, errback=self.fetch_failed)
            for path in SITEMAP_PATHS:
                yield scrapy.Request(root_url + path, callback=self.parse_sitemap, errback=self.fetch_failed)
        if job is not None:  # every start request is queued: an empty queue now means done
            job.job.mark_seeded()

    def fetch_failed(self, failure: Any) -> Any:
        """One line per failed fetch; the captures table already holds it (status or error)."""
        if failure.check(HttpError):
            # 304: unchanged since the last capture (archived as a revisit). 404/410 on a known
            # article: it was deleted; mark it. Other statuses are archived and need nothing more.
            url, status = failure.request.url, failure.value.response.status
            if status in (404, 410) and url in self.known:
                return [PageItem(url, "gone", capture=failure.request.meta.get("arshif_capture"))]
            return None
        if failure.check(IgnoreRequest):
            progress_log.info("skipped %s: %s", failure.request.url, failure.getErrorMessage())
            return
        progress_log.warning("could not fetch %s: %s", failure.request.url, failure.getErrorMessage())

    async def parse_page(self, response: Response) -> AsyncIterator[Any]:
        if not isinstance(response, HtmlResponse):
            for output in self.feed_reached_otherwise(response):
                yield output
            return
        reached = response.meta.get("link_kind")
        if reached != "feed" and self.shared.is_feed_item(response.url):  # in a job, a Redis lookup
            reached = "feed"
        # Parsed, classified, its links found and (an article) extracted in a worker process.
        reading = await PageReader.of(self).read(response, reached=reached, walk=self.walks_on(response))
        for output in self.follow_reading(response, reading):
            yield output

    def follow_reading(self, response: Response, reading: PageReading) -> Iterator[Any]:
        """What the page leads to, and its item, from what the reader found in it."""
        kind = reading.kind
        if kind == "other":
            if self.shared.taken_for_other(response.url):
                yield self.look_again(response.url)  # a feed named it meanwhile (another worker's)
            if reading.links:  # a page not understood leads on by all its links (see walks_on)
                depth = response.meta.get("discover_depth", 0)
                requests, _ = self.follow_all(response, reading.links, self.parse_page,
                                              meta={"discovered": {"discover_depth": depth + 1}})
                yield from requests
        requests, extra = self.follow_all(response, reading.feeds, self.parse_feed)
        yield from requests
        capture = response.meta.get("arshif_capture")
        if reading.requisites:  # listings' and articles' (ARSHIF_REQUISITES)
            requests, assets = self.follow_all(response, reading.requisites, self.parse_requisite)
            yield from requests
            extra = extra + assets
        if kind == "listing":
            links = reading.links
            articles = [url for url, k in links if k == "article"]
            if self.incremental and articles and all(a in self.known for a in articles):
                # Incremental: a listing page with nothing new; the pages after it are older still.
                links = [(h, k) for h, k in links if k != "pagination"]
                self.crawler.stats.inc_value("arshif/paging_stopped")
            chain = response.meta.get("listing_chain", response.url)  # the pages one "next" link leads through
            listed = self.listed.setdefault(chain, SeenUrls())
            if articles and all(a in listed for a in articles):
                # Every post here was on an earlier page of the same pagination: it answers any
                # /page/N/ with the same posts, or loops. The walk ends here.
                links = [(h, k) for h, k in links if k != "pagination"]
                self.crawler.stats.inc_value("arshif/paging_repeated")
            listed.update(articles)
            requests, rows = self.follow_all(response, links, self.parse_page,
                                             meta={"pagination": {"listing_chain": chain}})
            yield from requests
            yield PageItem(response.url, "listing", rows + extra, capture=capture)
        elif kind == "article":
            requests, rows = self.follow_all(response, reading.links, self.parse_page)
            yield from requests
            yield PageItem(response.url, "article", rows + extra, capture=capture, article=reading.article)

    def walks_on(self, response: Response) -> bool:
        """A page not understood, reached as the start URL or by this walk, leads on by all its links,
        up to ARSHIF_DISCOVER_DEPTH steps: an unknown theme's home page (a plain list of post links,
        no post containers) must not leave the archive holding one page. Pages found this way are
        classified as any other; the pattern and host budgets bound the walk."""
        walked_to = response.meta.get("link_kind") in (None, "discovered")  # the start URL has no kind
        return walked_to and response.meta.get("discover_depth", 0) < self.discover_depth

    def parse_requisite(self, response: Response) -> Iterator[Any]:
        """Stylesheets pull in more: @import-ed sheets, fonts and background images."""
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
        if "css" not in content_type and not urlsplit(response.url).path.endswith(".css"):
            return
        if not isinstance(response, TextResponse):
            return
        links = [(u, "requisite") for u in css_links(response.text)]
        # A stylesheet's url() and robots.txt's Sitemap: lines resolve against the file's own URL (no
        # <base> to look for: get_base_url would decode the text to search one)
        requests, _ = self.follow_all(response, resolved(links, response.url), self.parse_requisite)
        yield from requests

    def _robots_seen(self, response: Response, request: scrapy.Request, spider: scrapy.Spider) -> None:
        # RobotsTxtMiddleware's own request (NO_CALLBACK): the one robots.txt fetch of the host.
        own = request.callback in (None, NO_CALLBACK) and request.meta.get("dont_obey_robotstxt")
        if urlsplit(response.url).path == "/robots.txt" and own and response.status == 200:
            for req in self.parse_robots(response):
                self.crawler.engine.crawl(req)

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        if not isinstance(response, TextResponse):
            return
        links = [(line.split(":", 1)[1].strip(), "sitemap") for line in response.text.splitlines()
                 if line.lower().startswith("sitemap:")]
        requests, _ = self.follow_all(response, resolved(links, response.url), self.parse_sitemap)
        yield from requests

    async def parse_sitemap(self, response: Response) -> AsyncIterator[Any]:
        # One sitemap at a time: Scrapy runs the callbacks of the responses it holds side by side,
        # and a blog's sitemaps arrive together (16 at a time, 2,000 URLs each): each one's
        # parse, entries and links rows alive at once made the crawl's peak memory grow with the blog.
        async with self._sitemap_turn:
            for output in self._read_sitemap(response):
                yield output

    def _read_sitemap(self, response: Response) -> Iterator[Any]:
        try:
            body = response.body
            if gzip_magic_number(response):  # a .xml.gz sitemap, not decoded by HttpCompression
                body = gunzip(body, max_size=MAX_SITEMAP_BYTES)  # what a cut file holds; a bomb raises
            sitemap = Sitemap(body)
        except Exception:  # not XML (a theme's HTML 200 page at /sitemap.xml), a bomb, a damaged file
            return
        # urljoin on the URL, not response.urljoin: that looks for an HTML <base> in the decoded text,
        # and so keeps a str copy of the body on each response (≈ 330 KB a 2,000-URL sitemap)
        entries = [(canonical_url(urljoin(response.url, e["loc"].strip())), e.get("lastmod")) for e in sitemap if e.get("loc")]
        if self.incremental:  # known articles the sitemap says are unchanged are not fetched again at all
            self.lastmod.update((hash(url), _micros(when)) for url, lastmod in entries if (when := _lastmod(lastmod)))
        locs = [url for url, _ in entries if not self.unchanged_per_sitemap(url)]
        if sitemap.type == "sitemapindex":
            depth = response.meta.get("sitemap_depth", 0) + 1
            if depth > MAX_SITEMAP_DEPTH:  # nested indexes without end
                self.crawler.stats.inc_value("arshif/sitemap_too_deep")
                return
            requests, rows = self.follow_all(response, [(u, "sitemap") for u in locs], self.parse_sitemap,
                                             meta={"sitemap": {"sitemap_depth": depth}})
        elif sitemap.type == "urlset":
            requests, rows = self.follow_all(response, [(u, "sitemap") for u in locs], self.parse_page)
        else:
            yield from self.feed_reached_otherwise(response)
            return
        yield from requests
        yield PageItem(response.url, "sitemap", rows, capture=response.meta.get("arshif_capture"))

    def feed_reached_otherwise(self, response: Response) -> Iterator[Any]:
        """The blog's feed reached first by another link (Nikola's sitemap index lists rss.xml): the
        dupefilter drops the feed link that comes later, so it is read as the feed here."""
        if isinstance(response, TextResponse) and feed_entries(response.body):
            yield from self.parse_feed(response)

    def parse_feed(self, response: Response) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            return
        # One parse of the feed: its items' links to follow, and what it says of each (stored with the feed)
        entries = [replace(e, url=canonical_url(response.urljoin(e.url))) for e in feed_entries(response.body)]
        requests, rows = self.follow_all(response, [(e.url, "feed") for e in entries], self.parse_page)
        yield from requests
        for url in self.shared.feed_items([url for url, _ in rows]):
            yield self.look_again(url)  # reached another way first and taken for "other"
        yield PageItem(response.url, "feed", rows, capture=response.meta.get("arshif_capture"), feed_entries=entries)

    def look_again(self, url: str) -> scrapy.Request:
        """A page taken for "other" that a feed lists: parse it again, as a feed item."""
        return scrapy.Request(url, callback=self.parse_page, errback=self.fetch_failed, dont_filter=True,
                              meta={"link_kind": "feed"})

