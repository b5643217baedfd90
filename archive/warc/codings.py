"""Content codings our WARC readers can undo, whatever the installed decompression libraries.

warcio 1.8 reads ``Content-Encoding: br`` through brotlipy's API (``decompress``, ``unused_data``),
but the ``brotli`` package that Scrapy installs is Google's (``process``); and warcio knows no
``zstd`` at all. Every reader of ours (reindex, show, archived copies, checks) goes through warcio,
so the decoders are registered once, here, when ``archive.warc`` is imported.

The crawler asks for gzip, deflate and br only (``crawler/settings.py``: zstd is decoded here but not
by a stock pywb or ReplayWeb.page); a record archived with any other coding is still stored as
received, and reading it raises instead of returning garbage.
"""

from __future__ import annotations

import sys
from typing import Callable

from warcio.bufferedreaders import BufferedReader


class _BrotliDecompressor:
    """Google's brotli behind the zlib-like face warcio expects."""

    def __init__(self) -> None:
        import brotli

        self._decompressor = brotli.Decompressor()
        self.unused_data = b""

    def decompress(self, data: bytes) -> bytes:
        return self._decompressor.process(data)

    def flush(self) -> bytes:  # warcio flushes a decoder when it closes its stream
        return b""


class _ZstdDecompressor:
    """compression.zstd (backports.zstd before Python 3.14) with the ``flush`` warcio calls on close."""

    def __init__(self) -> None:
        if sys.version_info >= (3, 14):
            from compression import zstd
        else:
            from backports import zstd
        self._decompressor = zstd.ZstdDecompressor()

    def decompress(self, data: bytes) -> bytes:
        return self._decompressor.decompress(data)

    @property
    def unused_data(self) -> bytes:
        return self._decompressor.unused_data

    def flush(self) -> bytes:
        return b""


def _register() -> None:
    decoders: dict[str, Callable[[], object]] = {"br": _BrotliDecompressor, "zstd": _ZstdDecompressor}
    BufferedReader.DECOMPRESSORS.update(decoders)


_register()
