"""What kind of page is this?

``classify(root)`` → "article", "listing" or "other", weighing evidence: how the crawl reached the
page (an item of the blog's own feed is a post), machine-readable types (JSON-LD, Open Graph), the
page's structure (one post container, or many), and theme markers (body classes, title classes).
Static pages say so (a page template, ``og:type=website``) and are not posts. A per-site
``Profile`` overrides the heuristics.
"""

from __future__ import annotations

from lxml.etree import _Element as Element

from . import jsonld
from .profile import Profile
from .xpaths import class_names, select

ARTICLE_BODY_CLASSES = {"single-post", "single", "item-view", "post-template", "single-format-standard"}
STATIC_PAGE_BODY_CLASSES = {"page", "page-template", "page-template-default", "static-page"}
LISTING_BODY_CLASSES = {"home", "blog", "archive", "category", "tag", "paged", "search", "index-view",
                        "home-template", "tag-template", "author-template", "paged-template", "archive-view"}

# Post containers on listings: WordPress classic/block, Blogger, Ghost, generic.
POST_CONTAINERS = ("//article | //li[contains(@class,'wp-block-post ')] | "
                   "//div[contains(concat(' ',normalize-space(@class),' '),' post ') and contains(@class,'hentry')] | "
                   "//*[contains(@class,'post-card')]")


def _body_classes(root: Element) -> set[str]:
    return set(" ".join(root.xpath("//body/@class")).split())


def post_containers(root: Element, classes: str | None = None) -> list:
    """Post containers that are not nested in another one (a post's own <article> inside .post).
    ``classes``: the page's ``class_names``, if already known."""
    found = select(root, POST_CONTAINERS, classes)
    ids = set(map(id, found))
    return [el for el in found if not any(id(a) in ids for a in el.iterancestors())]


def reached_by(kinds: set[str], *, feed_item: bool) -> str | None:
    """The strongest evidence of how the crawl reached a page (an item of the blog's feed, then a
    listing's teaser permalink), for ``classify(reached=…)``, when it is rebuilt from the archive.
    ``feed_item``: a feed's entry names the page. Not a link of kind "feed" alone: that kind is
    also a page's link *to* the feed (``<link rel=alternate>``), and a feed URL answering HTML
    (a directory listing) would be taken for a post the crawl never stored."""
    return "feed" if feed_item else "article" if "article" in kinds else None


def classify(root: Element, profile: Profile | None = None, *, reached: str | None = None,
             classes: str | None = None) -> str:
    """``reached``: how the crawl came to the page, a link kind ("feed" for an item of the blog's
    feed, "article" for a teaser's permalink on a listing, …), or None. ``classes``: the page's
    ``class_names``, if already known (extraction reads them too)."""
    profile = profile or Profile()
    classes = class_names(root) if classes is None else classes
    if profile.matches(root, "article"):
        return "article"
    if profile.matches(root, "listing"):
        return "listing"
    body = _body_classes(root)
    containers = len(post_containers(root, classes))
    article_score = 3 * bool(body & ARTICLE_BODY_CLASSES)
    article_score += 2 * bool(root.xpath("//meta[@property='og:type'][@content='article']"))
    article_score += 2 * bool(jsonld.types(root) & jsonld.ARTICLE_TYPES)
    article_score += bool(select(root, "//h1[contains(@class,'entry-title') or contains(@class,'post-title')"
                                       " or contains(@class,'wp-block-post-title')]", classes))
    article_score += containers == 1
    article_score += 3 * (reached == "feed")  # the blog's own feed lists its posts
    article_score += 2 * (reached == "article")  # the permalink of a teaser on one of its listing pages
    article_score -= 2 * bool(body & STATIC_PAGE_BODY_CLASSES)  # About, Contact: pages, not posts
    article_score -= 2 * bool(root.xpath("//meta[@property='og:type'][@content='website']"))
    listing_score = 3 * bool(body & LISTING_BODY_CLASSES) + 3 * (containers >= 2)
    if containers >= 2 and listing_score > article_score:
        return "listing"
    if article_score >= 2:
        return "article"
    if containers >= 2:
        return "listing"
    return "other"
