"""Baseline for bench_crawl.py: bare Scrapy fetching a given list of URLs, storing nothing."""

import scrapy


class BaselineSpider(scrapy.Spider):
    name = "baseline"

    def __init__(self, urls_file, *args, **kwargs):
        super().__init__(*args, **kwargs)
        with open(urls_file) as fh:
            self.urls = [line.strip() for line in fh if line.strip()]
        self.pages = 0

    async def start(self):
        for url in self.urls:
            yield scrapy.Request(url)

    def parse(self, response):
        self.pages += 1

    def closed(self, reason):
        print(f"BASELINE_PAGES={self.pages}", flush=True)
