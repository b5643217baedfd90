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
from urllib.parse import urljoin

import trafilatura
from lxml import etree
from lxml.etree import _Element as Element

from ..arabic.dates import normalize_date
from ..arabic.text import tidy
from . import jsonld
from .blocks import UPDATED_XPATH, html_root, related_links, remove_boilerplate
from .profile import Profile

# Visible date elements of common themes, most specific first.
PUBLISHED_VISIBLE = ["//time[contains(@class,'published')]", "//*[contains(@class,'wp-block-post-date')]//time",
                     "//abbr[contains(@class,'published')]", "//*[contains(@class,'entry-date')]",
                     "//*[contains(@class,'post-date') or contains(@class,'posted-on')]",
                     "//*[contains(@class,'post-meta') or contains(@class,'entry-meta')]"
                     "//*[contains(concat(' ',normalize-space(@class),' '),' date ')]",
                     "//*[contains(@class,'date-header')]", "//article//time", "//time"]
# ... and a visible "آخر تحديث: …" line, its <time> first (blocks.UPDATED_XPATH)
MODIFIED_VISIBLE = ["//time[contains(@class,'updated')]", "//*[contains(@class,'modified-date')]//time",
                    f"({UPDATED_XPATH})//time", UPDATED_XPATH]
TITLE_XPATHS = ["//h1[contains(@class,'entry-title') or contains(@class,'post-title') or contains(@class,'wp-block-post-title')]",
                "//*[self::h1 or self::h2 or self::h3][contains(@class,'entry-title') or contains(@class,'post-title')]",
                "//article//h1", "//h1"]
AUTHOR_XPATHS = ["//*[contains(@class,'author')]//*[contains(@class,'fn')]", "//*[contains(@class,'wp-block-post-author-name')]",
                 "//a[@rel='author']", "//*[contains(@class,'byline')]//a", "//*[contains(@class,'post-author')]"]
CATEGORY_XPATHS = ["//*[contains(@class,'cat-links')]//a", "//a[contains(concat(' ',@rel,' '),' category ')]",
                   "//*[contains(@class,'taxonomy-category')]//a"]
TAG_XPATHS = ["//*[contains(@class,'tags-links')]//a", "//*[contains(@class,'taxonomy-post_tag')]//a",
              "//*[contains(@class,'post-labels')]//a", "//a[@rel='tag']"]
TRAFILATURA_DATE_PARAMS = {"extensive_search": False, "original_date": True}
_BYLINE_PREFIX = re.compile(r"^\s*(?:بقلم|كتبه|كتب|الكاتب|الكاتبة|كتبت|by|author)\s*[:：]?\s*", re.I)


def extract_article(html: str, url: str, *, base_date: str | None = None,
                    profile: dict[str, str] | None = None) -> dict:
    """The article on ``html`` (already decoded), as a plain dict; ``profile`` holds a per-site
    profile's selectors (a dict, so the call can cross a process boundary)."""
    selectors = Profile.from_dict(profile)
    root = html_root(html)
    ld = jsonld.article(root)
    meta = _meta_tags(root)
    related = [urljoin(url, h) for h in (selectors.select_hrefs(root, "related") or related_links(root))]

    title = (selectors.select_text(root, "title") or _first_text(root, TITLE_XPATHS) or _as_text(ld.get("headline"))
             or meta.get("og:title"))
    published = _pick_date([("json-ld", ld.get("datePublished")), ("meta", meta.get("article:published_time"))],
                           root, selectors.select_text(root, "published"), PUBLISHED_VISIBLE, base_date)
    modified = _pick_date([("json-ld", ld.get("dateModified")), ("meta", meta.get("article:modified_time"))],
                          root, None, MODIFIED_VISIBLE, base_date)

    content_root = copy.deepcopy(root)
    remove_boilerplate(content_root)
    scope = selectors.select_element(content_root, "text")
    # trafilatura takes a string here: it reads lxml.html trees, not the etree one blocks.py builds.
    cleaned = etree.tostring(scope if scope is not None else content_root, encoding="unicode", method="html")
    document = trafilatura.bare_extraction(cleaned, url=url,
                                           with_metadata=True, include_comments=False, include_tables=True,
                                           favor_precision=True, deduplicate=False,
                                           # our own date logic is authoritative; htmldate's extensive
                                           # search runs dateparser over the page text (10x the cost)
                                           date_extraction_params=TRAFILATURA_DATE_PARAMS)
    doc = document if isinstance(document, dict) else document.as_dict() if document is not None else {}
    text = _clean_text(doc.get("text") or "")

    authors = (selectors.select_texts(root, "author") or _ld_authors(ld) or _first_texts(root, AUTHOR_XPATHS)
               or ([meta["author"]] if meta.get("author") else []) or _split(doc.get("author")))
    categories = (_first_texts(root, CATEGORY_XPATHS) or _as_list(ld.get("articleSection"))
                  or meta.get("article:section_all") or _split(doc.get("categories"), ","))
    tags = (_first_texts(root, TAG_XPATHS) or _as_list(ld.get("keywords"))
            or meta.get("article:tag_all") or _split(doc.get("tags"), ","))
    lang = (root.get("lang") or root.get("xml:lang") or meta.get("og:locale") or doc.get("language") or "")
    title = tidy(title) if title else doc.get("title")
    if title and text.split("\n", 1)[0] == title:  # trafilatura's fallback on short pages keeps the heading
        text = text.split("\n", 1)[1] if "\n" in text else ""
    return {
        "url": url,
        "title": title,
        "author": "; ".join(_dedupe(_strip_byline(a) for a in authors if a and _strip_byline(a))) or None,
        **_date_fields("published", published),
        **_date_fields("modified", modified),
        "lang": lang.split("-")[0].split("_")[0].lower() or None,
        "categories": _dedupe(tidy(c) for c in categories if c),
        "tags": _dedupe(tidy(t) for t in tags if t),
        "description": meta.get("description") or meta.get("og:description") or doc.get("description"),
        "text": text,
        "word_count": len(text.split()),
        "related": related,
    }


# --- dates ------------------------------------------------------------------------------------------
DatePick = tuple[str | None, str | None, str | None, str | None]  # iso, raw, source, calendar


def _pick_date(machine: list[tuple[str, Any]], root: Element, profile_text: str | None, visible_xpaths: list[str],
               base_date: str | None) -> DatePick:
    """(iso, raw, source, calendar): machine-readable first, the visible Arabic string as raw."""
    visible_el = None if profile_text else _first_element(root, visible_xpaths)
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


def _first_element(root: Element, xpaths: list[str]) -> Element | None:
    for xp in xpaths:
        found = root.xpath(xp)
        if found:
            return found[0]
    return None


def _first_text(root: Element, xpaths: list[str]) -> str | None:
    el = _first_element(root, xpaths)
    return tidy(" ".join(el.itertext())) if el is not None else None


def _first_texts(root: Element, xpaths: list[str]) -> list[str]:
    for xp in xpaths:
        values = [v for v in (tidy(" ".join(el.itertext())) for el in root.xpath(xp)) if v]
        if values:
            return values
    return []


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


def _split(value: str | None, sep: str = ";") -> list[str]:
    return [v.strip() for v in (value or "").split(sep) if v.strip()]


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
