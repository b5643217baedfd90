"""Which of a page's links matter, and of what kind.

``listing_links``, ``article_links``, ``feed_links``, ``page_links`` and ``requisite_links`` return ``(href, kind)``
pairs, hrefs as written in the page (the crawler resolves and scopes them).
"""

from __future__ import annotations

import re

from lxml.etree import _Element as Element

from ..arabic.text import fold
from .blocks import PageBlocks, related_links
from .classify import post_containers
from .profile import Profile

POST_TITLE_LINKS = (".//*[self::h1 or self::h2 or self::h3 or self::h4][.//a]//a[@href] | "
                    ".//*[contains(@class,'entry-title') or contains(@class,'post-title')]//a[@href] | "
                    ".//a[@rel='bookmark'] | .//a[contains(@class,'post-card-content-link')]")
PAGINATION_LINKS = ("//link[@rel='next']/@href | //a[contains(concat(' ',@rel,' '),' next ')]/@href | "
                    "//*[contains(@class,'pagination') or contains(@class,'nav-links') or contains(@class,'page-numbers')"
                    " or contains(@class,'wp-block-query-pagination') or contains(@class,'blog-pager')]//a/@href | "
                    "//a[contains(@class,'page-numbers') or contains(@class,'next') or contains(@class,'older')]/@href")
PAGINATION_HREF = re.compile(r"(/page/\d+/?$|[?&](paged|page)=\d+|[?&]updated-max=)")
PAGINATION_WORDS = ("التالي", "التاليه", "الاقدم", "اقدم", "المزيد", "next", "older")
_ARROWS = "«»‹›<>←→ "
FEED_LINKS = ("//link[@rel='alternate'][contains(@type,'rss') or contains(@type,'atom')]/@href")
SKIPPED_HREFS = ("mailto:", "javascript:", "tel:", "#")  # links that lead to no page of the blog


def listing_links(root: Element, profile: Profile | None = None) -> list[tuple[str, str]]:
    profile = profile or Profile()
    links = [(h, "article") for h in profile.select_hrefs(root, "article_links")]
    if not links:
        for container in post_containers(root):
            hrefs = container.xpath(POST_TITLE_LINKS) or container.xpath(".//a[@href]")
            if hrefs:
                links.append((hrefs[0].get("href"), "article"))
    pages = profile.select_hrefs(root, "pagination") or _pagination_hrefs(root)
    return links + [(h, "pagination") for h in pages]


def _pagination_hrefs(root: Element) -> list[str]:
    hrefs = list(root.xpath(PAGINATION_LINKS))
    # Calendar and archive widgets page through dates without end ("« نوفمبر", "يناير »"): not pagination.
    for a in root.xpath("//a[@href][not(ancestor::*[contains(@id,'calendar') or contains(@class,'calendar')])]"):
        label = fold(" ".join(a.itertext())).strip().lower()
        href = a.get("href")
        if PAGINATION_HREF.search(href) or _is_pagination_label(label):
            hrefs.append(href)
    return hrefs


def _is_pagination_label(label: str) -> bool:
    """"التالي", "« الأقدم", "Older posts »", a bare arrow; not "« نوفمبر" (a month, with an arrow)."""
    if not label or len(label) > 25:
        return False
    words = label.strip(_ARROWS)
    return not words or any(w in words for w in PAGINATION_WORDS)


def article_links(root: Element, profile: Profile | None = None, blocks: PageBlocks | None = None) -> list[tuple[str, str]]:
    """``blocks``: the page's ``page_blocks``, when the caller has them already."""
    profile = profile or Profile()
    related = profile.select_hrefs(root, "related") or related_links(root, blocks)
    adjacent, home = _adjacent_and_home_links(root)
    return [(h, "related") for h in related] + [(h, "adjacent") for h in adjacent] + [(h, "home") for h in home]


_NAVIGATION_CLASS = re.compile("nav-links|navigation")
_ADJACENT_CLASS = re.compile("nav-previous|nav-next|post-navigation-link|prev-post|next-post")
_ADJACENT_LINK_CLASS = re.compile("blog-pager-older-link|blog-pager-newer-link")


def _adjacent_and_home_links(root: Element) -> tuple[list[str], list[str]]:
    """Previous/next links (``rel=prev|next`` inside a navigation, or inside ``.nav-previous``,
    ``.nav-next``, …, or Blogger's pager links) and links home (``rel=home``, inside
    ``.site-title``, ``.home-link``), in document order. One pass over the page in Python: as XPath
    ``//*[contains(@class, …)]`` unions, libxml2 took twice as long (0.48 against 0.22 ms a page)."""
    adjacent: set[Element] = set()
    home: set[Element] = set()
    for el in root.iter("*"):
        cls = el.get("class") or ""
        if el.tag == "a":
            rel = el.get("rel")
            if rel in ("prev", "next") and any(_NAVIGATION_CLASS.search(up.get("class") or "") for up in el.iterancestors()):
                adjacent.add(el)
            if _ADJACENT_LINK_CLASS.search(cls):
                adjacent.add(el)
            if rel == "home" or "home-link" in cls:
                home.add(el)
        if not cls:
            continue
        if _ADJACENT_CLASS.search(cls):
            adjacent.update(el.iterdescendants("a"))
        if "site-title" in cls:
            home.update(el.iterdescendants("a"))
    if not adjacent and not home:
        return [], []
    anchors = [a for a in root.iter("a") if a in adjacent or a in home]
    return ([h for a in anchors if a in adjacent and (h := a.get("href")) is not None],
            [h for a in anchors if a in home and (h := a.get("href")) is not None])


def page_links(root: Element) -> list[tuple[str, str]]:
    """Every link of a page the heuristics did not understand (a home page with a plain list of
    posts, a docs-like theme): the crawl walks on through them to find what it can."""
    return [(h, "discovered") for h in root.xpath("//a/@href")]


def feed_links(root: Element) -> list[tuple[str, str]]:
    return [(h, "feed") for h in root.xpath(FEED_LINKS)]


# --- page requisites: what a page needs to render in replay ------------------------------------------
REQUISITE_ATTRS = ("//link[contains(@rel,'stylesheet') or contains(@rel,'icon') or @rel='preload' or "
                   "@rel='modulepreload']/@href | //script/@src | //img/@src | //img/@data-src | "
                   "//img/@data-lazy-src | //source/@src | //video/@poster | //input[@type='image']/@src")
SRCSET_ATTRS = "//img/@srcset | //img/@data-srcset | //source/@srcset"
CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""", re.I)


def requisite_links(root: Element) -> list[tuple[str, str]]:
    hrefs = list(root.xpath(REQUISITE_ATTRS))
    for srcset in root.xpath(SRCSET_ATTRS):
        hrefs += [part.strip().split()[0] for part in srcset.split(",") if part.strip()]
    for css in root.xpath("//style/text() | //*[@style]/@style"):
        hrefs += css_links(css)
    return [(h, "requisite") for h in hrefs if h and not h.startswith("data:")]


def css_links(css: str) -> list[str]:
    """URLs a stylesheet pulls in: @import and url(), data: URIs left out."""
    out = []
    for m in CSS_URL.finditer(css):
        url = (m.group(2) or m.group(4) or "").strip()
        if url and not url.startswith(("data:", "#")):
            out.append(url)
    return out
