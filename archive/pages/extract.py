"""Article extraction: clean Arabic text and metadata from an archived page.

``extract_article(html, url, base_date=...)`` returns a plain dict (so it can cross a process
boundary): title, author, published/modified (ISO, the raw string as printed, and where each came
from), categories, tags, language, description, text, word count and the related-article URLs.

Order of trust: machine-readable markup (JSON-LD, meta tags, ``<time datetime>``) first, then the
theme's visible markup, then trafilatura's own metadata. The main text is trafilatura's, run on a
copy of the page from which share, related, comment and navigation blocks were removed
(``blocks.remove_boilerplate``), so none of them reaches the text.

The caller decodes the page (the response's declared charset): trafilatura guesses the encoding of
bytes without reading the declared charset, which garbles windows-1256 pages.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Iterable
from urllib.parse import urljoin, urlsplit

import trafilatura
from lxml import etree
from lxml.etree import _Element as Element
from lxml.html import HtmlElement
from trafilatura.external import SANITIZED_XPATH
from trafilatura.settings import Document, Extractor

from ..arabic.dates import normalize_date
from ..arabic.search import index_text
from ..arabic.text import tidy
from . import jsonld
from .blocks import UPDATED_LABELS, UPDATED_XPATH, PageBlocks, elements, html_root, mentioned, mentions, remove_boilerplate
from .canonical import article_url
from .fallback_meta import FallbackMetadata
from .profile import Profile
from .urls import canonical_url
from .xpaths import class_names, compiled, select

# Visible date elements of common themes, most specific first.
PUBLISHED_VISIBLE = ["//time[contains(@class,'published')]", "//*[contains(@class,'wp-block-post-date')]//time",
                     "//abbr[contains(@class,'published')]", "//*[contains(@class,'entry-date')]",
                     "//*[contains(@class,'post-date') or contains(@class,'posted-on')]",
                     "//*[contains(@class,'post-meta') or contains(@class,'entry-meta')]"
                     "//*[contains(concat(' ',normalize-space(@class),' '),' date ')]",
                     "//*[contains(@class,'date-header')]", "//article//time", "//time",
                     # any element whose class names a date (story-date, article_date), not a modified one
                     "//*[contains(@class,'-date') or contains(@class,'date-') or contains(@class,'_date')]"
                     "[not(contains(@class,'updat') or contains(@class,'modif'))]"
                     "[not(ancestor-or-self::*[contains(@class,'comment') or contains(@class,'widget')] "
                     "or ancestor::aside)]"]
MODIFIED_VISIBLE = ["//time[contains(@class,'updated')]", "//*[contains(@class,'modified-date')]//time"]
# ... and a visible "آخر تحديث: …" line, its <time> first (blocks.UPDATED_XPATH)
MODIFIED_LINE = [f"({UPDATED_XPATH})//time", UPDATED_XPATH]
TITLE_XPATHS = ["//h1[contains(@class,'entry-title') or contains(@class,'post-title') or contains(@class,'wp-block-post-title')]",
                elements("h1", "h2", "h3") + "[contains(@class,'entry-title') or contains(@class,'post-title')]",
                "//article//h1", "//h1"]
# Outside sidebars and their widgets (tag clouds list every tag of the blog) and comments (whose
# authors are not the article's). By class token, not substring: <body class="has-sidebar"> and
# layout wrappers (right-sidebar, ast-right-sidebar) hold the article itself, and Blogger wraps the
# post in div.widget.Blog.
_NOT_CHROME = ("[not(ancestor::aside or ancestor::*[@id='sidebar' or @id='secondary' "
               "or contains(concat(' ', normalize-space(@class), ' '), ' sidebar ') or contains(@class,'widget_') "
               "or contains(@class,'widget-area') or contains(@class,'comment') or contains(@class,'tagcloud') "
               "or contains(@class,'tag-cloud')])]")
AUTHOR_XPATHS = [f"//*[contains(@class,'author')]{_NOT_CHROME}//*[contains(@class,'fn')]",
                 "//*[contains(@class,'wp-block-post-author-name')]", f"//a[@rel='author']{_NOT_CHROME}",
                 "//*[contains(@class,'byline')]//a", f"//*[contains(@class,'post-author')]{_NOT_CHROME}",
                 f"//*[contains(@class,'p-author')]{_NOT_CHROME}",  # microformats2 (h-entry)
                 f"//*[contains(@class,'author')]{_NOT_CHROME}//strong"]  # a profile card: MkDocs Material
CATEGORY_XPATHS = ["//*[contains(@class,'cat-links')]//a", "//a[contains(concat(' ',@rel,' '),' category ')]",
                   "//*[contains(@class,'taxonomy-category')]//a",
                   "//*[contains(@class,'article-category') or contains(@class,'post-categor') "
                   "or contains(@class,'entry-categor')]//a"]
TAG_XPATHS = ["//*[contains(@class,'tags-links')]//a", "//*[contains(@class,'taxonomy-post_tag')]//a",
              "//*[contains(@class,'post-labels')]//a", f"//a[@rel='tag']{_NOT_CHROME}",
              f"//*[contains(@class,'post-tags') or contains(@class,'entry-tags')]{_NOT_CHROME}//a", "//*[contains(@class,'md-tags')]//*[contains(@class,'md-tag')]"]
# "التصنيف: <a>…</a>", "الوسوم: <a>…</a>": labelled lines of links, whatever their markup.
CATEGORY_LABELS = ("التصنيفات", "التصنيف", "تحت تصنيف", "تصنيف", "الأقسام", "القسم", "في قسم", "ضمن",
                   "Categories", "Category", "Posted in", "Filed under")
TAG_LABELS = ("الوسوم", "وسوم", "الكلمات المفتاحية", "كلمات مفتاحية", "الكلمات الدلالية", "الكلمات الدليلية",
              "Tags", "Tagged")
# Taxonomy archives by their paths (Arabic slugs too), for links inside the article itself.
CATEGORY_PATHS = ("/category/", "/categories/", "/topics/", "/section/")
TAG_PATHS = ("/tag/", "/tags/", "/label/", "/search/label/", "/hashtag/")
_BYLINE_PREFIX = re.compile(r"^\s*(?:بقلم|كتبه|كتب|الكاتب|الكاتبة|كتبت|by|author)\s*[:：]?\s*", re.I)


def extract_for_store(html: str, url: str, **options: Any) -> dict:
    """``extract_article`` as the crawl and ``reindex`` store it, run in their worker processes: a
    page that breaks the extractor becomes a row with its error (the WARC keeps the page), and the
    search index forms of title and text (``fts``) are computed here, not in the storing process."""
    try:
        article = extract_article(html, url, **options)
    except Exception as exc:
        return failed_article(url, exc)
    article["fts"] = (index_text(article.get("title")), index_text(article.get("text")))
    return article


def failed_article(url: str, exc: BaseException) -> dict:
    """The row of a page that could not be extracted."""
    return {"url": canonical_url(url), "extract_error": f"{type(exc).__name__}: {exc}"[:500]}


def extract_article(html: str, url: str, *, base_date: str | None = None,
                    profile: dict[str, str] | None = None, allowed_domains: Iterable[str] = (),
                    learned: dict[str, str] | None = None, tree: Element | None = None,
                    blocks: PageBlocks | None = None, classes: str | None = None) -> dict:
    """The article on ``html`` (already decoded), fetched from ``url``, as a plain dict; ``profile``
    holds a per-site profile's selectors (a dict, so the call can cross a process boundary). Its
    ``url`` is the one it is stored under (``canonical.article_url``: the page's own canonical on
    the blog or ``allowed_domains``, else ``url`` in canonical form). ``learned`` holds the rules
    learned from the blog's feed (``OUT/profile.toml``): they fill only the fields left empty.
    ``tree``: ``html`` already parsed by ``html_root(html, for_trafilatura=True)``; it is not changed.
    ``blocks``: ``tree``'s ``page_blocks``, when the caller searched them already (the crawl's reader
    does, for the related links): the copy that loses them is not searched again. ``classes``:
    ``tree``'s ``class_names``, when classification read them already."""
    selectors = Profile.from_dict(profile)
    root = tree if tree is not None else html_root(html, for_trafilatura=True)
    ld = jsonld.article(root)
    meta = _meta_tags(root)
    classes = class_names(root) if classes is None or tree is None else classes

    title = (selectors.select_text(root, "title") or _first_text(root, TITLE_XPATHS, classes) or _as_text(ld.get("headline"))
             or meta.get("og:title"))
    published = _pick_date([("json-ld", ld.get("datePublished")), ("meta", meta.get("article:published_time"))],
                           (root, classes), selectors.select_text(root, "published"), PUBLISHED_VISIBLE,
                           base_date)
    modified = _pick_date([("json-ld", ld.get("dateModified")), ("meta", meta.get("article:modified_time"))],
                          (root, classes), None,
                          MODIFIED_VISIBLE + (MODIFIED_LINE if mentions(root, UPDATED_LABELS) else []),
                          base_date)

    content_root = copy.deepcopy(root)
    related_hrefs = remove_boilerplate(content_root, blocks if tree is not None else None, original=root)
    related = [canonical_url(urljoin(url, h)) for h in (selectors.select_hrefs(root, "related") or related_hrefs)]
    scope = selectors.select_element(content_root, "text")
    # trafilatura reads lxml.html trees, not the etree one blocks.py builds: serialized and loaded
    # the way trafilatura loads a string (0.15 ms), once for its text and its metadata.
    tree = content_root if scope is None else _scoped_tree(scope)
    # Metadata is ours (dates above); trafilatura's guesses are read field by field below, only
    # where ours found nothing: its whole metadata search costs more than the text extraction.
    document = _main_text(tree, url) if tree is not None else None
    # as before: when trafilatura finds no text, its metadata is not read either
    fallback = FallbackMetadata(tree if document is not None else None)
    text = _clean_text(getattr(document, "text", None) or "")

    authors = (selectors.select_texts(root, "author") or _ld_authors(ld) or _first_texts(root, AUTHOR_XPATHS, classes)
               or ([meta["author"]] if meta.get("author") else []) or _split(fallback.author))
    # Theme markup and machine-readable lists first; then labelled lines ("التصنيف: …") and links to
    # taxonomy archives. A value the page already gave as one kind is not taken as the other.
    theme_tags = selectors.select_texts(root, "tags") or _first_texts(root, TAG_XPATHS, classes)
    categories = (selectors.select_texts(root, "categories") or _first_texts(root, CATEGORY_XPATHS, classes)
                  or _as_list(ld.get("articleSection")) or meta.get("article:section_all")
                  or _without(_labelled_links(root, CATEGORY_LABELS), theme_tags)
                  or _without(_taxonomy_links(root, CATEGORY_PATHS, url), theme_tags)
                  or _split(fallback.categories, ","))
    tags = (theme_tags or _as_list(ld.get("keywords")) or meta.get("article:tag_all")
            or _without(_labelled_links(root, TAG_LABELS), categories)
            or _without(_taxonomy_links(root, TAG_PATHS, url), categories)
            or _without(_split(fallback.tags, ","), categories))  # trafilatura's guess mixes both
    lang = root.get("lang") or root.get("xml:lang") or meta.get("og:locale") or ""
    title = tidy(title) if title else fallback.title
    if title and text.split("\n", 1)[0] == title:  # trafilatura's fallback on short pages keeps the heading
        text = text.split("\n", 1)[1] if "\n" in text else ""
    text = _without_byline(text, authors, published[1])
    article = {
        "url": article_url(root, url, allowed_domains),
        "title": title,
        "author": _author_field(authors),
        **_date_fields("published", published),
        **_date_fields("modified", modified),
        "lang": lang.split("-")[0].split("_")[0].lower() or None,
        "categories": _dedupe(tidy(c) for c in categories if c),
        "tags": _dedupe(tidy(t) for t in tags if t),
        "description": meta.get("description") or meta.get("og:description") or fallback.description,
        "text": text,
        "word_count": len(text.split()),
        "related": related,
    }
    if learned:
        _fill_from_rules(article, root, content_root, Profile.from_dict(learned), url, base_date)
    return article


def _fill_from_rules(article: dict, root: Element, content_root: Element, rules: Profile, url: str,
                     base_date: str | None) -> None:
    """Fill the fields the heuristics left empty with the rules learned from the blog's feed; a
    field filled so says where it came from (``published_source = 'learned'``)."""
    if not article["title"] and (title := rules.select_text(root, "title")):
        article["title"] = title
    if not article["published"] and (printed := rules.select_text(root, "published")):
        parsed = normalize_date(printed, base=base_date)
        if parsed:
            article.update(_date_fields("published", (parsed.iso, printed, "learned", parsed.calendar)))
    if not article["author"] and (names := rules.select_texts(root, "author")):
        article["author"] = _author_field(names)
    for key in ("categories", "tags"):
        if not article[key]:
            other = article["tags" if key == "categories" else "categories"]
            article[key] = _without(_dedupe(rules.select_texts(root, key)), other)
    if not article["text"] and (scope := rules.select_element(content_root, "text")) is not None:
        tree = _scoped_tree(scope)
        text = _clean_text(getattr(_main_text(tree, url) if tree is not None else None, "text", None) or "")
        article.update(text=text, word_count=len(text.split()))


def _scoped_tree(scope: Element) -> HtmlElement | None:
    """The element a profile names for the text, as the tree trafilatura reads (lxml.html)."""
    return trafilatura.load_html(etree.tostring(scope, encoding="unicode", method="html"))


def _author_field(names: Iterable[str | None]) -> str | None:
    """The stored author: each name without its byline prefix ("بقلم"), once, joined by "; "."""
    return "; ".join(_dedupe(stripped for name in names if name and (stripped := _strip_byline(name)))) or None


# --- main text ---------------------------------------------------------------------------------------
# trafilatura's fast mode skips its second opinion (readability, then jusText), which costs about
# as much as its main extractor and overrules it only when that result is weak (external.py,
# compare_extraction): empty or short, without paragraph text, dominated by tables, or holding
# page furniture; or when readability finds over twice as much, which a result this long rules out
# on article pages. Such results alone are redone in full.
FULL_EXTRACTION_BELOW = 250  # characters of main text: trafilatura MIN_EXTRACTED_SIZE


def _main_text(tree: HtmlElement, url: str) -> Document | None:
    """trafilatura's main text of ``tree``, with no metadata (see ``FallbackMetadata``)."""
    document = _bare_extraction(tree, url, fast=True)
    return document if document is not None and not _weak(document) else _bare_extraction(tree, url, fast=False)


# Built once (trafilatura builds one per call, ~0.05 ms of reading its configuration); copied per
# page for its url.
_EXTRACTORS = {fast: Extractor(output_format="python", fast=fast, precision=True, comments=False, tables=True,
                               dedup=False) for fast in (True, False)}


def _bare_extraction(tree: HtmlElement, url: str, *, fast: bool) -> Document | None:
    options = copy.copy(_EXTRACTORS[fast])
    options.url = options.source = url
    document = trafilatura.bare_extraction(tree, options=options)
    return document if isinstance(document, Document) else None


def _weak(document: Document) -> bool:
    body = document.body
    return (len(document.text or "") < FULL_EXTRACTION_BELOW or not body.xpath(".//p//text()")
            or len(body.findall(".//table")) > len(body.findall(".//p")) or bool(body.xpath(SANITIZED_XPATH)))


# --- dates ------------------------------------------------------------------------------------------
DatePick = tuple[str | None, str | None, str | None, str | None]  # iso, raw, source, calendar


def _pick_date(machine: list[tuple[str, Any]], page: tuple[Element, str], profile_text: str | None,
               visible_xpaths: list[str], base_date: str | None) -> DatePick:
    """(iso, raw, source, calendar): machine-readable first, the visible Arabic string as raw.
    ``page``: the root and its ``class_names``."""
    root, classes = page
    visible_el = None if profile_text else _first_element(root, visible_xpaths, classes)
    visible = profile_text or (tidy(" ".join(visible_el.itertext())) if visible_el is not None else None)
    if visible_el is not None and not visible:  # e.g. <abbr title="…"></abbr>
        visible = visible_el.get("title")
    for source, value in machine:
        parsed = normalize_date(_as_text(value)) if value else None
        if parsed:
            return parsed.iso, visible or _as_text(value), source, parsed.calendar
    if visible_el is not None:
        for attr in ("datetime", "title", "content"):
            parsed = normalize_date(visible_el.get(attr) or "")
            if parsed:
                return parsed.iso, visible or visible_el.get(attr), f"<{visible_el.tag} {attr}>", parsed.calendar
    if visible:
        parsed = normalize_date(visible, base=base_date)
        return (parsed.iso if parsed else None), visible, "text", parsed.calendar if parsed else None
    return None, None, None, None


def _date_fields(name: str, picked: DatePick) -> dict[str, str | None]:
    iso, raw, source, calendar = picked
    return {name: iso, f"{name}_raw": raw, f"{name}_source": source, f"{name}_calendar": calendar}


# --- markup helpers ---------------------------------------------------------------------------------
def _ld_authors(ld: dict[str, Any]) -> list[str]:
    author = ld.get("author")
    items = author if isinstance(author, list) else [author] if author else []
    names = [a.get("name") if isinstance(a, dict) else str(a) for a in items]
    return [n for n in names if isinstance(n, str) and n.strip()]


def _meta_tags(root: Element) -> dict:
    out: dict = {}
    for el in root.xpath("//meta[@content]"):
        key = (el.get("property") or el.get("name") or "").lower()
        if key and key not in out:
            out[key] = el.get("content").strip()
        if key in ("article:tag", "article:section"):
            out.setdefault(key + "_all", []).append(el.get("content").strip())
    return out


def _first_element(root: Element, xpaths: list[str], classes: str) -> Element | None:
    for xp in xpaths:
        found = select(root, xp, classes)
        if found:
            return found[0]
    return None


def _first_text(root: Element, xpaths: list[str], classes: str) -> str | None:
    el = _first_element(root, xpaths, classes)
    return tidy(" ".join(el.itertext())) if el is not None else None


def _first_texts(root: Element, xpaths: list[str], classes: str) -> list[str]:
    for xp in xpaths:
        values = [v for v in (tidy(" ".join(el.itertext())) for el in select(root, xp, classes)) if v]
        if values:
            return values
    return []


def _labelled_links(root: Element, labels: tuple[str, ...]) -> list[str]:
    """The links of the innermost short line that starts with one of ``labels``."""
    present = mentioned(root, labels)  # XPath recomputes normalize-space(.) for each label it tries
    if not present:
        return []
    starts = " or ".join(f"starts-with(normalize-space(.), '{label}')" for label in present)
    lines = compiled(elements("p", "div", "span", "li", "footer", "section", "dd", "dl")
                   + f"[.//a[@href]][string-length(normalize-space(.)) <= 300][{starts}]{_NOT_CHROME}")(root)
    inside = {id(a) for el in lines for a in el.iterancestors()}
    for line in (el for el in lines if id(el) not in inside):
        links = line.xpath(".//a[@href]")
        texts = [t for t in (tidy(" ".join(a.itertext())) for a in links) if t]
        # The line's own text (not its links') is the label and nothing more: "الوسوم: <a>…</a>",
        # not a menu item "الوسوم", nor a sentence "ضمن فعاليات <a>معرض الكتاب</a> …".
        own = tidy(" ".join(t for t in line.xpath(".//text()[not(ancestor::a)]")))
        label = next((label for label in labels if own.startswith(label)), None)
        if texts and label is not None and not re.sub(r"[\W_]+", "", own[len(label):]):
            return texts
    return []


def _taxonomy_links(root: Element, paths: tuple[str, ...], url: str) -> list[str]:
    """Links to the blog's own taxonomy archives (…/category/…, …/tag/…) inside the article itself
    (an embedded tweet's twitter.com/hashtag/… is not one)."""
    wanted = " or ".join(f"contains(@href, '{path}')" for path in paths)
    scope = root.xpath("//article") or root.xpath("//main") or root.xpath("//*[@role='main']")
    if not scope:
        return []
    links = scope[0].xpath(f".//a[{wanted}][not(ancestor::nav)]{_NOT_CHROME}")
    host = urlsplit(url).hostname
    own = [a for a in links if urlsplit(urljoin(url, a.get("href", ""))).hostname == host]
    return [t for t in (tidy(" ".join(a.itertext())) for a in own) if t]


def _without_byline(text: str, authors: list[str], published_raw: str | None) -> str:
    """The text without a leading byline ("سارة الخطيب · 15 سبتمبر 2025"): a short first line made
    of nothing but the author's name and the printed date."""
    first, _, rest = text.partition("\n")
    if not rest or len(first) > 100:
        return text
    leftover = first
    for known in [*authors, published_raw or ""]:
        if known:
            leftover = leftover.replace(tidy(known), "")
    leftover = _BYLINE_PREFIX.sub("", leftover)
    return rest if leftover != first and not re.sub(r"[\W_]+", "", leftover) else text


def _without(values: list[str], taken: list[str]) -> list[str]:
    return [v for v in values if v not in taken]


def _as_text(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return str(value).strip() if value else None


def _as_list(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [v.strip() for v in str(value).split(",") if v.strip()]


def _split(value: str | list | None, sep: str = ";") -> list[str]:
    """trafilatura gives some fields as a string with separators, others (in newer versions) as lists."""
    items = value if isinstance(value, list) else (value or "").split(sep)
    return [str(v).strip() for v in items if str(v).strip()]


def _strip_byline(text: str) -> str:
    return _BYLINE_PREFIX.sub("", tidy(text)).strip()


def _dedupe(values: Iterable[str]) -> list[str]:
    seen, out = set(), []
    for v in values:
        if v not in seen:
            seen.add(v)
            out.append(v)
    return out


def _clean_text(text: str) -> str:
    # Letters and harakat stay as written; only bidi marks and stray spacing go.
    return "\n".join(line for line in map(tidy, text.splitlines()) if line)
