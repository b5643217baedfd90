"""trafilatura's metadata, field by field and only when asked: the last resort of ``extract``.

Our own layer (JSON-LD, meta tags, the theme's markup) decides most fields; trafilatura's guess is
read only for a field that layer left empty. Its whole ``extract_metadata`` costs 1.5–5 ms a page
(the author heuristics deep-copy and prune the page, the date search, category and tag searches,
a public-suffix look-up), more than its text extraction; so each field here calls only the
trafilatura functions that ``extract_metadata`` uses for it, in the same order, on first use:
meta tags and JSON-LD (cheap, shared), then the field's own search.
"""

from __future__ import annotations

import re
from functools import cached_property
from html import unescape
from typing import Any, Callable

from lxml import etree
from lxml.html import HtmlElement
from trafilatura.metadata import (
    examine_meta,
    extract_author,
    extract_catstags,
    extract_meta_json,
    extract_title,
)
from trafilatura.settings import Document
from trafilatura.utils import line_processing

_HREFS = etree.XPath("//a/@href")
_CATEGORY_META = etree.XPath('.//head//meta[@property="article:section" or contains(@name, "subject")][@content]')


class FallbackMetadata:
    """trafilatura's title, author, categories, tags and description of ``tree`` (the page
    trafilatura extracts the text from; None if trafilatura could not load it), each computed on
    first use. trafilatura's ``language`` is left out: it sets it only when filtering by language."""

    def __init__(self, tree: HtmlElement | None) -> None:
        self.tree = tree

    @cached_property
    def _markup(self) -> Document:
        """What meta tags and JSON-LD say (``extract_metadata``'s first two steps)."""
        if self.tree is None:
            return Document()
        document = examine_meta(self.tree)
        if document.author and " " not in document.author:
            document.author = None  # as trafilatura does: a one-word meta author is a handle
        try:
            document = extract_meta_json(self.tree, document)
        except Exception:  # trafilatura's JSON-LD parser has bugs; it skips them too
            pass
        return document

    @cached_property
    def title(self) -> str | None:
        return _trimmed(self._markup.title or self._search(extract_title))

    @cached_property
    def author(self) -> str | None:
        return _trimmed(self._markup.author or self._search(extract_author))

    @cached_property
    def description(self) -> str | None:
        return _trimmed(self._markup.description)

    @cached_property
    def categories(self) -> list[str]:
        return self._markup.categories or self._taxonomy("category")

    @cached_property
    def tags(self) -> list[str]:
        return self._markup.tags or self._taxonomy("tag")

    def _taxonomy(self, kind: str) -> list[str]:
        """``extract_catstags(kind)``, run only if it can find something: it keeps only links whose
        href names the taxonomy (/category/, /tags/ …; its own pattern) and falls back, for
        categories, to a few meta tags. Without either on the page, its EXSLT-regex XPaths
        (~0.4 ms a page) find nothing."""
        if self.tree is None:
            return []
        pattern = re.compile("/" + kind.rstrip("y") + "(?:y|ies|s)?/")
        if not (any(pattern.search(href) for href in _HREFS(self.tree))
                or kind == "category" and _CATEGORY_META(self.tree)):
            return []
        return extract_catstags(kind, self.tree)

    def _search(self, function: Callable[..., Any], *args: str) -> Any:
        return function(*args, self.tree) if self.tree is not None else None


def _trimmed(value: str | None) -> str | None:
    """``Document.clean_and_trim`` for one string field."""
    if not value:
        return value
    if len(value) > 10000:
        value = value[:9999] + "…"
    return line_processing(unescape(value))
