"""Which URL an article is stored under: one article, one row, whatever form it was fetched under.

A page names its own address in ``<link rel="canonical">`` or ``og:url``: the AMP copy
(``/post/amp/``), a paginated comment page or a link with a campaign parameter all name the plain
post. That name is taken when it stays on the blog (the page's host, ``www.`` or not, or an allowed
domain): a canonical on another site (a syndicated copy, a theme's demo address left in its
settings) is never followed. Nor is one naming the blog's home page from a post (themes that print
the home URL on every page would fold the whole blog into one row). Otherwise the article is stored
under the URL it was fetched from. Either way in the one form of ``urls.canonical_url``.

A declared ``…/post/index.html`` names the folder the blog links to (``…/post/``): static
generators such as Hexo print the file, every link on the blog says the folder, so the folder it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit

from lxml.etree import _Element as Element

from .urls import canonical_url, same_blog

_DIRECTORY_INDEX = re.compile(r"/index\.(?:html?|php)$", re.IGNORECASE)

DECLARED = ["//link[contains(concat(' ', normalize-space(translate(@rel, 'CANONICAL', 'canonical')), ' '), "
            "' canonical ')]/@href",
            "//meta[@property='og:url' or @name='og:url']/@content"]


def article_url(root: Element, fetched: str, allowed_domains: Iterable[str] = ()) -> str:
    """The URL the article on ``root`` (fetched from ``fetched``) is stored under."""
    for xpath in DECLARED:
        for declared in root.xpath(xpath)[:1]:
            url = canonical_url(_folder(urljoin(fetched, str(declared).strip())))
            if str(declared).strip() and _on_the_blog(url, fetched, allowed_domains):
                return url
    return canonical_url(fetched)


def _folder(url: str) -> str:
    parts = urlsplit(url)
    if not _DIRECTORY_INDEX.search(parts.path):
        return url
    return parts._replace(path=_DIRECTORY_INDEX.sub("/", parts.path)).geturl()


def _on_the_blog(url: str, fetched: str, allowed_domains: Iterable[str]) -> bool:
    parts, page = urlsplit(url), urlsplit(fetched)
    if parts.path in ("", "/") and not parts.query and page.path not in ("", "/"):
        return False  # the home page named by a post
    return same_blog(url, fetched, allowed_domains)
