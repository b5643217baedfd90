"""URLs a crawl has met, held compactly: the spider remembers every URL it asked for (and which
posts each pagination chain listed), and the dupefilter every request's fingerprint, so that memory
must not grow with the URLs' text, nor with a Python object per URL."""

from __future__ import annotations

from array import array
from collections.abc import Iterable

# At most half the table is used (it doubles past that), so a lookup probes one or two slots.
_MIN_SLOTS = 16  # a small table for each pagination chain: a blog may have thousands (tags)


class Hashes:
    """A set of 64-bit integers in one ``array('q')``, 16 to 32 bytes each: an open-addressing
    hash table with linear probing, 0 marking a free slot (0 itself is held by a flag). A Python
    set of ints costs ≈ 75 bytes an element (the int object and its slot): 50,000 URLs held 3.7 MB
    where this holds 1 MB."""

    __slots__ = ("_has_zero", "_mask", "_size", "_table")

    def __init__(self, values: Iterable[int] = ()) -> None:
        self._table = array("q", bytes(8 * _MIN_SLOTS))
        self._mask = _MIN_SLOTS - 1
        self._size = 0
        self._has_zero = False
        self.update(values)

    def _slot(self, value: int) -> int:
        """Where ``value`` is, or the free slot where it would go."""
        table, mask = self._table, self._mask
        at = value & mask
        while (held := table[at]) != value and held:
            at = (at + 1) & mask
        return at

    def add(self, value: int) -> None:
        if not value:
            self._size += not self._has_zero
            self._has_zero = True
            return
        at = self._slot(value)
        if self._table[at]:
            return
        self._table[at] = value
        self._size += 1
        if 2 * self._size > len(self._table):
            self._grow()

    def update(self, values: Iterable[int]) -> None:
        for value in values:
            self.add(value)

    def _grow(self) -> None:
        old = self._table
        self._table = array("q", bytes(16 * len(old)))
        self._mask = len(self._table) - 1
        for value in old:
            if value:
                self._table[self._slot(value)] = value

    def discard(self, value: int) -> None:
        if not value:
            self._size -= self._has_zero
            self._has_zero = False
            return
        table, mask = self._table, self._mask
        at = self._slot(value)
        if not table[at]:
            return
        self._size -= 1
        # Backward-shift deletion: the entries after the hole that probed past it move into it,
        # so no lookup stops early at the freed slot.
        follower = at
        while True:
            follower = (follower + 1) & mask
            held = table[follower]
            if not held:
                break
            home = held & mask
            # it moves unless its home lies cyclically in (hole, follower]
            if (at < follower and not at < home <= follower) or (follower < at and follower < home <= at):
                table[at] = held
                at = follower
        table[at] = 0

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, int):
            return False
        if not value:
            return self._has_zero
        # _slot inlined: this runs for every link of every page
        table, mask = self._table, self._mask
        at = value & mask
        while (held := table[at]) != value and held:
            at = (at + 1) & mask
        return held != 0

    def __len__(self) -> int:
        return self._size


class SeenUrls:
    """A set of URLs kept as their 64-bit string hashes, 8 bytes a URL (see ``Hashes``), against
    ≈ 200 for a typical blog URL as a string. Python's str hash is SipHash, keyed per process: a URL
    wrongly taken as seen needs two of N URLs to collide, odds ≈ N²/2⁶⁵ (3·10⁻⁸ at a million URLs).
    Membership only: the URLs themselves cannot be listed back."""

    __slots__ = ("_hashes",)

    def __init__(self, urls: Iterable[str] = ()) -> None:
        self._hashes = Hashes(hash(url) for url in urls)

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


class Fingerprints:
    """Request fingerprints (Scrapy's: 20-byte SHA-1 digests) kept by their first 8 bytes (see
    ``Hashes``): ≈ 90 bytes a request as a set of bytes, 8 here. Two of N requests taken for one
    another: odds ≈ N²/2⁶⁵, as for ``SeenUrls``. The set protocol Scrapy's RFPDupeFilter uses."""

    __slots__ = ("_hashes",)

    def __init__(self, fingerprints: Iterable[bytes] = ()) -> None:
        self._hashes = Hashes(self._key(fp) for fp in fingerprints)

    @staticmethod
    def _key(fingerprint: bytes) -> int:
        return int.from_bytes(fingerprint[:8], "big", signed=True)

    def add(self, fingerprint: bytes) -> None:
        self._hashes.add(self._key(fingerprint))

    def update(self, fingerprints: Iterable[bytes]) -> None:
        self._hashes.update(self._key(fp) for fp in fingerprints)

    def __contains__(self, fingerprint: object) -> bool:
        return isinstance(fingerprint, bytes) and self._key(fingerprint) in self._hashes

    def __len__(self) -> int:
        return len(self._hashes)
