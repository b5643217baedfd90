"""The research database: ``OUT/archive.db``, written with sqlite-utils.

Tables
  crawls    one row per crawl run: start URL, times, settings, final stats
  captures  one row per fetch, including failed ones; points at its WARC record
            (warc_filename, warc_offset, warc_length, warc_record_id, payload_digest)
  articles  one row per article URL (upserted: a re-crawl updates, never duplicates)
  links     (from_url, to_url, kind): pagination / article / related / adjacent / home / sitemap / feed

WAL mode, so Datasette can read while a crawl writes. Everything here can be rebuilt from the
WARC files (``arshif reindex``): they are the source of truth.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import sqlite_utils

ARTICLE_COLUMNS = {
    "url": str, "title": str, "author": str, "published": str, "published_raw": str,
    "published_source": str, "published_calendar": str, "modified": str, "modified_raw": str,
    "modified_source": str, "modified_calendar": str, "lang": str, "categories": str, "tags": str,
    "description": str, "text": str, "word_count": int, "related": str, "capture_id": int,
    "captured_at": str, "extract_error": str,
}
LIST_COLUMNS = ("categories", "tags", "related")


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class ArchiveDB:
    def __init__(self, path):
        self.db = sqlite_utils.Database(path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.ensure_schema()

    def ensure_schema(self) -> None:
        db = self.db
        db["crawls"].create({"id": int, "start_url": str, "started_at": str, "finished_at": str,
                             "finish_reason": str, "settings": str, "stats": str}, pk="id", if_not_exists=True)
        db["captures"].create({
            "id": int, "crawl_id": int, "url": str, "method": str, "fetched_at": str, "status": int,
            "content_type": str, "content_length": int, "warc_filename": str, "warc_offset": int,
            "warc_length": int, "warc_record_id": str, "payload_digest": str, "error": str,
            "record_type": str, "warc_date": str, "refers_to": str,
        }, pk="id", foreign_keys=[("crawl_id", "crawls", "id")], if_not_exists=True)
        db["articles"].create(ARTICLE_COLUMNS, pk="url", foreign_keys=[("capture_id", "captures", "id")],
                              if_not_exists=True)
        db["links"].create({"from_url": str, "to_url": str, "kind": str, "crawl_id": int},
                           pk=("from_url", "to_url", "kind"), if_not_exists=True)
        db["captures"].create_index(["url"], if_not_exists=True)
        db["captures"].create_index(["payload_digest"], if_not_exists=True)
        db["links"].create_index(["to_url"], if_not_exists=True)
        db["articles"].create_index(["published"], if_not_exists=True)

    # --- crawls -------------------------------------------------------------------------------------
    def start_crawl(self, start_url: str, settings: dict) -> int:
        return self.db["crawls"].insert({"start_url": start_url, "started_at": utc_now(),
                                         "settings": json.dumps(settings, ensure_ascii=False, sort_keys=True)}).last_pk

    def finish_crawl(self, crawl_id: int, stats: dict, reason: str | None) -> None:
        self.db["crawls"].update(crawl_id, {"finished_at": utc_now(), "finish_reason": reason,
                                            "stats": json.dumps(stats, default=str, sort_keys=True)})

    # --- rows ---------------------------------------------------------------------------------------
    def archived_payloads(self) -> dict:
        """{payload digest: (url, WARC-Date, record id)} of full responses already in the WARCs:
        the dedup index. A digest archived twice keeps its first capture."""
        rows = self.db.execute(
            "select payload_digest, url, warc_date, warc_record_id from captures where record_type = 'response' "
            "and status = 200 and payload_digest is not null order by id desc").fetchall()
        return {digest: (url, date, record_id) for digest, url, date, record_id in rows}

    def last_response(self, url: str):
        """(WARC-Date, record id, digest) of the latest full 200 response for ``url``, or None."""
        return self.db.execute(
            "select warc_date, warc_record_id, payload_digest from captures where url = ? and status = 200 "
            "and record_type = 'response' order by id desc limit 1", [url]).fetchone()

    def add_capture(self, row: dict) -> int:
        return self.db["captures"].insert(row).last_pk

    def upsert_article(self, article: dict) -> None:
        row = {k: v for k, v in article.items() if k in ARTICLE_COLUMNS}
        for key in LIST_COLUMNS:
            if isinstance(row.get(key), list):
                row[key] = json.dumps(row[key], ensure_ascii=False)
        self.db["articles"].upsert(row, pk="url", alter=True)

    def upsert_links(self, from_url: str, links: list[tuple[str, str]], crawl_id: int | None = None) -> None:
        rows = [{"from_url": from_url, "to_url": to, "kind": kind, "crawl_id": crawl_id} for to, kind in links]
        if rows:
            self.db["links"].upsert_all(rows, pk=("from_url", "to_url", "kind"))

    def close(self) -> None:
        self.db.close()
