"""The schema of ``archive.db``, as named migrations (sqlite-utils ``Migrations``, recorded in
``_sqlite_migrations``): a folder made by an older Arshif upgrades in place when opened.

Migrations are frozen: each carries the columns and the logic of its own time and calls nothing
that later code may change, so applying an old migration always gives the same result. (The one
exception is the search index form, ``index_text``: the FTS table is derived data, and a change to
the folding must come with a migration that rebuilds it.)
"""

from __future__ import annotations

import hashlib
import json

import sqlite_utils
from sqlite_utils import Migrations

from ..arabic.search import index_text

migrations = Migrations("arshif")


@migrations()
def m001_core(db: sqlite_utils.Database) -> None:
    db.table("crawls").create({"id": int, "start_url": str, "started_at": str, "finished_at": str,
                         "finish_reason": str, "settings": str, "stats": str}, pk="id", if_not_exists=True)
    db.table("captures").create({
        "id": int, "crawl_id": int, "url": str, "method": str, "fetched_at": str, "status": int,
        "content_type": str, "content_length": int, "warc_filename": str, "warc_offset": int,
        "warc_length": int, "warc_record_id": str, "payload_digest": str, "error": str,
        "record_type": str, "warc_date": str, "refers_to": str,
    }, pk="id", foreign_keys=[("crawl_id", "crawls", "id")], if_not_exists=True)
    db.table("articles").create({
        "url": str, "title": str, "author": str, "published": str, "published_raw": str,
        "published_source": str, "published_calendar": str, "modified": str, "modified_raw": str,
        "modified_source": str, "modified_calendar": str, "lang": str, "categories": str, "tags": str,
        "description": str, "text": str, "word_count": int, "related": str, "capture_id": int,
        "captured_at": str, "extract_error": str,
    }, pk="url", foreign_keys=[("capture_id", "captures", "id")], if_not_exists=True)
    db.table("links").create({"from_url": str, "to_url": str, "kind": str, "crawl_id": int},
                       pk=("from_url", "to_url", "kind"), if_not_exists=True)
    db.table("captures").create_index(["url"], if_not_exists=True)
    db.table("captures").create_index(["payload_digest"], if_not_exists=True)
    db.table("links").create_index(["to_url"], if_not_exists=True)
    db.table("articles").create_index(["published"], if_not_exists=True)


# m002's replay URL pattern for rows stored before it (pywb's default port, `arshif replay`).
_M002_REPLAY_URL = "http://127.0.0.1:8080/arshif/{timestamp}/{url}"


@migrations()
def m002_research(db: sqlite_utils.Database) -> None:
    """Authors/categories/tags as many-to-many tables, article versions, search, views."""
    derived = {"published_year": int, "published_month": str, "content_hash": str, "replay_url": str, "status": str}
    for name, kind in derived.items():
        if name not in db.table("articles").columns_dict:
            db.table("articles").add_column(name, kind)
    for table in ("authors", "categories", "tags"):
        db.table(table).create({"id": int, "name": str}, pk="id", if_not_exists=True)
        db.table(table).create_index(["name"], unique=True, if_not_exists=True)
        db.table(f"articles_{table}").create({"articles_id": str, f"{table}_id": int}, pk=("articles_id", f"{table}_id"),
                                       foreign_keys=[("articles_id", "articles", "url"), (f"{table}_id", table, "id")],
                                       if_not_exists=True)
    db.table("article_versions").create({"id": int, "url": str, "capture_id": int, "captured_at": str,
                                   "content_hash": str, "title": str, "text": str}, pk="id",
                                  foreign_keys=[("capture_id", "captures", "id")], if_not_exists=True)
    db.table("article_versions").create_index(["url"], if_not_exists=True)
    db.execute("create virtual table if not exists articles_fts using fts5(title, text, tokenize='unicode61')")
    db.create_view("articles_per_month", """
        select published_month as month, count(*) as articles from articles
        where published_month is not null group by published_month order by published_month""", replace=True)
    for table, single in (("authors", "author"), ("categories", "category")):
        db.create_view(f"articles_per_{single}", f"""
            select {table}.name as {single}, count(*) as articles from articles_{table}
            join {table} on {table}.id = articles_{table}.{table}_id group by {table}.name order by articles desc""",
                       replace=True)
    for row in list(db.table("articles").rows):  # articles stored by an older version: derive what they lack
        _m002_derive(db, row)


def _m002_derive(db: sqlite_utils.Database, row: dict) -> None:
    """What m002 adds to an article stored before it, as the store derived it at the time."""
    url, title, text = row["url"], row.get("title"), row.get("text")
    published = row.get("published") or ""
    digest = hashlib.sha256(f"{title or ''}\n{text or ''}".encode("utf-8")).hexdigest()
    captured = row.get("captured_at")
    timestamp = "".join(ch for ch in captured if ch.isdigit())[:14] if captured else None
    db.table("articles").update(url, {
        "published_year": int(published[:4]) if published[:4].isdigit() else None,
        "published_month": published[:7] if len(published) >= 7 and published[5:7].isdigit() else None,
        "content_hash": digest,
        "replay_url": _M002_REPLAY_URL.format(timestamp=timestamp, url=url) if timestamp else None,
        "status": row.get("status") or "live"})
    names = {"authors": [a.strip() for a in (row.get("author") or "").split(";") if a.strip()],
             "categories": _m002_list(row.get("categories")), "tags": _m002_list(row.get("tags"))}
    for table, values in names.items():
        for value in dict.fromkeys(values):
            db.execute(f"insert or ignore into {table} (name) values (?)", [value])
            db.execute(f"insert or ignore into articles_{table} (articles_id, {table}_id) "
                       f"select ?, id from {table} where name = ?", [url, value])
    db.table("article_versions").insert({"url": url, "capture_id": row.get("capture_id"), "captured_at": captured,
                                   "content_hash": digest, "title": title, "text": text})
    rowid = db.execute("select rowid from articles where url = ?", [url]).fetchone()[0]
    db.execute("insert into articles_fts (rowid, title, text) values (?, ?, ?)",
               [rowid, index_text(title), index_text(text)])


def _m002_list(value: str | None) -> list[str]:
    try:
        items = json.loads(value) if value else []
    except ValueError:
        return []
    return [str(item) for item in items] if isinstance(items, list) else []


@migrations()
def m003_incremental(db: sqlite_utils.Database) -> None:
    """Validators for conditional re-crawls, and when an article was found gone."""
    for name in ("etag", "last_modified"):
        if name not in db.table("captures").columns_dict:
            db.table("captures").add_column(name, str)
    if "gone_at" not in db.table("articles").columns_dict:
        db.table("articles").add_column("gone_at", str)


@migrations()
def m004_search_plurals(db: sqlite_utils.Database) -> None:
    """The search index form of bare feminine plurals changed (مخطوطات now stems as المخطوطات
    does): rebuild the full-text index from the articles."""
    db.execute("delete from articles_fts")
    for rowid, title, text in db.execute("select rowid, title, text from articles").fetchall():
        db.execute("insert into articles_fts (rowid, title, text) values (?, ?, ?)",
                   [rowid, index_text(title), index_text(text)])


@migrations()
def m005_feed_entries(db: sqlite_utils.Database) -> None:
    """What the blog's feeds said of each post: the source of dates, authors and categories that
    pages do not print."""
    db.table("feed_entries").create({"url": str, "title": str, "published": str, "author": str, "categories": str},
                                    pk="url", if_not_exists=True)


@migrations()
def m006_capture_article(db: sqlite_utils.Database) -> None:
    """Which article each capture shows. One article fetched under several URL forms (with tracking
    parameters, lower-case escapes, its AMP copy) is one row, keyed by its canonical URL; every
    capture of every form points at that row. Rows stored before keep their URL as it was (a
    duplicate stored under two forms stays until `arshif reindex` rebuilds the database)."""
    if "article_url" not in db.table("captures").columns_dict:
        db.table("captures").add_column("article_url", str, fk="articles", fk_col="url")
    db.table("captures").create_index(["article_url"], if_not_exists=True)
    db.execute("update captures set article_url = url where url in (select url from articles)")


@migrations()
def m007_calibration(db: sqlite_utils.Database) -> None:
    """Feed-guided calibration: the rules learned from the feed items' pages (and the user's), how
    well each agreed with the feed, and, per feed item and field, what the page gave against what
    the feed says."""
    db.table("profile_rules").create({"key": str, "selector": str, "origin": str, "feed_pages": int,
                                      "feed_matched": int, "feed_agreed": int, "filled": int},
                                     pk="key", if_not_exists=True)
    db.table("feed_disagreements").create({"url": str, "field": str, "page": str, "feed": str},
                                          pk=("url", "field"), if_not_exists=True)


@migrations()
def m008_pages_read(db: sqlite_utils.Database) -> None:
    """Pages `arshif extract` (or `reindex`) read and found were not articles, with the rules that
    decided it: the next `arshif extract` reads them again only under other rules."""
    db.table("pages_read").create({"capture_id": int, "rules": str}, pk="capture_id",
                                  foreign_keys=[("capture_id", "captures", "id")], if_not_exists=True)
