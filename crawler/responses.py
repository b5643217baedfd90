"""Archived copies: a WARC record turned back into the Scrapy response the spider saw.

An incremental re-crawl gets ``304 Not Modified`` for unchanged pages; their links must still be
followed, so ``ArchivedCopyMiddleware`` hands the spider the last archived response instead.
"""

from __future__ import annotations

from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from warcio.recordloader import ArcWarcRecord


def response_from_record(record: ArcWarcRecord, flags: list[str] | None = None) -> Response:
    """The Scrapy response the spider saw for this WARC record: its body decoded, Content-Encoding
    gone, the response class chosen as HttpCompressionMiddleware chooses it."""
    body = record.content
    headers = Headers([(k, v) for k, v in record.http_headers.headers if k.lower() != "content-encoding"])
    url = record.rec_headers.get_header("WARC-Target-URI")
    cls = responsetypes.from_args(headers=headers, url=url, body=body)
    return cls(url=url, status=int(record.http_headers.get_statuscode()), headers=headers, body=body, flags=flags)
