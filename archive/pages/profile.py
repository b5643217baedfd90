"""Per-site profiles: CSS or XPath overrides for what the heuristics miss on a custom theme.

A profile is a small TOML file passed with ``--profile``::

    # Selectors starting with "/" or "(" are XPath, anything else is CSS.
    article = "div.story"            # a page with this element is an article
    listing = "div.teasers"          # a page with this element is a listing
    article_links = ".teaser h2 a"   # on listings: links to articles
    pagination = "a.more-stories"    # on listings: links to the next listing pages
    related = ".see-also a"          # on articles: related-article links
    title = "h1.headline"
    text = "div.story-body"          # the element holding the article's text
    published = "span.story-date"    # the visible publication date
    author = "span.writer"
    categories = ".story-section a"  # the article's categories (each element one)
    tags = ".story-keywords a"       # its tags

Every key is optional; a key that is absent, or matches nothing on a page, leaves that page to
the heuristics. ``arshif crawl`` learns one from the blog's feed into ``OUT/profile.toml``
(``pages.calibrate``): its rules only fill what the heuristics missed, and a key set here wins.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache

from lxml.cssselect import CSSSelector
from lxml.etree import _Element as Element

from ..arabic.text import tidy

KEYS = ("article", "listing", "article_links", "pagination", "related", "title", "text", "published", "author",
        "categories", "tags")


class ProfileError(ValueError):
    pass


@lru_cache(maxsize=256)
def _to_xpath(selector: str) -> str:
    if selector.startswith(("/", "(")):
        return selector
    return CSSSelector(selector).path


@dataclass
class Profile:
    selectors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Profile":
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except OSError as exc:
            raise ProfileError(f"cannot read profile {path}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ProfileError(f"profile {path} is not valid TOML: {exc}") from None
        unknown = sorted(set(data) - set(KEYS))
        if unknown:
            raise ProfileError(f"profile {path}: unknown keys {', '.join(unknown)} (known: {', '.join(KEYS)})")
        profile = cls({k: str(v) for k, v in data.items()})
        for key, selector in profile.selectors.items():
            try:
                _to_xpath(selector)
            except Exception as exc:  # cssselect raises several kinds
                raise ProfileError(f"profile {path}: bad selector for {key!r}: {exc}") from None
        return profile

    @classmethod
    def learned(cls, path: str | os.PathLike) -> "Profile":
        """``OUT/profile.toml`` if there is a readable one, else an empty profile: a learned profile
        that was deleted or broken by hand is learned again, never an error."""
        try:
            return cls.load(path)
        except ProfileError:
            return cls()

    @classmethod
    def from_dict(cls, data: dict | None) -> "Profile":
        return cls(dict(data or {}))

    def matches(self, root: Element, key: str) -> bool:
        return bool(key in self.selectors and root.xpath(_to_xpath(self.selectors[key])))

    def select_elements(self, root: Element, key: str) -> list:
        if key not in self.selectors:
            return []
        return [el for el in root.xpath(_to_xpath(self.selectors[key])) if isinstance(el.tag, str)]

    def select_element(self, root: Element, key: str) -> Element | None:
        found = self.select_elements(root, key)
        return found[0] if found else None

    def select_texts(self, root: Element, key: str) -> list[str]:
        return [t for t in (tidy(" ".join(el.itertext())) for el in self.select_elements(root, key)) if t]

    def select_text(self, root: Element, key: str) -> str | None:
        texts = self.select_texts(root, key)
        return texts[0] if texts else None

    def select_hrefs(self, root: Element, key: str) -> list[str]:
        hrefs: list[str] = []
        for el in self.select_elements(root, key):
            hrefs += [el.get("href")] if el.get("href") else el.xpath(".//a/@href")
        return hrefs
