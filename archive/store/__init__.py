"""The store: ``archive.db``, the research database. ``ArchiveDB`` (``database``) is the one door
to it; ``migrations`` holds its schema history, frozen."""

from .database import DEFAULT_REPLAY_URL, ArchiveDB, StoreError

__all__ = ["DEFAULT_REPLAY_URL", "ArchiveDB", "StoreError"]
