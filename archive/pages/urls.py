"""URL forms: one article, one URL.

Links carry tracking parameters (``?utm_source=…``, ``fbclid``), WordPress adds ``?replytocom=`` to
every comment's reply link, and users paste URLs in their Arabic (IRI) form or with lower-case
``%d8``. ``without_tracking`` drops what never changes the page; ``canonical_url`` is the one form
the crawler requests links under and stores articles under (``canonical.article_url`` prefers the
page's own ``rel=canonical``); ``url_forms`` lists the forms under which a pasted URL may have been
stored.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from functools import lru_cache
from urllib.parse import unquote, urlsplit, urlunsplit

from w3lib.url import safe_url_string

# Query parameters that never change what a page shows: campaign tracking, click ids, comment-reply
# links, referral tags (Ghost adds ?ref=), AMP switches, session ids.
TRACKING_PARAMS = re.compile(r"^(utm_[a-z_]+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|igshid|twclid|mc_cid|mc_eid|"
                             r"_ga|_gl|ref|ref_src|replytocom|amp|phpsessid|jsessionid|sessionid|session_id)$", re.I)
# `sid` names a story on some CMSs (PHP-Nuke's ?sid=42): only a long token is a session id.
_SESSION_SID = re.compile(r"^[0-9a-f]{16,}$|^[0-9a-z]{24,}$", re.I)
_PATH_SESSION = re.compile(r";jsessionid=[^/?#]*", re.I)


def without_tracking(url: str) -> str:
    """``url`` without its fragment and its tracking parameters, the others kept as written (byte
    for byte: a windows-1256 query must not be re-encoded)."""
    parts = urlsplit(url)
    parts = parts._replace(path=_PATH_SESSION.sub("", parts.path), fragment="")
    if parts.query:
        pairs = parts.query.split("&")
        kept = [pair for pair in pairs if not _is_tracking(pair)]
        if len(kept) != len(pairs):
            parts = parts._replace(query="&".join(kept))
    return urlunsplit(parts)


def _is_tracking(pair: str) -> bool:
    key, _, value = pair.partition("=")
    key = unquote(key)
    return bool(TRACKING_PARAMS.match(key)) or (key.lower() == "sid" and bool(_SESSION_SID.match(unquote(value))))


@lru_cache(maxsize=8192)  # a crawl meets the same links on every page (home, feed, theme files, neighbours)
def canonical_url(url: str) -> str:
    """The one form of ``url`` that articles are stored and links requested under: no tracking
    parameters, no fragment, URI form (non-ASCII percent-encoded as UTF-8, as browsers and Scrapy
    send it), escapes in upper case (``%d8`` → ``%D8``, RFC 3986 § 6.2.2.1), host in lower case.
    Escapes are only re-cased, never decoded: a windows-1256 query keeps its bytes."""
    return _upper_escapes(safe_url_string(without_tracking(url.strip())))


def url_forms(url: str) -> list[str]:
    """The forms a URL given by a user may have been archived under, most likely first: as given,
    in the canonical form the crawler stores, percent-encoded (URI) with upper- or lower-case
    escapes (older archives), decoded (IRI), without tracking parameters, with and without a
    trailing slash."""
    url = url.strip()
    base = [url, canonical_url(url), safe_url_string(url), _upper_escapes(url), _lower_escapes(url), unquote(url)]
    base += [without_tracking(u) for u in base]
    forms = []
    for form in base:
        forms += [form, _toggle_slash(form)]
    return list(dict.fromkeys(f for f in forms if f))


def _toggle_slash(url: str) -> str:
    """``…/post/`` ↔ ``…/post``; the home page and URLs with a query stay as they are."""
    parts = urlsplit(url)
    if parts.path.endswith("/") and parts.path != "/":
        return urlunsplit(parts._replace(path=parts.path[:-1]))
    if parts.path and not parts.query and not parts.path.endswith("/"):
        return urlunsplit(parts._replace(path=parts.path + "/"))
    return url


def bare_host(host: str | None) -> str:
    """A host as one blog: lower case, without ``www.``."""
    host = (host or "").lower()
    return host[4:] if host.startswith("www.") else host


def blog_key(url: str) -> tuple[str, int | None] | None:
    """What makes two URLs one blog's: host without ``www.`` and port (None: not http(s))."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return bare_host(parts.hostname), parts.port


def same_blog(url: str, blog: str | Collection[tuple[str, int | None]], domains: Iterable[str] = ()) -> bool:
    """``url`` belongs to the blog at ``blog`` (or to one of several, given by their ``blog_key``):
    http(s), the same host (``www.`` or not) and port, or a host under one of ``domains``
    (``--allow-domain``). The crawl's scope and an article's canonical URL both go by this one rule."""
    key = blog_key(url)
    if key is None:
        return False
    if key in ({blog_key(blog)} if isinstance(blog, str) else blog):
        return True
    host = (urlsplit(url).hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in (d.lower() for d in domains if d))


def _upper_escapes(url: str) -> str:
    return re.sub(r"%[0-9a-fA-F]{2}", lambda m: m.group(0).upper(), url)


_DIGITS = re.compile(r"\d+")


def url_pattern(url: str) -> str:
    """The shape of a URL: host, path and query keys with every run of digits made ``N`` and query
    values dropped. ``/calendar/2031/01/`` and ``/calendar/2025/11/`` share ``/calendar/N/N/``, so
    a calendar or archive widget that leads ever further is one pattern, whatever its dates."""
    parts = urlsplit(url)
    keys = sorted({_DIGITS.sub("N", pair.partition("=")[0]) for pair in parts.query.split("&") if pair})
    return f"{parts.netloc.lower()}{_DIGITS.sub('N', parts.path)}" + (f"?{'&'.join(keys)}" if keys else "")


def permalink_shape(url: str) -> str | None:
    """Where a page sits on its blog, its own name left out: host, folder with every run of digits
    made ``N``, and how the last segment ends. Posts share it (``/2024/12/08/a/`` and
    ``/2023/03/14/b/`` are ``host/N/N/N/*/``; ``/posts/a/`` is ``host/posts/*/``) while tag,
    category and year pages sit elsewhere. None for the home page, which has no name of its own."""
    parts = urlsplit(url)
    folder, _, name = parts.path.rstrip("/").rpartition("/")
    if not name:
        return None
    ending = "." + name.rpartition(".")[2] if "." in name else ""
    return f"{parts.netloc.lower()}{_DIGITS.sub('N', unquote(folder))}/*{ending}{'/' if parts.path.endswith('/') else ''}"


def _lower_escapes(url: str) -> str:  # WordPress writes its permalinks' escapes in lower case
    return re.sub(r"%[0-9a-fA-F]{2}", lambda m: m.group(0).lower(), safe_url_string(url))
