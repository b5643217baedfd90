"""An archived page decided and extracted in one extraction worker (``reindex``, ``arshif extract``).

The worker gets the response body as archived: it decodes it, parses it once, classifies that tree
and extracts the article from the same tree. The process that reads the WARC files and stores the
rows (the one serial stage of these commands) does neither, and no page is parsed twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .blocks import html_root
from .charset import decode_html
from .classify import classify
from .extract import extract_for_store, failed_article
from .profile import Profile
from .xpaths import class_names


@dataclass(frozen=True)
class ArchivedPage:
    url: str
    content: bytes | str  # the response body as archived, or a page already decoded
    content_type: str | None = None
    reached: str | None = None  # how the crawl came to it (classify's ``reached``)
    known_article: bool = False  # already decided (calibration re-extracts stored articles)
    options: dict[str, Any] = field(default_factory=dict)  # extract_article's: base_date, profile, …


def extract_archived(pages: list[ArchivedPage]) -> list[dict | None]:
    """Each page's article as ``extract_for_store`` gives it, or None for a page that is not one."""
    return [_article(page) for page in pages]


def _article(page: ArchivedPage) -> dict | None:
    try:
        html = page.content if isinstance(page.content, str) else decode_html(page.content, page.content_type, page.url)
        root = html_root(html, for_trafilatura=True)
        if root is None:  # an empty body: no page at all
            return None
        classes = class_names(root)  # read by classification and by extraction
        if not page.known_article and classify(root, Profile.from_dict(page.options.get("profile")),
                                               reached=page.reached, classes=classes) != "article":
            return None
    except Exception as exc:  # kept as a row with its error, as a page that breaks the extractor
        return failed_article(page.url, exc)
    return extract_for_store(html, page.url, tree=root, classes=classes, **page.options)
