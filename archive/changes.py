"""What changed between crawls: new, changed and removed articles (``arshif changes``)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .arabic.dates import parse_iso
from .store import ArchiveDB


@dataclass
class Change:
    kind: str  # new, changed, removed
    url: str
    title: str | None
    when: str
    diff: list[str] = field(default_factory=list)


def parse_time(text: str | None) -> datetime | None:
    return parse_iso(text) if text else None


def _after(when: str | None, since: datetime) -> bool:
    moment = parse_time(when)
    return moment is not None and moment >= since


def default_since(db: ArchiveDB) -> datetime | None:
    """The start of the latest crawl: by default, changes are those that crawl found."""
    row = db.crawl()
    return parse_time(row["started_at"]) if row else None


def word_diff(old: str, new: str, limit: int = 6, width: int = 12) -> list[str]:
    """A short word-level diff: up to ``limit`` changed spans, each cut to ``width`` words."""
    a, b = (old or "").split(), (new or "").split()
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        if i2 > i1:
            out.append("- " + " ".join(a[i1:i1 + width]) + (" …" if i2 - i1 > width else ""))
        if j2 > j1:
            out.append("+ " + " ".join(b[j1:j1 + width]) + (" …" if j2 - j1 > width else ""))
        if len(out) >= limit:
            break
    return out


def changes(out: str | Path, since: datetime | None = None) -> tuple[datetime | None, list[Change]]:
    """New, changed (with a short word diff) and removed articles since ``since`` (by default the
    start of the latest crawl)."""
    with ArchiveDB.existing(out) as db:
        return changes_in(db, since)


def changes_in(db: ArchiveDB, since: datetime | None = None, *,
               diff: bool = True) -> tuple[datetime | None, list[Change]]:
    """``changes`` on an open database; without ``diff`` no text is read and no diff computed."""
    since = since or default_since(db)
    versions: dict[str, list[dict]] = {}
    for row in db.article_versions(with_text=diff):
        versions.setdefault(row["url"], []).append(row)
    gone = db.gone_articles()
    found = []
    for url, history in versions.items():
        recent = [i for i, v in enumerate(history) if since is None or _after(v["captured_at"], since)]
        if not recent:
            continue
        first = recent[0]
        latest = history[-1]
        if first == 0:
            found.append(Change("new", url, latest["title"], latest["captured_at"]))
        else:
            before = history[first - 1]
            found.append(Change("changed", url, latest["title"], latest["captured_at"],
                                word_diff(f"{before['title']}\n{before['text']}", f"{latest['title']}\n{latest['text']}")
                                if diff else []))
    for row in gone:
        if since is None or _after(row["gone_at"], since):
            found.append(Change("removed", row["url"], row["title"], row["gone_at"]))
    order = {"new": 0, "changed": 1, "removed": 2}
    found.sort(key=lambda c: (order[c.kind], c.url))
    return since, found
