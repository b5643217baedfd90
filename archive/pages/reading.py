"""Reading one fetched HTML page: what it is, where it leads and, for an article, what it says.

This is the crawl's CPU work per page once the exchange is in the WARC: parsing, classifying,
finding links (the related-articles search alone is ~1 ms), and extracting. It is a pure function
of the response's bytes, so the crawl runs it in its worker processes (``crawler/reading.py``),
off the reactor's core: fetching goes on while pages are read, and an article page is parsed and
classified in the same process that extracts it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from w3lib.html import get_base_url

from .blocks import html_root, page_blocks
from .charset import decode_html
from .classify import classify
from .links import SKIPPED_HREFS, article_links, feed_links, listing_links, page_links, requisite_links
from .profile import Profile
from .urls import canonical_url
from .xpaths import class_names

Links = list[tuple[str, str]]  # (URL, link kind)


@dataclass(frozen=True)
class ReadingOptions:
    """What the crawl decided once, for every page (picklable: it crosses into the workers)."""
    profile: dict[str, str] = field(default_factory=dict)  # the --profile selectors
    requisites: bool = True  # follow a page's stylesheets, scripts and images
    extract: dict[str, Any] | None = None  # extract_for_store's options but the profile; None: capture only


@dataclass
class PageReading:
    """Links are resolved against the page's base, in canonical form (the form the crawl requests
    and stores), without mailto:, javascript:, tel: and #fragment-only links."""
    kind: str  # article, listing or other (classify)
    feeds: Links = field(default_factory=list)  # the page's links to the blog's feeds
    requisites: Links = field(default_factory=list)  # listings and articles: what they need to render
    links: Links = field(default_factory=list)  # a listing's or an article's links; a walked page's all
    article: dict | None = None  # extract_for_store's row (articles, when extracting)


def read_page(body: bytes, url: str, encoding: str, options: ReadingOptions, *, reached: str | None = None,
              walk: bool = False, base_date: str | None = None) -> PageReading:
    """``body`` as fetched from ``url`` and decoded by the crawl as ``encoding``. ``reached``: the
    link kind the crawl came by (see classify); ``walk``: a page not understood leads on by all its
    links (the discover walk); ``base_date``: the capture's WARC-Date, for relative dates."""
    # Decoded as Scrapy decoded it (a mislabelled page repaired) and parsed once, as reindex does
    # (pages/archived.py): the tree classification and links read is the one extraction reads.
    html = decode_html(body, f"charset={encoding}", url)
    root = html_root(html, for_trafilatura=True)
    if root is None:  # an empty body: no page at all
        return PageReading("other")
    profile = Profile.from_dict(options.profile)
    base = get_base_url(html[:4096], url)  # what Scrapy's response.urljoin resolves against
    classes = class_names(root)  # read by classification and by extraction
    reading = PageReading(classify(root, profile, reached=reached, classes=classes), resolved(feed_links(root), base))
    if reading.kind in ("listing", "article") and options.requisites:
        reading.requisites = resolved(requisite_links(root), base)
    if reading.kind == "listing":
        reading.links = resolved(listing_links(root, profile), base)
    elif reading.kind == "article":
        blocks = page_blocks(root)  # searched once: the related links here, what extraction removes below
        reading.links = resolved(article_links(root, profile, blocks), base)
        if options.extract is not None:
            from .extract import extract_for_store  # here: a capture-only crawl's readers never load trafilatura

            reading.article = extract_for_store(html, url, tree=root, blocks=blocks, classes=classes, base_date=base_date,
                                                profile=options.profile, **options.extract)
    elif walk:
        reading.links = resolved(page_links(root), base)
    return reading


def resolved(links: Links, base: str) -> Links:
    """(href, kind) pairs as the crawl requests them: absolute and canonical."""
    return [(canonical_url(urljoin(base, href.strip())), kind) for href, kind in links
            if href and not href.startswith(SKIPPED_HREFS)]
