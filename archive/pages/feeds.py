"""A blog's RSS or Atom feed: ground truth for its newest posts.

``feed_entries(body)`` reads each item's link, title, date (as printed in the feed), author and
categories. Parsed without network access, entity expansion or DTDs, and with a size cap: a feed
is untrusted input.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime

from lxml import etree

MAX_FEED_BYTES = 20 * 1024 * 1024


@dataclass
class FeedEntry:
    url: str
    title: str | None = None
    published: str | None = None  # as the feed prints it (RFC 822 in RSS, ISO 8601 in Atom)
    author: str | None = None
    categories: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "FeedEntry":
        return cls(str(data["url"]), data.get("title"), data.get("published"), data.get("author"),
                   list(data.get("categories") or []))


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=True)


def feed_entries(body: bytes) -> list[FeedEntry]:
    """The items of an RSS 2.0 or Atom feed; [] for anything else."""
    if not body or len(body) > MAX_FEED_BYTES:
        return []
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError:
        return []
    if root is None:
        return []
    entries = []
    for item in root.xpath("//*[local-name()='item' or local-name()='entry']"):
        url = _first(item, "*[local-name()='link'][@rel='alternate']/@href", "*[local-name()='link'][not(@rel)]/@href",
                     "*[local-name()='link']/text()")
        if not url:
            continue
        entries.append(FeedEntry(
            url=url,
            title=_first(item, "*[local-name()='title']/text()"),
            published=_first(item, *(f"*[local-name()='{name}']/text()"
                                     for name in ("pubDate", "published", "date", "updated"))),
            author=_first(item, "*[local-name()='creator']/text()",
                          "*[local-name()='author']/*[local-name()='name']/text()", "*[local-name()='author']/text()"),
            categories=[c.strip() for c in item.xpath("*[local-name()='category']/@term | "
                                                      "*[local-name()='category']/text()") if c.strip()]))
    return entries


def _first(item: etree._Element, *paths: str) -> str | None:
    """The first non-blank value the XPaths find (namespaces matched by local name), spaces squeezed."""
    for path in paths:
        for value in item.xpath(path):
            if str(value).strip():
                return " ".join(str(value).split())
    return None


def feed_date(text: str | None) -> datetime | None:
    """A feed's date: RFC 822 in RSS, ISO 8601 in Atom."""
    if not text:
        return None
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError):
        pass
    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
