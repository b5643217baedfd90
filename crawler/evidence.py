"""What the blog spider learns of pages as it goes that decides how others are read: the feed's
items (evidence that a page is an article) and pages taken for "other" before a feed named them.
Kept in this process, or in Redis when several workers share a job."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from redis.exceptions import RedisError

from .seen import SeenUrls

if TYPE_CHECKING:
    from archive.jobs import Job


class PageEvidence:
    """In this process."""

    def __init__(self) -> None:
        self.feed = SeenUrls()  # held as hashes: memory stays flat as the blog grows
        self.other = SeenUrls()

    def is_feed_item(self, url: str) -> bool:
        return url in self.feed

    def feed_items(self, urls: list[str]) -> list[str]:
        """Remember a feed's items; return those already parsed and taken for "other"."""
        self.feed.update(urls)
        again = [url for url in urls if url in self.other]
        for url in again:
            self.other.discard(url)
        return again

    def taken_for_other(self, url: str) -> bool:
        """Remember a page taken for "other"; True if it must be looked at again now: a feed named
        it while it was being read (pages are read in worker processes, see crawler/reading.py)."""
        if url in self.feed:
            return True
        self.other.add(url)
        return False


class SharedPageEvidence(PageEvidence):
    """The blog spider's PageEvidence for a job: in Redis, so a feed parsed by one worker is
    evidence for the pages another fetches. A page taken for "other" and named by a feed is looked
    at again exactly once, whichever comes first, as both sides end with an atomic SREM."""

    def __init__(self, job: Job, on_error: Callable[[Exception], None]) -> None:
        super().__init__()
        self.redis, self.feed_key, self.other_key = job.redis, job.feed_items_key, job.parsed_other_key
        self.on_error = on_error  # a failed command stops the worker before the page's lease is released

    @contextmanager
    def _guarded(self) -> Iterator[None]:
        try:
            yield
        except RedisError as exc:
            self.on_error(exc)
            raise

    def is_feed_item(self, url: str) -> bool:
        with self._guarded():
            return bool(self.redis.sismember(self.feed_key, url))

    def feed_items(self, urls: list[str]) -> list[str]:
        if not urls:
            return []
        pipe = self.redis.pipeline()
        pipe.sadd(self.feed_key, *urls)
        for url in urls:
            pipe.srem(self.other_key, url)
        with self._guarded():
            removed = pipe.execute()[1:]
        return [url for url, gone in zip(urls, removed, strict=True) if gone]

    def taken_for_other(self, url: str) -> bool:
        pipe = self.redis.pipeline()
        pipe.sadd(self.other_key, url)
        pipe.sismember(self.feed_key, url)
        with self._guarded():
            _, named = pipe.execute()
            return bool(named) and bool(self.redis.srem(self.other_key, url))
