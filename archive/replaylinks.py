"""Replay links that follow the replay actually served.

``articles.replay_url`` is written at crawl time from a pattern (``ARSHIF_REPLAY_URL``; by default
pywb on 127.0.0.1:8080) and stays as the crawl made it, so that reindex rebuilds the same rows.
``arshif replay`` records where it serves this archive (``OUT/replay/served.json``: pywb or the
ReplayWeb.page viewer, and its base URL); the places a person follows a link from (Datasette,
``arshif show``) turn a stored link of the default pattern into a link to that replay. Links a
user chose a pattern for (``-s ARSHIF_REPLAY_URL=…``, ``reindex --replay-url``) are left as they are.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

from .store.database import DEFAULT_REPLAY_URL

SERVED_FILE = Path("replay") / "served.json"
COLLECTION = "arshif"  # pywb's collection name under OUT/replay/collections/
_DEFAULT = re.compile(re.escape(DEFAULT_REPLAY_URL).replace(r"\{timestamp\}", r"(?P<timestamp>\d{14})")
                      .replace(r"\{url\}", "(?P<url>.+)") + "$")
_cache: dict[Path, tuple[float, dict | None]] = {}


def link(kind: str, base: str, timestamp: str, url: str) -> str:
    """The URL that opens ``url`` as captured at ``timestamp`` in a replay of ``kind`` at ``base``."""
    if kind == "web":  # the ReplayWeb.page viewer of archive/replayweb.py reads its query string
        return f"{base}/?{urlencode({'ts': timestamp, 'url': url})}"
    return f"{base}/{COLLECTION}/{timestamp}/{url}"


def newest_links(out: str | Path, kind: str, base: str, limit: int = 5) -> list[tuple[str, str]]:
    """(title, replay URL) of the newest articles in a replay of ``kind`` at ``base``."""
    from .store import ArchiveDB
    from .warc import warc_timestamp

    with ArchiveDB.existing(out) as db:
        rows = db.article_pages(limit)
    return [(row["title"], link(kind, base, warc_timestamp(row["ts"]), row["url"])) for row in rows if row["ts"]]


def record_served(out: str | Path, kind: str, base: str) -> None:
    """Remember that ``arshif replay`` serves OUT as ``kind`` ("pywb" or "web") at ``base``."""
    path = Path(out) / SERVED_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    since = datetime.now(timezone.utc).isoformat(timespec="seconds")
    path.write_text(json.dumps({"kind": kind, "base": base, "since": since}) + "\n", encoding="utf-8")


def served(out: str | Path) -> dict | None:
    """What ``arshif replay`` last served OUT as, read again only when the file changes (Datasette
    asks for every cell)."""
    path = Path(out) / SERVED_FILE
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    cached = _cache.get(path)
    if cached and cached[0] == mtime:
        return cached[1]
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        record = record if isinstance(record, dict) and {"kind", "base"} <= record.keys() else None
    except (OSError, ValueError):
        record = None
    _cache[path] = (mtime, record)
    return record


def current_replay_url(stored: str | None, out: str | Path) -> str | None:
    """``stored`` (an ``articles.replay_url``) pointed at the replay last served for OUT, when it is
    of the default pattern and a replay was served; otherwise ``stored`` itself."""
    record = served(out) if stored else None
    match = _DEFAULT.match(stored) if stored and record else None
    if not match or not record:
        return stored
    return link(record["kind"], record["base"], match["timestamp"], match["url"])
