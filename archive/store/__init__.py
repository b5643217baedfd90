"""The store: ``archive.db``, the research database. ``ArchiveDB`` (``database``) is the one door
to it; ``migrations`` holds its schema history, frozen."""

from .database import ARTICLE_BY_URL, DEFAULT_REPLAY_URL, ArchiveDB, KnownArticles, StoreError, recorded_json
from .merging import MERGED

__all__ = ["ARTICLE_BY_URL", "DEFAULT_REPLAY_URL", "MERGED", "ArchiveDB", "KnownArticles", "StoreError", "recorded_json"]
