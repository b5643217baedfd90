"""Second baseline for bench_crawl.py: bare Scrapy crawling the blog as its tutorial does, from the
home page through every <a href> on its host (``response.follow_all``), storing nothing. Beside the
URL-list baseline (baseline_spider.py), which parses nothing, this one does what any crawler that
discovers a blog must: parse each page for its links."""

from urllib.parse import urlsplit

import scrapy
from scrapy.http import HtmlResponse


class FollowSpider(scrapy.Spider):
    name = "follow"

    def __init__(self, url, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.start_urls = [url]
        self.allowed_domains = [urlsplit(url).hostname]
        self.pages = 0

    def parse(self, response):
        self.pages += 1
        if isinstance(response, HtmlResponse):
            yield from response.follow_all(css="a")

    def closed(self, reason):
        print(f"BASELINE_PAGES={self.pages}", flush=True)
