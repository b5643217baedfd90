"""What the spider hands to the pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field

from archive.pages.feeds import FeedEntry


@dataclass
class PageItem:
    url: str
    kind: str  # article, listing, sitemap or feed
    links: list[tuple[str, str]] = field(default_factory=list)  # (to_url, link kind)
    capture: dict | None = None  # the captures row of the response (see run.ArchiveRun.capture)
    article: dict | None = None  # extract_for_store's row, from the page's reading (None: capture only)
    feed_entries: list[FeedEntry] | None = None  # a feed's items (archive.pages.feeds)
