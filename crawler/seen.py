"""URLs a crawl has met, held compactly: the spider remembers every URL it asked for (and which
posts each pagination chain listed), so that memory must not grow with the URLs' text."""

from __future__ import annotations

from collections.abc import Iterable


class SeenUrls:
    """A set of URLs kept as their 64-bit string hashes (≈ 75 bytes a URL with the set's slot,
    against ≈ 200 for a typical blog URL as a string). Python's str hash is SipHash, keyed per
    process: a URL wrongly taken as seen needs two of N URLs to collide, odds ≈ N²/2⁶⁵ (3·10⁻⁸ at a
    million URLs). Membership only: the URLs themselves cannot be listed back."""

    __slots__ = ("_hashes",)

    def __init__(self, urls: Iterable[str] = ()) -> None:
        self._hashes = {hash(url) for url in urls}

    def add(self, url: str) -> None:
        self._hashes.add(hash(url))

    def update(self, urls: Iterable[str]) -> None:
        self._hashes.update(hash(url) for url in urls)

    def discard(self, url: str) -> None:
        self._hashes.discard(hash(url))

    def __contains__(self, url: object) -> bool:
        return hash(url) in self._hashes

    def __len__(self) -> int:
        return len(self._hashes)
