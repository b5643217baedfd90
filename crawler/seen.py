"""URLs a crawl has met, held compactly: the spider remembers every URL it asked for (and which
posts each pagination chain listed), and the dupefilter every request's fingerprint, so that memory
must not grow with the URLs' text, nor with a Python object per URL."""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from typing import overload

# At most half the table is used (it doubles past that), so a lookup probes one or two slots.
_MIN_SLOTS = 16  # a small table for each pagination chain: a blog may have thousands (tags)


def _probe(table: array, mask: int, value: int) -> int:
    """Where ``value`` is in an open-addressing ``table`` (linear probing, 0 marks a free slot), or
    the free slot where it would go."""
    at = value & mask
    while (held := table[at]) != value and held:
        at = (at + 1) & mask
    return at


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
        return _probe(self._table, self._mask, value)

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


class IntMap:
    """A mapping of 64-bit integers to 64-bit integers in two ``array('q')`` (16 to 32 bytes an entry,
    laid out as ``Hashes``): a dict of int to int costs ≈ 100 bytes an entry. The spider counts
    requests per URL pattern in one (a blog with a slug per post has about as many patterns as
    posts) and holds sitemap lastmods in another. No deletion: neither needs one."""

    __slots__ = ("_keys", "_mask", "_size", "_values", "_zero")

    def __init__(self) -> None:
        self._keys = array("q", bytes(8 * _MIN_SLOTS))
        self._values = array("q", bytes(8 * _MIN_SLOTS))
        self._mask = _MIN_SLOTS - 1
        self._size = 0
        self._zero: int | None = None  # the value of key 0 (0 marks a free slot)

    def _slot(self, key: int) -> int:
        return _probe(self._keys, self._mask, key)

    @overload
    def get(self, key: int) -> int | None: ...
    @overload
    def get(self, key: int, default: int) -> int: ...

    def get(self, key: int, default: int | None = None) -> int | None:
        if not key:
            return default if self._zero is None else self._zero
        at = self._slot(key)
        return self._values[at] if self._keys[at] else default

    def __contains__(self, key: object) -> bool:
        return isinstance(key, int) and self.get(key) is not None

    def __setitem__(self, key: int, value: int) -> None:
        if not key:
            self._size += self._zero is None
            self._zero = value
            return
        at = self._slot(key)
        if not self._keys[at]:
            self._keys[at] = key
            self._size += 1
        self._values[at] = value
        if 2 * self._size > len(self._keys):
            self._grow()

    def update(self, pairs: Iterable[tuple[int, int]]) -> None:
        for key, value in pairs:
            self[key] = value

    def _grow(self) -> None:
        keys, values = self._keys, self._values
        self._keys = array("q", bytes(16 * len(keys)))
        self._values = array("q", bytes(16 * len(keys)))
        self._mask = len(self._keys) - 1
        for key, value in zip(keys, values, strict=True):
            if key:
                at = self._slot(key)
                self._keys[at] = key
                self._values[at] = value

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
