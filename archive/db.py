"""The research database: ``OUT/archive.db``, written with sqlite-utils.

Tables
  crawls           one row per crawl run: start URL, times, settings, final stats
  captures         one row per fetch, failed ones included; points at its WARC record
                   (warc_filename, warc_offset, warc_length, warc_record_id, payload_digest)
  articles         one row per article URL (upserted: a re-crawl updates, never duplicates)
  authors, categories, tags   and their join tables articles_authors, articles_categories, articles_tags
  article_versions one row per distinct content of an article (a changed article keeps its history)
  links            (from_url, to_url, kind): pagination / article / related / adjacent / home /
                   sitemap / feed / requisite
  articles_fts     FTS5 over title and text in normalized, stemmed form (see search.py)
Views: articles_per_month, articles_per_author, articles_per_category.

Schema changes are named migrations (sqlite-utils ``Migrations``, recorded in ``_sqlite_migrations``),
so a folder made by an older Arshif upgrades in place when opened. WAL mode, so Datasette can read
while a crawl writes. Everything here can be rebuilt from the WARC files (``arshif reindex``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

import sqlite_utils
from sqlite_utils import Migrations

from .search import index_text

ARTICLE_COLUMNS = {
    "url": str, "title": str, "author": str, "published": str, "published_raw": str,
    "published_source": str, "published_calendar": str, "modified": str, "modified_raw": str,
    "modified_source": str, "modified_calendar": str, "lang": str, "categories": str, "tags": str,
    "description": str, "text": str, "word_count": int, "related": str, "capture_id": int,
    "captured_at": str, "extract_error": str,
}
# Added by m002_research: derived from the columns above when an article is stored.
DERIVED_COLUMNS = {"published_year": int, "published_month": str, "content_hash": str, "replay_url": str,
                   "status": str}
# gone_at arrives with m003_incremental
LIST_COLUMNS = ("categories", "tags", "related")
DEFAULT_REPLAY_URL = "http://127.0.0.1:8080/arshif/{timestamp}/{url}"

migrations = Migrations("arshif")


@migrations()
def m001_core(db):
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


@migrations()
def m002_research(db):
    """Authors/categories/tags as many-to-many tables, article versions, search, views."""
    for name, kind in DERIVED_COLUMNS.items():
        if name not in db["articles"].columns_dict:
            db["articles"].add_column(name, kind)
    for table in ("authors", "categories", "tags"):
        db[table].create({"id": int, "name": str}, pk="id", if_not_exists=True)
        db[table].create_index(["name"], unique=True, if_not_exists=True)
        db[f"articles_{table}"].create({"articles_id": str, f"{table}_id": int}, pk=("articles_id", f"{table}_id"),
                                       foreign_keys=[("articles_id", "articles", "url"), (f"{table}_id", table, "id")],
                                       if_not_exists=True)
    db["article_versions"].create({"id": int, "url": str, "capture_id": int, "captured_at": str,
                                   "content_hash": str, "title": str, "text": str}, pk="id",
                                  foreign_keys=[("capture_id", "captures", "id")], if_not_exists=True)
    db["article_versions"].create_index(["url"], if_not_exists=True)
    db.execute("create virtual table if not exists articles_fts using fts5(title, text, tokenize='unicode61')")
    db.create_view("articles_per_month", """
        select published_month as month, count(*) as articles from articles
        where published_month is not null group by published_month order by published_month""", replace=True)
    for table, single in (("authors", "author"), ("categories", "category")):
        db.create_view(f"articles_per_{single}", f"""
            select {table}.name as {single}, count(*) as articles from articles_{table}
            join {table} on {table}.id = articles_{table}.{table}_id group by {table}.name order by articles desc""",
                       replace=True)
    for row in list(db["articles"].rows):  # articles stored by an older version: derive what they lack
        store_article(db, _decode_lists(row), replay_pattern=DEFAULT_REPLAY_URL)


@migrations()
def m003_incremental(db):
    """Validators for conditional re-crawls, and when an article was found gone."""
    for name in ("etag", "last_modified"):
        if name not in db["captures"].columns_dict:
            db["captures"].add_column(name, str)
    if "gone_at" not in db["articles"].columns_dict:
        db["articles"].add_column("gone_at", str)


def _decode_lists(row: dict) -> dict:
    row = dict(row)
    for key in LIST_COLUMNS:
        if isinstance(row.get(key), str):
            try:
                row[key] = json.loads(row[key])
            except ValueError:
                row[key] = []
    return row


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def content_hash(title: str | None, text: str | None) -> str:
    return hashlib.sha256(f"{title or ''}\n{text or ''}".encode("utf-8")).hexdigest()


def replay_url(pattern: str, url: str, warc_date: str | None) -> str | None:
    if not warc_date:
        return None
    timestamp = "".join(ch for ch in warc_date if ch.isdigit())[:14]
    return pattern.format(timestamp=timestamp, url=url)


def store_article(db: sqlite_utils.Database, article: dict, *, capture: dict | None = None,
                  replay_pattern: str = DEFAULT_REPLAY_URL) -> None:
    """Store an extracted article with everything derived from it: names tables, a new version
    when its content changed, its search entry."""
    row = {k: v for k, v in article.items() if k in ARTICLE_COLUMNS}
    if capture:
        row["capture_id"], row["captured_at"] = capture["id"], capture.get("warc_date")
    published = row.get("published") or ""
    row["published_year"] = int(published[:4]) if published[:4].isdigit() else None
    row["published_month"] = published[:7] if len(published) >= 7 and published[5:7].isdigit() else None
    row["content_hash"] = content_hash(row.get("title"), row.get("text"))
    row["replay_url"] = replay_url(replay_pattern, row["url"], row.get("captured_at"))
    row.setdefault("status", "live")
    row.setdefault("gone_at", None)
    names = {"authors": [a.strip() for a in (row.get("author") or "").split(";") if a.strip()],
             "categories": list(row.get("categories") or []), "tags": list(row.get("tags") or [])}
    for key in LIST_COLUMNS:
        if isinstance(row.get(key), list):
            row[key] = json.dumps(row[key], ensure_ascii=False)
    with db.atomic():  # nests (a savepoint) inside a migration's own transaction
        db["articles"].upsert(row, pk="url", alter=True)
        for table, values in names.items():
            db.execute(f"delete from articles_{table} where articles_id = ?", [row["url"]])
            for value in dict.fromkeys(values):
                db.execute(f"insert or ignore into {table} (name) values (?)", [value])
                db.execute(f"insert or ignore into articles_{table} (articles_id, {table}_id) "
                           f"select ?, id from {table} where name = ?", [row["url"], value])
        _add_version(db, row)
        rowid = db.execute("select rowid from articles where url = ?", [row["url"]]).fetchone()[0]
        db.execute("delete from articles_fts where rowid = ?", [rowid])
        db.execute("insert into articles_fts (rowid, title, text) values (?, ?, ?)",
                   [rowid, index_text(row.get("title")), index_text(row.get("text"))])


def _add_version(db: sqlite_utils.Database, row: dict) -> None:
    last = db.execute("select content_hash from article_versions where url = ? order by id desc limit 1",
                      [row["url"]]).fetchone()
    if last is None or last[0] != row["content_hash"]:
        db["article_versions"].insert({"url": row["url"], "capture_id": row.get("capture_id"),
                                       "captured_at": row.get("captured_at"), "content_hash": row["content_hash"],
                                       "title": row.get("title"), "text": row.get("text")})


class ArchiveDB:
    def __init__(self, path):
        self.db = sqlite_utils.Database(path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        migrations.apply(self.db)

    # --- crawls -------------------------------------------------------------------------------------
    def start_crawl(self, start_url: str, settings: dict) -> int:
        return self.db["crawls"].insert({"start_url": start_url, "started_at": utc_now(),
                                         "settings": json.dumps(settings, ensure_ascii=False, sort_keys=True)}).last_pk

    def finish_crawl(self, crawl_id: int, stats: dict, reason: str | None) -> None:
        self.db["crawls"].update(crawl_id, {"finished_at": utc_now(), "finish_reason": reason,
                                            "stats": json.dumps(stats, default=str, sort_keys=True)})

    # --- captures -----------------------------------------------------------------------------------
    def archived_payloads(self) -> dict:
        """{payload digest: (url, WARC-Date, record id)} of full responses already in the WARCs:
        the dedup index. A digest archived twice keeps its first capture."""
        rows = self.db.execute(
            "select payload_digest, url, warc_date, warc_record_id from captures where record_type = 'response' "
            "and status = 200 and payload_digest is not null order by id desc").fetchall()
        return {digest: (url, date, record_id) for digest, url, date, record_id in rows}

    def last_response(self, url: str) -> dict | None:
        """The captures row of the latest full 200 response for ``url``, or None."""
        cursor = self.db.execute("select * from captures where url = ? and status = 200 "
                                 "and record_type = 'response' order by id desc limit 1", [url])
        row = cursor.fetchone()
        return dict(zip([c[0] for c in cursor.description], row)) if row else None

    def last_crawl_state(self) -> str | None:
        """How the last crawl into this folder ended: None (there was none), "crashed" (it never
        recorded its end), or its finish reason ("finished", "shutdown" after Ctrl-C, …)."""
        row = self.db.execute("select finished_at, finish_reason from crawls order by id desc limit 1").fetchone()
        if row is None:
            return None
        return "crashed" if row[0] is None or row[1] == "interrupted" else row[1]

    def known_articles(self) -> dict[str, str]:
        """{article URL: WARC-Date of its last capture}: what an incremental re-crawl checks again."""
        return {url: date for url, date in self.db.execute("select url, captured_at from articles")}

    def validators(self) -> dict[str, tuple[str | None, str | None]]:
        """{URL: (ETag, Last-Modified)} of the latest capture that had them."""
        rows = self.db.execute("select url, etag, last_modified from captures where status in (200, 304) "
                               "and (etag is not null or last_modified is not null) order by id")
        return {url: (etag, modified) for url, etag, modified in rows}

    def mark_gone(self, url: str, capture: dict | None) -> bool:
        """An article that now answers 404/410 is marked, never deleted."""
        when = (capture or {}).get("warc_date") or utc_now()
        cursor = self.db.execute("update articles set status = 'gone', gone_at = ? where url = ?", [when, url])
        self.db.conn.commit()
        return cursor.rowcount > 0

    def add_capture(self, row: dict) -> int:
        # Plain SQL: this runs once per fetch, and sqlite-utils' insert re-reads the schema each time.
        columns = ", ".join(row)
        cursor = self.db.conn.execute(f"insert into captures ({columns}) values ({', '.join('?' * len(row))})",
                                      list(row.values()))
        self.db.conn.commit()
        return cursor.lastrowid

    # --- articles -----------------------------------------------------------------------------------
    def upsert_article(self, article: dict, *, capture: dict | None = None,
                       replay_pattern: str = DEFAULT_REPLAY_URL) -> None:
        store_article(self.db, article, capture=capture, replay_pattern=replay_pattern)

    def upsert_links(self, from_url: str, links: list[tuple[str, str]], crawl_id: int | None = None) -> None:
        if links:
            self.db.conn.executemany(
                "insert into links (from_url, to_url, kind, crawl_id) values (?, ?, ?, ?) "
                "on conflict (from_url, to_url, kind) do update set crawl_id = excluded.crawl_id",
                [(from_url, to, kind, crawl_id) for to, kind in links])
            self.db.conn.commit()

    def close(self) -> None:
        try:  # fold the WAL back into the main file: readers opening it immutable see everything
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except Exception:
            pass
        self.db.close()
