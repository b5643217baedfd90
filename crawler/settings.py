"""Scrapy settings for Arshif. Our own settings carry the ``ARSHIF_`` prefix.

Override any of them per run: ``arshif crawl URL -s NAME=VALUE`` or ``scrapy crawl blog -s NAME=VALUE``.
"""

from archive.store import DEFAULT_REPLAY_URL

BOT_NAME = "arshif"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- Arshif -------------------------------------------------------------------------------------
ARSHIF_OUT = ""  # output folder (archive.db, warc/, job/): required, so nothing lands in the working folder
ARSHIF_CONTACT = "https://github.com/arshif-archive/arshif"  # put your own page or mailto: here
ARSHIF_OPERATOR = ""  # who runs the crawl; written into every warcinfo record
ARSHIF_WARC_PREFIX = "ARSHIF"
ARSHIF_WARC_MAX_SIZE = 1_000_000_000  # rotate WARC files at this many bytes
ARSHIF_MAX_RESPONSE_SIZE = 100_000_000  # bytes; a longer body is cut there and archived with WARC-Truncated: length
ARSHIF_FULL = False  # re-crawl everything whole instead of incrementally (conditional requests, paging stop)
ARSHIF_DEDUP = True  # a payload already archived in OUT becomes a revisit record
ARSHIF_REQUISITES = True  # also fetch what article and listing pages need to render (CSS, JS, images, fonts)
ARSHIF_ASSET_HOSTS: list[str] = []  # hosts of those requisites beside the blog's own (CDNs), comma-separated
ARSHIF_ALLOW_DOMAINS: list[str] = []  # hosts in scope beside the start URL's (their subdomains too)
ARSHIF_PROFILE = ""  # optional per-site profile (TOML) with CSS/XPath overrides
ARSHIF_EXTRACT = True  # False (--capture-only): WARC, captures and links now, articles later with `arshif extract`
ARSHIF_EXTRACT_WORKERS = 0  # processes that read (parse, classify, extract) pages; 0 = one per core, -1 = in the crawl process
ARSHIF_PROGRESS_INTERVAL = 10.0  # seconds between progress lines when not on a terminal; 0: none
ARSHIF_PROGRESS_LIVE = True  # on a terminal, a live panel (rich) instead of lines
ARSHIF_REPORT = True  # write OUT/report.html (charts of the crawl and the archive) when a crawl ends
ARSHIF_HOST_PAGE_BUDGET = 200_000  # requests per host in one crawl, whatever the URLs look like; 0: no limit
ARSHIF_DISCOVER_DEPTH = 2  # steps walked by every link from a page not understood (the start page first); 0: none
ARSHIF_URL_PATTERN_BUDGET = 1000  # navigation links (pagination, prev/next, related) per URL shape; 0: no limit
ARSHIF_REPLAY_URL = DEFAULT_REPLAY_URL  # pattern of articles.replay_url; default: `arshif replay` (pywb)

# --- a job shared by several workers through Redis (set by `arshif crawl --redis` and `arshif worker`) ---
ARSHIF_REDIS_URL = ""  # redis://HOST:PORT/DB of a job shared by workers; per-host delay and robots.txt held there
ARSHIF_JOB = ""  # the job's name: its keys in Redis are arshif:<job>:… ("default" when empty)
ARSHIF_WORKER = ""  # this worker's id (host-pid), in its WARC file names, leases and heartbeats; set: a job's
                    # worker, its frontier in Redis (crawler/jobs.py); empty: the frontier in this process
ARSHIF_JOB_SEED = False  # this worker queues the job's start requests
ARSHIF_JOB_MODE = ""  # first, incremental or full: decided once for the job by the worker that seeds it
ARSHIF_JOB_RUN = ""  # set: the id of one job created (its name may be used again), shared by its workers' crawls
ARSHIF_JOB_LEASE = 30.0  # seconds a dead worker's requests stay leased before they go back to the queue
ARSHIF_JOB_TICK = 0.5  # seconds between heartbeats (leases renewed, idle worker woken, end of job checked)

# --- politeness ---------------------------------------------------------------------------------
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_DELAY = 0.25
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "ar,en;q=0.5",
    # Only codings every reader of the archive can undo (archive/warc/codings.py) and every replay
    # tool replays; HttpCompressionMiddleware would otherwise also ask for zstd, which pywb reads
    # only through `arshif replay` (archive/replay.py) and a plain `wayback` not at all.
    "Accept-Encoding": "gzip, deflate, br",
}
# USER_AGENT is built by the blog spider from ARSHIF_CONTACT unless you set it yourself.

# --- components ---------------------------------------------------------------------------------
# 800: above Redirect (600) and HttpCompression (590), so capture sees 3xx hops and wire bodies;
# below HttpCache (900), so responses served from the cache are not archived twice.
# 60: right after OffsiteMiddleware (50), so out-of-scope redirects are never fetched.
# 100 and 950: with ARSHIF_REDIS_URL, robots.txt and the per-host delay are shared by the job's
# workers (crawler/politeness.py); 950 is innermost, so nothing runs between the wait and the download.
# 1: a job's worker releases the lease of a request that failed for good (crawler/jobs.py; off
# outside a job, NotConfigured without ARSHIF_WORKER).
DOWNLOADER_MIDDLEWARES = {"crawler.jobs.LeaseDownloaderMiddleware": 1,
                          "crawler.middlewares.ScopeMiddleware": 60,
                          "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
                          "crawler.politeness.SharedRobotsTxtMiddleware": 100,
                          "crawler.middlewares.ConditionalRequestMiddleware": 560,
                          "crawler.middlewares.ArchivedCopyMiddleware": 795,
                          "crawler.middlewares.WarcCaptureMiddleware": 800,
                          "crawler.politeness.SharedPolitenessMiddleware": 950}
SPIDER_MIDDLEWARES = {"crawler.jobs.LeaseSpiderMiddleware": 1}
ITEM_PIPELINES = {"crawler.pipelines.StorePipeline": 800}
EXTENSIONS = {"crawler.extensions.CrawlProgress": 500, "crawler.jobs.JobWorker": 100, "crawler.timers.TimerSweep": 500,
              "scrapy.extensions.spiderstate.SpiderState": None, "crawler.frontier.DiskSafeSpiderState": 0}

# Every response, and every decompressed body (a gzip bomb), stops at 128 MiB: memory stays bounded.
# (ARSHIF_MAX_RESPONSE_SIZE cuts and archives long bodies first; crawler.process raises this with it.)
DOWNLOAD_MAXSIZE = 128 * 1024 * 1024
DOWNLOAD_WARNSIZE = 32 * 1024 * 1024

# The frontier on disk (JOBDIR) survives a full disk: crawler/frontier.py
SCHEDULER = "crawler.frontier.DiskSafeScheduler"
SCHEDULER_DISK_QUEUE = "crawler.frontier.LifoDiskQueue"
DUPEFILTER_CLASS = "crawler.frontier.DiskSafeDupeFilter"

CONCURRENT_ITEMS = 8  # the default 100 costs CPU for nothing here
# Response bytes in the callbacks before the downloader waits (Scrapy's default 5 MB): a big blog's
# 2,000-URL sitemaps (≈ 330 KB, ≈ 1 MB in use each while read) came 15 at a time, and the memory
# of that burst stays with the process. 1 MB still holds ≈ 80 article pages for the readers.
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 1_000_000
# No way into a running crawl: Scrapy's telnet console, and its remote-control HTTP server (2.19),
# which also leaves job files in the user's home.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
