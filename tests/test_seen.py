"""crawler/seen.py's compact sets answer as Python's own sets do, through growth and deletions."""

from __future__ import annotations

import hashlib
import inspect
import random

import pytest

from crawler.seen import Fingerprints, Hashes, IntMap, SeenUrls


def test_hashes_answer_as_a_set_through_collisions_growth_and_deletions():
    rng = random.Random(1256)
    # Values that share their low bits collide in a small table: long probe chains, then growth.
    pool = [0, -1, 2**63 - 1, -(2**63)] + [rng.randrange(-(2**63), 2**63) for _ in range(300)] \
        + [n << 20 for n in range(1, 200)]
    hashes, truth = Hashes(), set()
    for step in range(20000):
        value = rng.choice(pool)
        if rng.random() < 0.35:
            hashes.discard(value)
            truth.discard(value)
        else:
            hashes.add(value)
            truth.add(value)
        if step % 97 == 0:
            assert len(hashes) == len(truth)
            assert all((v in hashes) == (v in truth) for v in pool)
    assert len(hashes) == len(truth) and all((v in hashes) == (v in truth) for v in pool)


def test_int_map_answers_as_a_dict_through_collisions_and_growth():
    rng = random.Random(1447)
    # URL pattern hashes (the budget's counts) and keys that collide in a small table; 0 and the extremes.
    keys = [hash(f"مدونة.example/٢٠٢٥/N/مقالة-{n}/") for n in range(400)] + [n << 20 for n in range(1, 200)] \
        + [0, -1, 2**63 - 1, -(2**63)]
    counts, truth = IntMap(), {}
    for step in range(20000):
        key = rng.choice(keys)
        value = rng.choice([0, 1, -(2**63), 2**63 - 1, counts.get(key, 0) % 1000 + 1])
        counts[key] = value
        truth[key] = value
        if step % 97 == 0:
            assert len(counts) == len(truth)
            assert all(counts.get(k) == truth.get(k) and (k in counts) == (k in truth) for k in keys)
    assert len(counts) == len(truth) and all(counts.get(k, -5) == truth.get(k, -5) for k in keys)
    counts.update([(7, 70), (0, 1)])
    assert counts.get(7) == 70 and counts.get(0) == 1 and "7" not in counts


def test_seen_urls_and_fingerprints_hold_arabic_urls_and_digests():
    urls = [f"https://مدونة.example/٢٠٢٥/{n}/مقال-{n}/" for n in range(5000)]
    seen = SeenUrls(urls[:2500])
    seen.update(urls[2500:4000])
    assert len(seen) == 4000
    assert all(u in seen for u in urls[:4000]) and not any(u in seen for u in urls[4000:])
    seen.discard(urls[0])
    assert urls[0] not in seen and len(seen) == 3999
    digests = [hashlib.sha1(u.encode()).digest() for u in urls]
    fingerprints = Fingerprints(digests[:100])
    fingerprints.add(digests[100])
    assert len(fingerprints) == 101 and digests[100] in fingerprints and digests[101] not in fingerprints
    assert "not bytes" not in fingerprints


def test_the_crawls_dupefilter_keeps_its_fingerprints_compactly(tmp_path):
    from scrapy import Request
    from scrapy.utils.test import get_crawler

    from crawler.frontier import DiskSafeDupeFilter

    crawler = get_crawler(settings_dict={"JOBDIR": str(tmp_path)})
    dupefilter = DiskSafeDupeFilter.from_crawler(crawler)
    assert isinstance(dupefilter._fingerprints, Fingerprints), "Scrapy's set of digests was not replaced"
    first = Request("https://مدونة.example/٢٠٢٥/مقال/")
    assert not dupefilter.request_seen(first) and dupefilter.request_seen(first.replace())
    assert not dupefilter.request_seen(Request("https://مدونة.example/٢٠٢٥/مقال-آخر/"))
    dupefilter.close("finished")
    # resumed: the fingerprints read back from JOBDIR go into the compact set too
    resumed = DiskSafeDupeFilter.from_crawler(get_crawler(settings_dict={"JOBDIR": str(tmp_path)}))
    assert isinstance(resumed._fingerprints, Fingerprints) and len(resumed._fingerprints) == 2
    assert resumed.request_seen(first)


def test_the_disk_queue_names_callbacks_as_scrapy_does_and_gives_them_back(tmp_path):
    """The frontier's queue writes a request without searching the whole spider for its
    callbacks' names: the dict is Scrapy's own, and what comes back off the disk calls the same."""
    from scrapy import Request
    from scrapy.utils.test import get_crawler

    from crawler.frontier import LifoDiskQueue, request_dict
    from crawler.spiders.blog import BlogSpider

    crawler = get_crawler(BlogSpider, {"ARSHIF_OUT": str(tmp_path / "out")})
    spider = crawler.spider = BlogSpider.from_crawler(crawler, url="https://مدونة.example/")
    requests = [Request("https://مدونة.example/٢٠٢٥/مقال/", callback=spider.parse_page, errback=spider.fetch_failed,
                        meta={"link_kind": "article"}, priority=-1),
                Request("https://مدونة.example/sitemap.xml", callback=spider.parse_sitemap),
                Request("https://مدونة.example/robots.txt")]
    for request in requests:
        assert request_dict(request, spider) == request.to_dict(spider=spider)
    stray = Request("https://مدونة.example/x", callback=lambda response: None)  # not the spider's: Scrapy's error
    with pytest.raises(ValueError, match="not an instance method"):
        request_dict(stray, spider)

    from scrapy.utils.project import get_project_settings

    assert get_project_settings()["SCHEDULER_DISK_QUEUE"] == "crawler.frontier.LifoDiskQueue"  # the crawl's queue
    searched = []  # what inspect.getmembers is asked to search while requests are queued
    real_getmembers = inspect.getmembers

    def getmembers(obj, *args, **kwargs):
        searched.append(obj)
        return real_getmembers(obj, *args, **kwargs)

    queue = LifoDiskQueue.from_crawler(crawler, str(tmp_path / "q"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(inspect, "getmembers", getmembers)
        for request in requests:
            queue.push(request)
    assert spider not in searched and searched  # the spider's table was made once, above; never searched again
    back = [queue.pop() for _ in requests][::-1]  # last in, first out
    queue.close()
    assert [r.url for r in back] == [r.url for r in requests]
    assert [(r.callback, r.errback) for r in back] == [(r.callback, r.errback) for r in requests]
    assert back[0].meta == {"link_kind": "article"} and back[0].priority == -1


def test_scope_is_kept_by_origin_and_answers_as_same_blog():
    """in_scope remembers its answer per scheme://host:port; the answers are same_blog's."""
    from archive.pages.urls import same_blog
    from crawler.spiders.blog import BlogSpider

    spider = BlogSpider(url="https://www.مدونة.example/", allow_domains="cdn.example")
    urls = ["https://مدونة.example/a/", "https://www.مدونة.example/b/?c=d", "http://مدونة.example/",
            "https://مدونة.example:8443/a/", "https://img.cdn.example/x.png", "https://cdn.example",
            "https://other.example/a/", "https://مدونة.example.evil/a/", "mailto:a@مدونة.example",
            "https://user@other.example/مدونة.example/", "https://مدونة.example?x=/y",
            "https://مدونة.example/٢٠٢٥/مقال/"]
    for _ in range(2):  # the second time from what it kept
        assert [spider.in_scope(u) for u in urls] == [same_blog(u, spider.blog_hosts, spider.extra_domains) for u in urls]
    assert [spider.in_scope(u) for u in urls[:6]] == [True, True, True, False, True, True]
    # kept by origin: the first and the last URL share one answer
    assert spider._scope["https://مدونة.example"] is True and len(spider._scope) == len(urls) - 1
    assert not any(spider.in_scope(u) for u in urls[6:10])
