"""A blog's RSS or Atom feed: ground truth for its newest posts.

``feed_entries(body)`` reads each item's link, title, date (as printed in the feed), author and
categories. Parsed without network access, entity expansion or DTDs, and with a size cap: a feed
is untrusted input.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

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
    for item in root.iter("{*}item", "{*}entry"):
        url = _first(item, ["{*}link[@rel='alternate']/@href", "{*}link[not(@rel)]/@href", "{*}link/text()"])
        if not url:
            continue
        entries.append(FeedEntry(
            url=url.strip(),
            title=_first(item, ["{*}title/text()"]),
            published=_first(item, ["{*}pubDate/text()", "{*}published/text()", "{*}date/text()", "{*}updated/text()"]),
            author=_first(item, ["{*}creator/text()", "{*}author/{*}name/text()", "{*}author/text()"]),
            categories=[c.strip() for c in item.xpath("*[local-name()='category']/@term | "
                                                      "*[local-name()='category']/text()") if c.strip()]))
    return entries


def _first(item: etree._Element, paths: list[str]) -> str | None:
    for path in paths:
        found = _xpath(item, path)
        if found:
            return " ".join(found[0].split()) or None
    return None


def _xpath(item: etree._Element, path: str) -> list[str]:
    """A tiny path language for namespaced feeds: '{*}name' steps match any namespace."""
    steps = path.split("/")
    nodes: list = [item]
    for step in steps:
        if step.startswith("@"):
            return [str(n.get(step[1:])) for n in nodes if n.get(step[1:])]
        if step == "text()":
            return [n.text for n in nodes if n.text and n.text.strip()]
        name, _, predicate = step.partition("[")
        local = name.removeprefix("{*}")
        nodes = [c for n in nodes for c in n if isinstance(c.tag, str) and etree.QName(c).localname == local]
        if predicate == "@rel='alternate']":
            nodes = [n for n in nodes if n.get("rel") == "alternate"]
        elif predicate == "not(@rel)]":
            nodes = [n for n in nodes if n.get("rel") is None]
    return []
