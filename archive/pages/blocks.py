"""Where blog themes put the blocks around an article: share, related articles, comments, navigation.

The crawler follows the links of the related block; the extractor removes all of these blocks
before handing the page to trafilatura, so the stored text is the article alone. Both work on lxml
trees and share these definitions, so what one finds the other removes.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

import lxml.html
from lxml import etree
from lxml.etree import _Element as Element

from ..arabic.text import fold

# Blocks recognised by their class or id (WordPress core and block themes, Jetpack, Yoast, YARPP,
# Contextual Related Posts, AddToAny, Blogger): a word anywhere in the class or id (as XPath's
# contains()), or a whole class token / the whole id.
RELATED_MARKS = ("related", "yarpp", "crp_related", "rp4wp", "read-also", "readmore-posts")
SHARE_MARKS = ("share", "sharing", "sharedaddy", "social-links", "addtoany", "a2a_kit", "social-icons")
COMMENTS_MARKS = ("comments-area", "comment-respond", "wp-block-comments", "comment-form", "comment-list")
COMMENTS_TOKENS = ("comments",)
COMMENTS_IDS = ("respond", "comments")
NAVIGATION_MARKS = ("post-navigation", "nav-links", "blog-pager", "widget-area", "breadcrumb")
NAVIGATION_TOKENS = ("sidebar",)
NAVIGATION_TAGS = ("nav", "aside")


def _marks(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(map(re.escape, words)))


_RELATED, _SHARE = _marks(RELATED_MARKS), _marks(SHARE_MARKS)
_COMMENTS, _NAVIGATION = _marks(COMMENTS_MARKS), _marks(NAVIGATION_MARKS)
_ANY_MARK = _marks(RELATED_MARKS + SHARE_MARKS + COMMENTS_MARKS + COMMENTS_TOKENS + NAVIGATION_MARKS
                   + NAVIGATION_TOKENS + COMMENTS_IDS)
_XML_SPACE = re.compile("[ \t\r\n]+")  # what XPath's normalize-space() collapses


class MarkedBlocks(NamedTuple):
    related: list[Element]
    share: list[Element]
    comments: list[Element]
    navigation: list[Element]


def marked_blocks(root: Element) -> MarkedBlocks:
    """Elements whose class or id (or tag) marks a related, share, comment or navigation block,
    each list in document order. One pass in Python: libxml2 evaluates contains(@class, …) slowly,
    ~0.3 ms a page for each kind of block as an XPath."""
    found = MarkedBlocks([], [], [], [])
    for el in root.iter(etree.Element):
        cls, ident = el.get("class"), el.get("id")
        nav_tag = el.tag in NAVIGATION_TAGS
        if cls is None and ident is None and not nav_tag:
            continue
        marks = _marks_of(cls or "", ident or "", nav_tag)
        if marks is not None:
            for blocks, marked in zip(found, marks, strict=True):
                if marked:
                    blocks.append(el)
    return found


@lru_cache(maxsize=8192)
def _marks_of(cls: str, ident: str, nav_tag: bool) -> tuple[bool, bool, bool, bool] | None:
    """(related, share, comments, navigation) for an element's class and id, or None: no mark at
    all. A theme gives the same few hundred class strings to every page: each is matched once
    (2 µs an element, matched every time)."""
    if not nav_tag and not _ANY_MARK.search(cls) and not _ANY_MARK.search(ident):
        return None
    tokens = _XML_SPACE.split(cls.strip(" \t\r\n"))
    return (bool(_RELATED.search(cls) or _RELATED.search(ident)),
            bool(_SHARE.search(cls) or _SHARE.search(ident)),
            bool(ident in COMMENTS_IDS or _COMMENTS.search(cls) or _COMMENTS.search(ident)
                 or any(t in tokens for t in COMMENTS_TOKENS)),
            bool(nav_tag or _NAVIGATION.search(cls) or _NAVIGATION.search(ident) or ident in NAVIGATION_TOKENS
                 or any(t in tokens for t in NAVIGATION_TOKENS)))


# Headings that open a related-articles or share block (folded: see arabic.fold).
RELATED_TITLES = ("مقالات ذات صله", "مواضيع ذات صله", "اخبار ذات صله", "مقالات مشابهه", "مواضيع مشابهه",
                  "اقرا ايضا", "اقرا ايضاً", "اقرا كذلك", "قد يعجبك ايضا", "قد يهمك ايضا", "ذات صله",
                  "related posts", "related articles", "you may also like", "read also")
UPDATED_LABELS = ("آخر تحديث", "اخر تحديث", "أخر تحديث", "آخر تعديل", "اخر تعديل", "تاريخ التحديث", "تم التحديث",
                  "Last updated", "Updated on")
def elements(*tags: str) -> str:
    """An XPath for the elements of ``tags``, in document order: a union of searches by name, which
    libxml2 runs 3× faster than one walk testing //*[self::p or self::div …]."""
    return "(" + " | ".join(f"//{tag}" for tag in tags) + ")"


# Only worth evaluating on a page that ``mentions`` one of the labels: normalize-space(.) on every
# element costs ~0.5 ms a page. Short elements first, so the labels are tried on those alone.
UPDATED_XPATH = (elements("p", "span", "div", "li", "small", "em", "time") + "[string-length(normalize-space(.)) <= 80]["
                 + " or ".join(f"starts-with(normalize-space(.), '{label}')" for label in UPDATED_LABELS) + "]")
SHARE_TITLES = ("شارك", "شارك المقال", "شارك هذا", "شارك هذه المقاله", "مشاركه", "انشر", "share", "share this")
_TITLE_TAGS = ("h2", "h3", "h4", "h5", "h6", "p", "strong", "em", "span", "div")
# Short elements only: lxml filters in C what would otherwise be a Python loop over every element.
_CANDIDATES = elements(*_TITLE_TAGS) + "[string-length(normalize-space(.)) <= 40]"


_REAL_LINK = ".//a[@href and not(starts-with(@href, '#'))]"


def _heading_text(el: Element) -> str:
    return _folded_heading(" ".join(el.itertext()))


@lru_cache(maxsize=4096)
def _folded_heading(text: str) -> str:
    # A blog repeats its short texts (menus, widget titles, "شارك") on every page: fold each once.
    return fold(text).strip(" :：-–»«").lower()


def _title_pattern(titles: tuple[str, ...]) -> re.Pattern[str]:
    """A heading that is one of ``titles``, or one of them followed by more words."""
    return re.compile("(?:" + "|".join(map(re.escape, titles)) + ")(?: |\\Z)")


_TITLE_PATTERNS: dict[tuple[str, ...], re.Pattern[str]] = {titles: _title_pattern(titles) for titles in (RELATED_TITLES, SHARE_TITLES)}
_SHORT_ELEMENTS = etree.XPath(_CANDIDATES)


def _titled_blocks(root: Element, *title_sets: tuple[str, ...]) -> list[list[Element]]:
    """Blocks opened by a short heading such as "مقالات ذات صلة" (the heading's container), one list
    per set of titles, from one pass over the page's short elements."""
    found: list[list[Element]] = [[] for _ in title_sets]
    patterns = [_TITLE_PATTERNS.get(titles) or _title_pattern(titles) for titles in title_sets]
    for el in _SHORT_ELEMENTS(root):
        text = _heading_text(el)
        if not text or len(text) > 40:
            continue
        for blocks, pattern in zip(found, patterns, strict=True):
            if pattern.match(text):
                blocks.extend(_block_of(el))
                break
    return found


def _block_of(heading: Element) -> list[Element]:
    """The smallest container of ``heading`` that also holds the block's links; or the heading and
    the list of links that follows it."""
    block = heading
    while not _has_real_link(block) and block.getparent() is not None:
        parent = block.getparent()
        if parent.tag in ("body", "article", "main") or _text_outside_links_exceeds(parent, 120):
            break
        block = parent
    if block is not heading:
        return [block]
    nxt = heading.getnext()
    if (not _has_real_link(heading) and nxt is not None and nxt.tag in ("ul", "ol", "div", "p")
            and _has_link(nxt) and not _text_outside_links_exceeds(nxt, 120)):
        return [heading, nxt]
    return [heading]


_has_real_link = etree.XPath(f"boolean({_REAL_LINK})")
_has_link = etree.XPath("boolean(.//a)")


def _text_outside_links_exceeds(el: Element, limit: int) -> bool:
    """Whether the text of ``el`` outside its links (each element's own text, stripped) is longer
    than ``limit``: read in document order, no further than the limit, never into a link."""
    if any(up.tag == "a" for up in el.iterancestors()):
        return False  # all of it is inside a link
    length = 0
    stack = [el]
    while stack:
        node = stack.pop()
        if node.tag == "a" or not isinstance(node.tag, str):
            continue  # a link's text, and everything in it; a comment's
        if node.text:
            length += len(node.text.strip())
            if length > limit:
                return True
        stack.extend(reversed(node))
    return False


class PageBlocks(NamedTuple):
    """The blocks around a page's article, found in one search: link finding follows the related
    ones, extraction removes them all. On an article page the crawl's reader needs both, and the
    search (~1 ms a page) is the larger part of either."""
    marked: MarkedBlocks
    titled_related: list[Element]
    titled_share: list[Element]

    @property
    def related(self) -> list[Element]:
        return self.marked.related + self.titled_related

    def removable(self) -> list[Element]:
        marked = self.marked
        return self.related + marked.share + self.titled_share + marked.comments + marked.navigation

    def in_copy(self, root: Element, copy: Element) -> list[Element] | None:
        """What ``remove_boilerplate`` removes, found in ``copy``, a deep copy of ``root``: the
        outermost of the blocks only (the rest go with them), each by its path (an XPath in C).
        None when a path does not lead to exactly one element (a tag with a prefix such as Word's
        ``o:p``): the copy is then searched on its own."""
        doomed = [el for el in self.removable() if el.tag not in _KEPT_CONTAINERS]
        inside = {id(el) for el in doomed}
        tree, copied = root.getroottree(), copy.getroottree()
        out, seen = [], set()
        try:
            for el in doomed:
                if id(el) in seen or any(id(up) in inside for up in el.iterancestors()):
                    continue
                seen.add(id(el))
                found = copied.xpath(tree.getpath(el))
                if len(found) != 1:
                    return None
                out.append(found[0])
        except etree.XPathError:
            return None
        return out


def page_blocks(root: Element) -> PageBlocks:
    titled_related, titled_share = _titled_blocks(root, RELATED_TITLES, SHARE_TITLES)
    return PageBlocks(marked_blocks(root), titled_related, titled_share)


def related_links(root: Element, blocks: PageBlocks | None = None) -> list[str]:
    """hrefs inside the page's related-articles blocks, in page order, once each. ``blocks``: the
    page's ``page_blocks``, when the caller has them already."""
    return _hrefs((blocks or page_blocks(root)).related)


_LINK_HREFS = etree.XPath(".//a/@href")


def _hrefs(blocks: list[Element]) -> list[str]:
    seen, out = set(), []
    done: set[Element] = set()
    for block in blocks:
        done.add(block)
        if any(up in done for up in block.iterancestors()):
            continue  # a block inside one already read (a related list's items): its links were there
        for href in _LINK_HREFS(block):
            href = href.strip()
            if not href or href.startswith(("#", "javascript:", "mailto:")):
                continue  # tab switches and share buttons inside the block
            if href not in seen:
                seen.add(href)
                out.append(href)
    return out


_PAGE_TEXT = etree.XPath("normalize-space()")


def mentioned(root: Element, labels: tuple[str, ...]) -> tuple[str, ...]:
    """Those of ``labels`` the page's text holds (whitespace normalized as XPath does): a 0.04 ms
    test that rules out, exactly, any element whose normalize-space(.) starts with another (its text
    is part of the page's text), before an XPath looks for them element by element."""
    text = _PAGE_TEXT(root)
    return tuple(label for label in labels if label in text)


def mentions(root: Element, labels: tuple[str, ...]) -> bool:
    return bool(mentioned(root, labels))


def updated_lines(root: Element) -> list[Element]:
    """Short "last updated: <date>" lines (آخر تحديث: …), innermost elements only: their date is the
    article's modified date, and they are not part of its text."""
    if not mentions(root, UPDATED_LABELS):
        return []
    found = root.xpath(UPDATED_XPATH)
    inside = {id(a) for el in found for a in el.iterancestors()}
    return [el for el in found if id(el) not in inside]


# A class such as "related-to-x" on the page's container must not erase the page.
_KEPT_CONTAINERS = ("html", "body", "article", "main")


def remove_boilerplate(root: Element, blocks: PageBlocks | None = None, original: Element | None = None) -> list[str]:
    """Drop share, related, comment and navigation blocks, and "last updated" lines, from ``root``
    in place; return the related-articles hrefs (``related_links``) found on the way. ``blocks``:
    the ``page_blocks`` the caller found already, on ``original`` when ``root`` is its deep copy."""
    doomed = blocks.in_copy(original, root) if blocks is not None and original is not None else None
    if blocks is None or (original is not None and doomed is None):
        blocks = page_blocks(root)
    hrefs = _hrefs(blocks.related)  # a copy's hrefs are its original's
    for el in (blocks.removable() if doomed is None else doomed) + updated_lines(root):
        if el.tag in _KEPT_CONTAINERS:
            continue
        parent = el.getparent()
        if parent is not None:
            _remove_keep_tail(el)
    return hrefs


def _remove_keep_tail(el: Element) -> None:
    parent = el.getparent()
    if el.tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


# lxml.html picks each element's class in Python (forms and inputs get their own), on every visit;
# trafilatura needs only HtmlElement: chosen in C, extract_article is ~10% faster, its output the same.
_HTML_CLASSES = etree.ElementDefaultClassLookup(element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment,
                                                pi=lxml.html.HtmlProcessingInstruction, entity=lxml.html.HtmlEntity)


def html_root(html: str, *, for_trafilatura: bool = False) -> Element:
    """Parse already-decoded HTML. The encoding is forced: a page's own <meta charset> (say
    windows-1256) no longer describes the text once it has been decoded. ``for_trafilatura``: as
    an lxml.html tree (of HtmlElements), which trafilatura reads as it is."""
    if not for_trafilatura:
        return etree.fromstring(html.encode("utf-8"), etree.HTMLParser(remove_comments=True, encoding="utf-8"))
    parser = lxml.html.HTMLParser(remove_comments=True, encoding="utf-8")
    parser.set_element_class_lookup(_HTML_CLASSES)
    return etree.fromstring(html.encode("utf-8"), parser)
