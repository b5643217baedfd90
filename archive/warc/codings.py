"""Content codings our WARC readers can undo, whatever the installed decompression libraries.

warcio 1.8 reads ``Content-Encoding: br`` through brotlipy's API (``decompress``, ``unused_data``),
but the ``brotli`` package that Scrapy installs is Google's (``process``); and warcio knows no
``zstd`` at all. Every reader of ours (reindex, show, archived copies, checks) goes through warcio,
so the decoders are registered once, here, when ``archive.warc`` is imported.

The crawler advertises only ``READABLE`` codings (``crawler/settings.py``); a record archived with
any other is still stored as received, and reading it raises instead of returning garbage.
"""

from __future__ import annotations

import sys
import zlib
from typing import Any, Callable

from warcio.bufferedreaders import BufferedReader

READABLE = ("gzip", "deflate", "br", "zstd")


class _BrotliDecompressor:
    """Google's brotli behind the zlib-like face warcio expects."""

    def __init__(self) -> None:
        import brotli

        self._decompressor = brotli.Decompressor()
        self.unused_data = b""

    def decompress(self, data: bytes) -> bytes:
        return self._decompressor.process(data)


def _zstd_decompressor() -> object:
    if sys.version_info >= (3, 14):
        from compression import zstd
    else:
        from backports import zstd
    return zstd.ZstdDecompressor()


def _register() -> None:
    decoders: dict[str, Callable[[], object]] = {"br": _BrotliDecompressor, "zstd": _zstd_decompressor}
    BufferedReader.DECOMPRESSORS.update(decoders)


def decode(body: bytes, coding: str) -> bytes:
    """Undo one content coding of a whole body (for tests and for bodies read outside warcio)."""
    coding = coding.strip().lower()
    if coding in ("gzip", "x-gzip"):
        return zlib.decompress(body, wbits=47)
    if coding == "deflate":
        try:
            return zlib.decompress(body)
        except zlib.error:
            return zlib.decompress(body, wbits=-15)  # raw deflate, as some servers send it
    decompressor: Any = BufferedReader.DECOMPRESSORS[coding]()
    return decompressor.decompress(body)


_register()
