"""Decoding pages, and pages whose declared charset is wrong, a common case on older Arabic sites.

Scrapy decodes with the charset the HTTP header declares, then the page's own <meta>. When that
leaves replacement characters (U+FFFD), the page was mislabelled: try UTF-8 strictly (a strict UTF-8
decode rarely succeeds by accident), then the charset the page itself declares, then windows-1256,
the encoding of most pre-Unicode Arabic pages. A page that is UTF-8 but for a few invalid bytes (a
cut multi-byte character, a stray byte pasted in) keeps its UTF-8 decoding with replacements:
windows-1256 decodes any bytes, so it would always "succeed" and garble every Arabic letter.
"""

from __future__ import annotations

import logging
import mimetypes

from charset_normalizer import from_bytes
from w3lib.encoding import (
    html_body_declared_encoding,
    html_to_unicode,
    resolve_encoding,
)

logger = logging.getLogger("arshif")
FALLBACKS = ("utf-8", None, "cp1256")  # None: the page's own <meta charset>


# Real windows-1256 Arabic almost never forms valid UTF-8 sequences (its letters are lead bytes
# followed by more lead bytes: 3 valid characters for 6,208 invalid bytes in 8 KB of the demo's
# text), so a body where most non-ASCII characters decode is UTF-8.
MOSTLY_UTF8 = 0.5


def mostly_utf8(body: bytes) -> bool:
    """Are most of the non-ASCII characters of ``body`` valid UTF-8?"""
    text = body.decode("utf-8", "replace")
    invalid = text.count("\ufffd") - body.count("\ufffd".encode())  # a U+FFFD written in the page is valid
    valid = sum(1 for c in text if c > "\x7f") - text.count("\ufffd")
    return valid > 0 and valid >= MOSTLY_UTF8 * (valid + invalid)


def page_text(body: bytes, text: str, declared: str | None, url: str = "") -> str:
    """``text`` as decoded by Scrapy, or a better decoding of ``body`` when that one failed."""
    if "\ufffd" not in text:
        return text
    if declared in ("utf-8", "utf8") and mostly_utf8(body):
        return text  # UTF-8 with a few invalid bytes, or with U+FFFD in its own text
    for encoding in FALLBACKS:
        encoding = encoding or html_body_declared_encoding(body)
        if not encoding or encoding == declared:
            continue
        try:
            decoded = body.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        logger.warning("%s: declared %s, but it decodes as %s", url or "page", declared, encoding)
        return decoded
    return text


HTML_TYPES = ("text/html", "application/xhtml+xml", "application/vnd.wap.xhtml+xml")


def is_html(content_type: str | None, url: str, body: bytes) -> bool:
    """Is this response an HTML page? As Scrapy decides which pages a spider parses: by the
    Content-Type, else the URL's extension, else a look at the body."""
    if content_type:
        return content_type.split(";")[0].strip().lower() in HTML_TYPES
    guessed, _ = mimetypes.guess_type(url)
    if guessed:
        return guessed in HTML_TYPES
    return b"<html" in body[:5000].lower()


def decode_html(body: bytes, content_type: str | None, url: str = "") -> str:
    """The page's text, decoded as Scrapy decodes it (BOM, the header's charset, the page's own
    declaration, then a guess), with ``page_text``'s repair of mislabelled pages."""
    encoding, text = html_to_unicode(content_type, body, auto_detect_fun=_auto_detect)
    return page_text(body, text, encoding, url)


def _auto_detect(body: bytes) -> str | None:
    for encoding in ("ascii", "utf-8"):
        try:
            body.decode(encoding)
        except UnicodeError:
            continue
        return resolve_encoding(encoding)
    match = from_bytes(body).best()
    return resolve_encoding(match.encoding) if match else None
