"""Which of a page's links matter, and of what kind.

``listing_links``, ``article_links``, ``feed_links``, ``page_links`` and ``requisite_links`` return ``(href, kind)``
pairs, hrefs as written in the page (the crawler resolves and scopes them).
"""

from __future__ import annotations

import re

from lxml.etree import _Element as Element

from ..arabic.text import fold
from .blocks import related_links
from .classify import post_containers
from .profile import Profile
from .xpaths import class_names, select

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
ADJACENT_LINKS = ("//a[@rel='prev' or @rel='next'][ancestor::*[contains(@class,'post-navigation') or "
                  "contains(@class,'nav-links') or contains(@class,'navigation')]]/@href | "
                  "//*[contains(@class,'nav-previous') or contains(@class,'nav-next') or "
                  "contains(@class,'post-navigation-link') or contains(@class,'prev-post') or "
                  "contains(@class,'next-post')]//a/@href | "
                  "//a[contains(@class,'blog-pager-older-link') or contains(@class,'blog-pager-newer-link')]/@href")
HOME_LINKS = "//a[@rel='home']/@href | //*[contains(@class,'site-title')]//a/@href | //a[contains(@class,'home-link')]/@href"
FEED_LINKS = ("//link[@rel='alternate'][contains(@type,'rss') or contains(@type,'atom')]/@href")




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


def article_links(root: Element, profile: Profile | None = None) -> list[tuple[str, str]]:
    profile = profile or Profile()
    related = profile.select_hrefs(root, "related") or related_links(root)
    classes = class_names(root)
    return ([(h, "related") for h in related] + [(h, "adjacent") for h in select(root, ADJACENT_LINKS, classes)]
            + [(h, "home") for h in select(root, HOME_LINKS, classes)])


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
