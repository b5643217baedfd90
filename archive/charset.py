"""Decoding pages whose declared charset is wrong, a common case on older Arabic sites.

Scrapy decodes with the charset the HTTP header declares, then the page's own <meta>. When that
leaves replacement characters (U+FFFD), the page was mislabelled: try UTF-8 strictly (a strict UTF-8
decode rarely succeeds by accident), then the charset the page itself declares, then windows-1256,
the encoding of most pre-Unicode Arabic pages.
"""

from __future__ import annotations

import logging

from w3lib.encoding import html_body_declared_encoding

logger = logging.getLogger("arshif")
FALLBACKS = ("utf-8", None, "cp1256")  # None: the page's own <meta charset>


def page_text(body: bytes, text: str, declared: str | None, url: str = "") -> str:
    """``text`` as decoded by Scrapy, or a better decoding of ``body`` when that one failed."""
    if "\ufffd" not in text:
        return text
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
