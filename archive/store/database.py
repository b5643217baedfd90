"""The research database, ``OUT/archive.db``: ``ArchiveDB`` is the one door to it. Every read and
write of the archive goes through its methods; no other module opens the file or writes SQL.

Tables
  crawls           one row per crawl run: start URL, times, settings, final stats
  captures         one row per fetch, failed ones included; points at its WARC record
                   (warc_filename, warc_offset, warc_length, warc_record_id, payload_digest) and,
                   for a page stored as an article, at that article (article_url)
  articles         one row per article, keyed by its canonical URL (``pages.canonical``): fetched
                   under several URL forms it is still one row (upserted: a re-crawl updates)
  authors, categories, tags   and their join tables articles_authors, articles_categories, articles_tags
  article_versions one row per distinct content of an article (a changed article keeps its history)
  links            (from_url, to_url, kind): pagination / article / related / adjacent / home /
                   sitemap / feed / requisite; "feed" is both a page's link to the blog's feed and
                   a feed's link to one of its items (those feed_entries names)
  articles_fts     FTS5 over title and text in normalized, stemmed form (see arabic/search.py)
  feed_entries     what the blog's feeds said of each post (title, date, author, categories)
  profile_rules    the selectors calibration ended with: learned from the feed (with how well each
                   agreed with it and how many articles it filled) or the user's --profile
  feed_disagreements  per feed item and field, what the page gave against what the feed says
Views: articles_per_month, articles_per_author, articles_per_category.

Schema changes are the named, frozen migrations of ``migrations.py``: a folder made by an older
Arshif upgrades in place when opened. WAL mode, so Datasette can read
while a crawl writes. Everything here can be rebuilt from the WARC files (``arshif reindex``).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator, Sequence, cast

import sqlite_utils

from ..arabic.search import index_text
from ..pages.feeds import FeedEntry, feed_date
from ..pages.urls import permalink_shape
from ..warc.records import warc_timestamp
from .merging import MERGED, merge_databases, snapshot
from .migrations import migrations

ARTICLE_COLUMNS = {
    "url": str, "title": str, "author": str, "published": str, "published_raw": str,
    "published_source": str, "published_calendar": str, "modified": str, "modified_raw": str,
    "modified_source": str, "modified_calendar": str, "lang": str, "categories": str, "tags": str,
    "description": str, "text": str, "word_count": int, "related": str, "capture_id": int,
    "captured_at": str, "extract_error": str,
}
LIST_COLUMNS = ("categories", "tags", "related")
# The article stored under :url, or else the one the latest capture of :url showed (the URL is one of
# its other forms: tracking parameters, an AMP copy): `arshif show` and the Datasette plugin.
ARTICLE_BY_URL = ("select * from articles where url = :url or url = (select article_url from captures "
                  "where url = :url and article_url is not null order by id desc limit 1) "
                  "order by url = :url desc limit 1")
# The capture behind an article row, and the record that holds its body: its own, or for a revisit
# (the same payload fetched again, or a 304) the response it refers to.
_CAPTURE_BEHIND = ("join captures c on c.id = a.capture_id left join captures o on c.record_type = 'revisit' "
                   "and o.warc_record_id = c.refers_to and o.record_type = 'response'")
_BODY = ("coalesce(o.warc_filename, c.warc_filename) as body_filename, "
         "coalesce(o.warc_offset, c.warc_offset) as body_offset")
# Where `articles.replay_url` points by default: `arshif replay` (pywb) on its default port.
DEFAULT_REPLAY_URL = "http://127.0.0.1:8080/arshif/{timestamp}/{url}"
# The crawls row `arshif merge` adds records the merge, not a crawl: "the latest crawl" skips it.
_NOT_MERGE = f"finish_reason is not '{MERGED}'"


def _earlier(first: str | None, second: str | None) -> bool:
    """True when the feed date ``first`` is before ``second`` (or ``second`` has none); a date
    without a zone counts as UTC."""
    a, b = feed_date(first), feed_date(second)
    if a is None:
        return False
    if b is None:
        return True
    return a.replace(tzinfo=a.tzinfo or timezone.utc) < b.replace(tzinfo=b.tzinfo or timezone.utc)


class StoreError(Exception):
    """archive.db is missing or unreadable: the message is meant for the user, on one line."""


def _full_date(iso: str | None) -> date | None:
    try:
        return date.fromisoformat(iso[:10]) if iso and len(iso) >= 10 else None
    except ValueError:
        return None


def _squash(text: str | None) -> str:
    return " ".join((text or "").split())


def recorded_json(text: str | None) -> dict[str, Any]:
    """A crawls row's ``stats`` or ``settings``: the JSON object it holds, or {} when there is none
    (a crawl killed before it recorded its figures) or it cannot be read."""
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _in(crawls: int | Sequence[int]) -> tuple[str, list[int]]:
    """``in (?, …)`` and its parameters, for one crawl or several (a job's workers' crawls)."""
    ids = [crawls] if isinstance(crawls, int) else list(crawls)
    return f"in ({', '.join('?' * len(ids))})", ids


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def content_hash(title: str | None, text: str | None) -> str:
    return hashlib.sha256(f"{title or ''}\n{text or ''}".encode("utf-8")).hexdigest()


def replay_url(pattern: str, url: str, warc_date: str | None) -> str | None:
    return pattern.format(timestamp=warc_timestamp(warc_date), url=url) if warc_date else None


def _store_article(db: sqlite_utils.Database, article: dict, *, capture: dict | None = None,
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
    with db.atomic():
        if capture and capture.get("url"):  # every capture of the URL it was fetched under shows this article
            db.execute("update captures set article_url = ? where url = ?", [row["url"], capture["url"]])
            if _has_its_own_capture(db, row["url"], capture):
                return
        rowid = _upsert_row(db, row)
        for table, values in names.items():
            _set_names(db, row["url"], table, values)
        _add_version(db, row)
        db.execute("delete from articles_fts where rowid = ?", [rowid])
        db.execute("insert into articles_fts (rowid, title, text) values (?, ?, ?)",
                   # the worker computed them (extract_for_store); computed here for rows from elsewhere
                   [rowid, *(article.get("fts") or (index_text(row.get("title")), index_text(row.get("text"))))])


def _upsert_row(db: sqlite_utils.Database, row: dict) -> int:
    """Insert or update the article row (only the columns ``row`` has), returning its rowid, which
    its search entry shares. One statement written for these columns, not sqlite-utils' upsert,
    which reads the table's schema again on every call (a third of the store's time in a crawl)."""
    columns = tuple(row)
    return db.execute(_upsert_sql(columns), [row[c] for c in columns]).fetchall()[0][0]


@lru_cache(maxsize=64)
def _upsert_sql(columns: tuple[str, ...]) -> str:
    names = ", ".join(f'"{c}"' for c in columns)
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c != "url")
    return (f"insert into articles ({names}) values ({', '.join('?' * len(columns))}) "
            f"on conflict (url) do update set {updates} returning rowid")


def _has_its_own_capture(db: sqlite_utils.Database, url: str, capture: dict) -> bool:
    """True when ``capture`` is another form of the article (AMP, a campaign link) and the row
    already comes from the article's own URL in the same crawl: the row stays as it is, whichever
    arrived first, so a crawl and ``reindex`` store the same capture."""
    if capture["url"] == url:
        return False
    own = db.execute("select c.url, c.crawl_id from articles a join captures c on c.id = a.capture_id "
                     "where a.url = ?", [url]).fetchone()
    return own is not None and own[0] == url and own[1] == capture.get("crawl_id")


def _set_names(db: sqlite_utils.Database, url: str, table: str, values: list[str]) -> None:
    """An article's authors, categories or tags in their many-to-many tables."""
    db.execute(f"delete from articles_{table} where articles_id = ?", [url])
    for value in dict.fromkeys(values):
        db.execute(f"insert or ignore into {table} (name) values (?)", [value])
        db.execute(f"insert or ignore into articles_{table} (articles_id, {table}_id) "
                   f"select ?, id from {table} where name = ?", [url, value])


def _add_version(db: sqlite_utils.Database, row: dict) -> None:
    last = db.execute("select content_hash from article_versions where url = ? order by id desc limit 1",
                      [row["url"]]).fetchone()
    if last is None or last[0] != row["content_hash"]:
        db.execute("insert into article_versions (url, capture_id, captured_at, content_hash, title, text) "
                   "values (?, ?, ?, ?, ?, ?)", [row["url"], row.get("capture_id"), row.get("captured_at"),
                                                row["content_hash"], row.get("title"), row.get("text")])


_ABSENT: Any = object()  # KnownArticles.get's default when a URL is not known


class KnownArticles:
    """A read-only mapping over the ``temp.known_articles`` snapshot (see ``ArchiveDB.known_articles``)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.size = conn.execute("select count(*) from temp.known_articles").fetchone()[0]

    def get(self, url: str, default: str | None = None) -> str | None:
        if not self.size:
            return default
        row = self.conn.execute("select captured_at from temp.known_articles where url = ?", [url]).fetchone()
        return row[0] if row else default

    def __contains__(self, url: object) -> bool:
        return isinstance(url, str) and self.get(url, _ABSENT) is not _ABSENT

    def __getitem__(self, url: str) -> str:
        found = self.get(url, _ABSENT)
        if found is _ABSENT:
            raise KeyError(url)
        return cast(str, found)

    def __iter__(self) -> Iterator[str]:
        return (url for (url,) in self.conn.execute("select url from temp.known_articles"))

    def __len__(self) -> int:
        return self.size


class ArchiveDB:
    """``ArchiveDB(path)`` opens (or creates) an archive.db and brings its schema up to date;
    ``ArchiveDB.existing(out)`` opens the one in an output folder, or says why it can't."""

    def __init__(self, path: str | Path, *, commit_interval: float = 0.0):
        """``commit_interval``: the per-fetch writes (captures, links) are committed at most this
        often (seconds); 0 commits each. A crawl batches them: a commit per page cost more than the
        insert. What a kill -9 loses is at most that much of rows, never of the WARC files, which
        ``reindex`` reads."""
        self.path = Path(path)
        self.commit_interval = commit_interval
        self._last_commit = time.monotonic()
        try:
            self.db = sqlite_utils.Database(self.path)
            self.db.execute("PRAGMA journal_mode=WAL")
            # Workers of one job write to one archive.db: wait for another's write, never fail on it
            self.db.execute("PRAGMA busy_timeout=60000")
            self.db.execute("PRAGMA synchronous=NORMAL")
            migrations.apply(self.db)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is damaged ({exc}): `arshif reindex {self.path.parent}` rebuilds it "
                             "from the WARC files") from None

    @classmethod
    def existing(cls, out: str | Path) -> "ArchiveDB":
        path = Path(out) / "archive.db"
        if not path.is_file():
            raise StoreError(f"no archive.db in {out}")
        return cls(path)

    def __enter__(self) -> "ArchiveDB":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _rows(self, sql: str, params: list | tuple | dict = ()) -> list[dict[str, Any]]:
        return list(self.db.query(sql, params if isinstance(params, dict) else list(params)))

    def _row(self, sql: str, params: list | tuple | dict = ()) -> dict[str, Any] | None:
        return next(self.db.query(sql, params if isinstance(params, dict) else list(params)), None)

    # --- crawls -------------------------------------------------------------------------------------
    def start_crawl(self, start_url: str, settings: dict) -> int:
        return self.add_crawl({"start_url": start_url, "started_at": utc_now(),
                               "settings": json.dumps(settings, ensure_ascii=False, sort_keys=True)})

    def add_crawl(self, row: dict) -> int:
        pk = self.db.table("crawls").insert(row).last_pk
        assert isinstance(pk, int)
        return pk

    def finish_crawl(self, crawl_id: int, stats: dict, reason: str | None) -> None:
        self.db.table("crawls").update(crawl_id, {"finished_at": utc_now(), "finish_reason": reason,
                                            "stats": json.dumps(stats, default=str, sort_keys=True)})

    def update_crawl_stats(self, crawl_id: int, figures: dict[str, Any]) -> None:
        """Replace some of a crawl's recorded figures, keeping the others: ``arshif extract``
        recomputes what a capture-only crawl could not know when it ended, ``reindex`` records
        what a rebuilt crawls row would otherwise lack."""
        row = self.crawl(crawl_id)
        stats = recorded_json(row["stats"]) if row else {}
        self.db.table("crawls").update(crawl_id, {"stats": json.dumps({**stats, **figures}, default=str, sort_keys=True)})

    def capture_figures(self, crawl_id: int) -> dict[str, Any]:
        """A crawl's figures as its archived captures give them, under their stats names (a crawls
        row rebuilt from the WARC files has no stats of its own): captures, revisits, and the
        seconds from its first fetch to its last."""
        captures, revisits, first, last = self.db.execute(
            "select count(*), coalesce(sum(record_type = 'revisit'), 0), min(fetched_at), max(fetched_at) "
            "from captures where crawl_id = ? and warc_filename is not null", [crawl_id]).fetchone()
        seconds = (datetime.fromisoformat(last) - datetime.fromisoformat(first)).total_seconds() if first else 0.0
        return {"arshif/captures": captures, "response_received_count": captures, "arshif/revisits": revisits,
                "elapsed_time_seconds": seconds}

    def mark_interrupted_crawls(self, workers: list[str] | None = None) -> None:
        """A crawl with no finish time was killed: say so (its captures and articles stay). With
        ``workers`` (a job's workers sharing this folder), only the crawls of those dead workers."""
        if workers is None:
            self.db.execute("update crawls set finish_reason = 'interrupted' where finished_at is null")
        elif workers:
            self.db.execute("update crawls set finish_reason = 'interrupted' where finished_at is null and "
                            f"json_extract(settings, '$.ARSHIF_WORKER') in ({', '.join('?' * len(workers))})", workers)
        self.db.conn.commit()

    def crawl(self, crawl_id: int | None = None) -> dict[str, Any] | None:
        """The crawls row with this id, or the latest crawl's (a merge's row is not a crawl); None
        if there is none."""
        if crawl_id is not None:
            return self._row("select * from crawls where id = ?", [crawl_id])
        return self._row(f"select * from crawls where {_NOT_MERGE} order by id desc limit 1")

    def first_crawl(self) -> dict[str, Any] | None:
        return self._row(f"select * from crawls where {_NOT_MERGE} order by id limit 1")

    # --- merging (arshif merge) ----------------------------------------------------------------------
    @staticmethod
    def snapshot(source: str | Path, copy: str | Path) -> None:
        """Copy the archive.db ``source`` to ``copy`` as it is now (its WAL included), reading only."""
        try:
            snapshot(Path(source), Path(copy))
        except sqlite3.Error as exc:
            raise StoreError(f"{source} cannot be read ({exc}): `arshif reindex {Path(source).parent}` rebuilds it "
                             "from the WARC files") from None

    def merge_from(self, sources: list[Path], record: dict) -> int:
        """Fill this new, empty database from the archive.db files ``sources`` (see
        ``merging.py``) and record the merge as a crawls row (``record``: started_at and settings);
        returns that row's id."""
        if self.crawls():
            raise StoreError(f"{self.path} is not empty: a merge fills a new database")
        for source in sources:  # each at the current schema, so the columns line up
            ArchiveDB(source).close()
        return merge_databases(self.db, sources, record)

    def last_crawl_state(self) -> str | None:
        """How the last crawl into this folder ended: None (there was none), "crashed" (it never
        recorded its end, or stopped when writing failed: its frontier on disk is not to be trusted),
        or its finish reason ("finished", "shutdown" after Ctrl-C, …)."""
        row = self.crawl()
        if row is None:
            return None
        crashed = row["finished_at"] is None or row["finish_reason"] in ("interrupted", "storage-failed")
        return "crashed" if crashed else row["finish_reason"]

    # --- captures -----------------------------------------------------------------------------------
    def add_capture(self, row: dict) -> int:
        # Plain SQL: this runs once per fetch, and sqlite-utils' insert re-reads the schema each time.
        columns = ", ".join(row)
        cursor = self.db.conn.execute(f"insert into captures ({columns}) values ({', '.join('?' * len(row))})",
                                      list(row.values()))
        self._commit_batch()
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def archived_payload(self, digest: str) -> tuple[str, str, str] | None:
        """(url, WARC-Date, record id) of the first full response archived with this payload digest,
        or None: the dedup index, looked up (indexed) rather than held in memory."""
        row = self.db.execute(
            "select url, warc_date, warc_record_id from captures where payload_digest = ? "
            "and record_type = 'response' and status = 200 order by id limit 1", [digest]).fetchone()
        return (row[0], row[1], row[2]) if row else None

    def last_response(self, url: str) -> dict[str, Any] | None:
        """The captures row of the latest full 200 response for ``url``, or None."""
        return self._row("select * from captures where url = ? and status = 200 "
                         "and record_type = 'response' order by id desc limit 1", [url])

    def capture_chain(self, url: str, limit: int = 5, *, capture_id: int | None = None) -> list[dict[str, Any]]:
        """The latest archived capture of ``url`` (or the capture ``capture_id``) and, for a revisit,
        the records it refers to."""
        if capture_id is not None:
            capture = self._row("select * from captures where id = ? and warc_filename is not null", [capture_id])
        else:
            capture = self._row("select * from captures where url = ? and warc_filename is not null "
                                "order by id desc limit 1", [url])
        chain = [capture] if capture else []
        while chain and chain[-1]["refers_to"] and len(chain) < limit:
            original = self._row("select * from captures where warc_record_id = ?", [chain[-1]["refers_to"]])
            if original is None:
                break
            chain.append(original)
        return chain

    def validator(self, url: str, before_crawl: int) -> tuple[str | None, str | None] | None:
        """(ETag, Last-Modified) of the latest capture of ``url`` that had them, among crawls before
        ``before_crawl``; None if none had."""
        row = self.db.execute(
            "select etag, last_modified from captures where url = ? and status in (200, 304) "
            "and (etag is not null or last_modified is not null) and (crawl_id is null or crawl_id < ?) "
            "order by id desc limit 1", [url, before_crawl]).fetchone()
        return (row[0], row[1]) if row else None

    def captured_urls(self) -> list[str]:
        """Every URL a response was received for."""
        return [url for (url,) in self.db.execute("select url from captures where status is not null")]

    # --- articles -----------------------------------------------------------------------------------
    def upsert_article(self, article: dict, *, capture: dict | None = None,
                       replay_pattern: str = DEFAULT_REPLAY_URL) -> None:
        _store_article(self.db, article, capture=capture, replay_pattern=replay_pattern)

    def article(self, url: str) -> dict[str, Any] | None:
        """The article stored under ``url``, or else the one a page fetched from ``url`` showed
        (one of its other URL forms)."""
        return self._row(ARTICLE_BY_URL, {"url": url})

    def article_captures(self, url: str) -> list[dict[str, Any]]:
        """Every capture of the article stored under ``url``, whatever URL form it was fetched under."""
        return self._rows("select * from captures where article_url = ? order by id", [url])

    def known_articles(self) -> "KnownArticles":
        """The articles archived before now, {URL: WARC-Date of its last capture} as they stand at
        this call: what an incremental re-crawl checks again. A snapshot in a temporary table, looked
        up by URL, so a crawl does not hold every article of a big archive in memory."""
        self.db.execute("drop table if exists temp.known_articles")
        self.db.execute("create temp table known_articles (url text primary key, captured_at text) without rowid")
        self.db.execute("insert into temp.known_articles select url, captured_at from main.articles")
        self.db.conn.commit()
        return KnownArticles(self.db.conn)

    def mark_gone(self, url: str, capture: dict | None) -> bool:
        """An article that now answers 404/410 is marked, never deleted."""
        when = (capture or {}).get("warc_date") or utc_now()
        cursor = self.db.execute("update articles set status = 'gone', gone_at = ? where url = ?", [when, url])
        self.db.conn.commit()
        return cursor.rowcount > 0

    def iter_articles(self, columns: list[str]) -> Iterator[dict[str, Any]]:
        """Articles, newest first, with only ``columns``: streamed, for exports of any size."""
        cursor = self.db.execute(f"select {', '.join(columns)} from articles order by published desc, url")
        for row in cursor:
            yield dict(zip(columns, row, strict=True))

    def article_pages(self, limit: int = -1) -> list[dict[str, Any]]:
        """URL, title and capture time (``ts``: the WARC-Date of the capture behind the row) of the
        articles, newest first: a WACZ pages list, the links ``arshif replay`` prints."""
        return self._rows("select url, title, captured_at as ts from articles order by published desc, url limit ?",
                          [limit])

    def article_versions(self, with_text: bool = True) -> list[dict[str, Any]]:
        columns = "*" if with_text else "id, url, title, captured_at"
        return self._rows(f"select {columns} from article_versions order by id")

    def gone_articles(self) -> list[dict[str, Any]]:
        return self._rows("select url, title, gone_at from articles where status = 'gone'")

    def health(self, crawl_id: int | Sequence[int]) -> dict[str, int]:
        """How well a crawl (or a job's workers' crawls, as one) understood the blog: posts it was
        pointed at (teaser permalinks on listings, feed items, related links) and fetched as HTML
        but did not store as articles, and the articles it stored without a date, an author or any text."""
        crawls, ids = _in(crawl_id)
        unstored = self.db.execute(
            f"select count(distinct l.to_url) from links l join captures c on c.url = l.to_url and c.crawl_id {crawls} "
            f"and c.status = 200 and c.content_type like 'text/html%' where l.crawl_id {crawls} "
            # a link of kind "feed" is a feed's item only if a feed's entry names it: pages link to the feed by that kind too
            "and (l.kind in ('article', 'related') or l.kind = 'feed' and l.to_url in (select url from feed_entries)) "
            "and l.to_url not in (select url from articles) "
            "and c.article_url is null",  # stored under its canonical URL
            ids + ids).fetchone()[0]
        stored, no_date, no_author, no_text = self.db.execute(
            "select count(*), coalesce(sum(a.published is null), 0), coalesce(sum(coalesce(a.author, '') = ''), 0), "
            "coalesce(sum(coalesce(a.word_count, 0) = 0), 0) from articles a join captures c on c.id = a.capture_id "
            f"where c.crawl_id {crawls}", ids).fetchone()
        total = self.db.execute("select count(*) from articles").fetchone()[0]
        html_pages = self.db.execute(f"select count(distinct url) from captures where crawl_id {crawls} and status = 200 "
                                     "and content_type like 'text/html%'", ids).fetchone()[0]
        return {"unstored_posts": unstored, "stored": stored, "no_date": no_date, "no_author": no_author,
                "no_text": no_text, "archive_articles": total, "html_pages": html_pages,
                **self._sitemap_health(ids)}

    def _sitemap_health(self, crawl_ids: list[int]) -> dict[str, int]:
        """A sitemap lists pages, not only posts. Of the HTML pages the crawl's sitemaps listed: how
        many were neither stored as articles nor read as listings (their links were followed), and
        how many of those sit where this crawl's stored articles sit (the same sitemap file and
        ``permalink_shape``): posts the theme was understood on only in part. Tag, category and
        year pages sit elsewhere; a site with no stored article gives no shape to compare."""
        # Read twice, streamed (each page once: the sitemaps listing it, and 2 stored as an article, 1
        # read as a listing, 0 neither): a dict of every page would grow with the blog.
        crawls, _ = _in(crawl_ids)
        pages = ("select l.to_url, json_group_array(distinct l.from_url), max(case when l.to_url in (select url from "
                 "articles) or c.article_url is not null then 2 when l.to_url in (select from_url from links where "
                 f"crawl_id {crawls}) then 1 else 0 end) from links l join captures c on c.url = l.to_url and c.crawl_id "
                 f"{crawls} and c.status = 200 and c.content_type like 'text/html%' where l.crawl_id {crawls} "
                 "and l.kind = 'sitemap' group by l.to_url")
        counts = {"sitemap_pages": 0, "unstored_sitemap": 0, "unstored_sitemap_like_posts": 0}
        post_places: set[tuple[str, str | None]] = set()
        for url, sitemaps, kind in self.db.execute(pages, crawl_ids * 3):
            counts["sitemap_pages"] += 1
            counts["unstored_sitemap"] += kind == 0
            if kind == 2:
                post_places.update((sitemap, permalink_shape(url)) for sitemap in json.loads(sitemaps))
        if counts["unstored_sitemap"] and post_places:
            for url, sitemaps, kind in self.db.execute(pages, crawl_ids * 3):
                shape = permalink_shape(url) if kind == 0 else None
                if shape is not None and any((sitemap, shape) in post_places for sitemap in json.loads(sitemaps)):
                    counts["unstored_sitemap_like_posts"] += 1
        return counts

    def add_feed_entries(self, entries: list[FeedEntry]) -> None:
        """Remember what the blog's feeds said of each post (the latest feed wins), but for its
        date: a post in several feeds keeps the earliest one. MkDocs' RSS plugin writes a feed of
        creations and one of updates; which is read last must not decide the publication date."""
        known = dict(self.db.execute("select url, published from feed_entries"))
        rows: dict[str, tuple] = {}
        for e in entries:  # the same post twice in one batch (reindex reads every feed at once) folds too
            published = known[e.url] if _earlier(known.get(e.url), e.published) else e.published
            known[e.url] = published
            rows[e.url] = (e.url, e.title, published, e.author, json.dumps(e.categories, ensure_ascii=False))
        self.db.conn.executemany(
            "insert or replace into feed_entries (url, title, published, author, categories) values (?, ?, ?, ?, ?)",
            rows.values())
        self.db.conn.commit()

    def fill_from_feed(self, crawl_id: int | None = None) -> dict[str, int]:
        """The blog's feed is ground truth for its posts: an article whose page printed no date (or
        no author) gets the feed's, marked ``published_source = 'feed'``; categories the page did
        not show come from the feed when the page showed its tags (so the feed's terms can be told
        apart from them). Every article is filled from every feed entry remembered, so a re-crawl
        that re-extracts a page which has left the feed keeps what the feed once said. Returns how
        many were filled, and how many titles and dates of this crawl's pages (all, without
        ``crawl_id``) disagree with their feed entry."""
        counts = {"filled_from_feed": 0, "feed_disagreements": 0}
        for stored in self._rows("select * from feed_entries"):
            entry = FeedEntry.from_dict({**stored, "categories": json.loads(stored["categories"] or "[]")})
            row = self._row("select url, title, published, author, categories, tags from articles where url = ?",
                            [entry.url])
            if row is None:
                continue
            update: dict[str, Any] = {}
            published = feed_date(entry.published)
            if not row["published"] and published:
                update.update(published=published.isoformat(), published_raw=entry.published,
                              published_source="feed", published_calendar="gregorian")
                update["published_year"], update["published_month"] = published.year, published.strftime("%Y-%m")
            if not row["author"] and entry.author:
                update["author"] = entry.author
            tags = json.loads(row["tags"] or "[]")
            categories = [c for c in entry.categories if c not in tags]
            if not json.loads(row["categories"] or "[]") and tags and categories:
                update["categories"] = json.dumps(categories, ensure_ascii=False)
            if update:
                self.db.table("articles").update(entry.url, update)
                if "author" in update:
                    _set_names(self.db, entry.url, "authors", [entry.author or ""])
                if "categories" in update:
                    _set_names(self.db, entry.url, "categories", categories)
                counts["filled_from_feed"] += 1
            if crawl_id is not None and not self.db.execute(  # looked up: a set of the crawl's URLs grows with the blog
                    "select 1 from captures where crawl_id = ? and url = ? limit 1", [crawl_id, entry.url]).fetchone():
                continue
            page_day = _full_date(row["published"])  # None for "2025-05", a month alone
            if (entry.title and row["title"] and " ".join(entry.title.split()) != " ".join(row["title"].split())) or \
                    (published and page_day and abs((page_day - published.date()).days) > 1):  # a day: time zones
                counts["feed_disagreements"] += 1
        self.db.conn.commit()
        return counts

    # --- feed-guided calibration ----------------------------------------------------------------------
    def feed_item_captures(self) -> list[dict[str, Any]]:
        """Each feed item stored as an article, with the capture behind its row and the feed's entry
        (``feed_*`` columns): the pages a profile is learned from."""
        return self._rows(
            f"select c.*, {_BODY}, f.url as feed_url, f.title as feed_title, f.published as feed_published, "
            "f.author as feed_author, f.categories as feed_categories from feed_entries f "
            f"join articles a on a.url = f.url {_CAPTURE_BEHIND} order by c.id")

    def articles_missing(self, fields: list[str]) -> list[dict[str, Any]]:
        """The captures behind the articles with one of ``fields`` empty (title, published, author,
        categories, tags, text), with where its body is and which of ``fields`` it lacks (``missing``,
        space-separated): what learned rules may fill."""
        empty = {"title": "coalesce(a.title, '') = ''", "published": "a.published is null",
                 "author": "coalesce(a.author, '') = ''", "categories": "coalesce(a.categories, '[]') = '[]'",
                 "tags": "coalesce(a.tags, '[]') = '[]'", "text": "coalesce(a.word_count, 0) = 0"}
        fields = [f for f in fields if f in empty]
        if not fields:
            return []
        missing = " || ".join(f"(case when {empty[f]} then '{f} ' else '' end)" for f in fields)
        wanted = " or ".join(empty[f] for f in fields)
        return self._rows(f"select c.*, {_BODY}, {missing} as missing from articles a {_CAPTURE_BEHIND} "
                          f"where a.extract_error is null and ({wanted}) order by c.id")

    def set_profile_rules(self, rows: list[dict[str, Any]]) -> None:
        """The rules calibration ended with (learned and the user's), replacing the last ones."""
        with self.db.atomic():
            self.db.execute("delete from profile_rules")
            if rows:
                self.db.table("profile_rules").insert_all(rows, pk="key")

    def profile_rules(self) -> list[dict[str, Any]]:
        return self._rows("select * from profile_rules order by origin desc, key")

    def article_captures_all(self) -> list[dict[str, Any]]:
        """The capture behind every article row, with where its body is (``body_filename``, ``body_offset``)."""
        return self._rows(f"select c.*, {_BODY} from articles a {_CAPTURE_BEHIND} order by c.id")

    def disagreement_counts(self) -> dict[str, int]:
        """{field: feed items whose page disagrees with the feed on it}."""
        return {r["field"]: r["n"] for r in self._rows("select field, count(*) as n from feed_disagreements "
                                                        "group by field")}

    def feed_items_stored(self) -> int:
        return self.db.execute("select count(*) from feed_entries f join articles a on a.url = f.url").fetchone()[0]

    def record_feed_disagreements(self) -> dict[str, int]:
        """Compare every feed item stored as an article with its feed entry, field by field (title,
        published day, author, categories and tags as one set of terms), and keep the differences in
        ``feed_disagreements`` (page NULL: the page gave nothing). A date or author the feed itself
        filled in is the page's nothing. Returns {"feed_items": compared, "feed_fields_disagree": rows}."""
        rows: list[dict[str, Any]] = []
        items = self._rows("select f.*, a.title as a_title, a.published as a_published, a.published_source, "
                           "a.author as a_author, a.categories as a_categories, a.tags as a_tags "
                           "from feed_entries f join articles a on a.url = f.url")
        for item in items:
            terms = json.loads(item["categories"] or "[]")
            page_terms = json.loads(item["a_categories"] or "[]") + json.loads(item["a_tags"] or "[]")
            published = feed_date(item["published"])
            page_day = None if item["published_source"] == "feed" else _full_date(item["a_published"])
            # (field, what the page gave, what the feed says, agree?): a field the feed leaves out agrees
            checks = [("title", item["a_title"], item["title"],
                       not item["title"] or _squash(item["a_title"]) == _squash(item["title"])),
                      ("published", None if page_day is None else item["a_published"], item["published"],
                       published is None or (page_day is not None and abs((page_day - published.date()).days) <= 1)),
                      ("author", item["a_author"], item["author"],
                       not item["author"] or _squash(item["a_author"]) == _squash(item["author"])),
                      ("categories", json.dumps(page_terms, ensure_ascii=False), json.dumps(terms, ensure_ascii=False),
                       not terms or {_squash(t) for t in terms} == {_squash(t) for t in page_terms})]
            rows += [{"url": item["url"], "field": field, "page": page, "feed": feed}
                     for field, page, feed, same in checks if not same]
        with self.db.atomic():
            self.db.execute("delete from feed_disagreements")
            if rows:
                self.db.table("feed_disagreements").insert_all(rows, pk=("url", "field"))
        return {"feed_items": len(items), "feed_fields_disagree": len(rows)}

    def unextracted_pages(self) -> list[dict[str, Any]]:
        """The latest full HTML response of every URL that has no article row, or whose article was
        extracted from an earlier capture: what capture-only crawls left to extract (pages that are
        not articles are among them; classification decides; a post changed since, re-captured by an
        incremental crawl, gets its new version), with how the crawl reached it: the kinds of link to
        it (``reached``) and whether a feed's entry names it (``feed_item``: a link of kind "feed"
        may also be a page's link to the feed)."""
        return self._rows(
            "select c.*, (select group_concat(distinct l.kind) from links l where l.to_url = c.url) as reached, "
            "c.url in (select url from feed_entries) as feed_item from captures c where c.id in (select max(id) from captures where record_type = 'response' "
            "and status = 200 and content_type like 'text/html%' group by url) "
            "and (c.url not in (select url from articles) and c.article_url is null "
            # its article came from an earlier capture, unless this one was stored under another URL (canonical)
            "or coalesce(c.article_url, c.url) = c.url and exists (select 1 from articles a where a.url = c.url "
            "and a.capture_id < c.id)) order by c.id")

    def mark_read(self, capture_id: int, rules: str) -> None:
        """``capture_id``'s page was read under ``rules`` (see ArticleExtractor.rules_of) and is no article."""
        self.db.execute("insert or replace into pages_read (capture_id, rules) values (?, ?)", [capture_id, rules])
        self._commit_batch()

    def pages_read(self) -> dict[int, str]:
        """{capture id: the rules it was read under} of the pages read and found not to be articles."""
        return dict(self.db.execute("select capture_id, rules from pages_read"))

    def crawl_settings(self) -> dict[int, dict]:
        """{crawl id: the settings it recorded}."""
        return {row["id"]: recorded_json(row["settings"]) for row in self._rows("select id, settings from crawls")}

    def counts(self) -> dict[str, int]:
        """Archived captures (those with a WARC record) and articles: what a rebuild must keep; and
        the crawls recorded (merges are not crawls)."""
        def count(sql: str) -> int:
            return self.db.execute(sql).fetchone()[0]

        return {"captures": count("select count(*) from captures where warc_filename is not null"),
                "articles": count("select count(*) from articles"),
                "crawls": count(f"select count(*) from crawls where {_NOT_MERGE}")}

    def warc_filenames(self) -> set[str]:
        """The WARC files the captures point into."""
        return {name for (name,) in self.db.execute("select distinct warc_filename from captures "
                                                      "where warc_filename is not null")}

    # --- what the crawl report shows (archive/report/) -----------------------------------------------
    def crawls(self) -> list[dict[str, Any]]:
        """Every crawl row, oldest first."""
        return self._rows("select * from crawls order by id")

    def capture_times(self, crawl_id: int | Sequence[int]) -> list[str]:
        """When each fetch of a crawl (or of a job's crawls) was made (ISO), in order."""
        crawls, ids = _in(crawl_id)
        return [t for (t,) in self.db.execute(f"select fetched_at from captures where crawl_id {crawls} "
                                              "and fetched_at is not null order by fetched_at", ids)]

    def status_counts(self, crawl_id: int | Sequence[int]) -> list[dict[str, Any]]:
        """{status, record_type, captures} of a crawl; status None is a fetch that got no answer."""
        crawls, ids = _in(crawl_id)
        return self._rows(f"select status, record_type, count(*) as captures from captures where crawl_id {crawls} "
                          "group by status, record_type order by status is null, status, record_type", ids)

    def content_types(self, crawl_id: int | Sequence[int]) -> list[dict[str, Any]]:
        """{content_type (parameters dropped), captures, bytes as received} of a crawl's answers."""
        crawls, ids = _in(crawl_id)
        return self._rows(
            "select lower(trim(case when instr(content_type, ';') then substr(content_type, 1, instr(content_type, ';') - 1) "
            "else content_type end)) as content_type, count(*) as captures, coalesce(sum(content_length), 0) as bytes "
            f"from captures where crawl_id {crawls} and status is not null and content_type is not null "
            "group by 1 order by bytes desc, captures desc", ids)

    def named_counts(self, view: str) -> list[dict[str, Any]]:
        """Rows of ``articles_per_month``, ``articles_per_author`` or ``articles_per_category``."""
        if view not in ("articles_per_month", "articles_per_author", "articles_per_category"):
            raise ValueError(f"not a count view: {view}")
        return self._rows(f"select * from {view}")


    def articles_reached_by(self) -> dict[str, int]:
        """{link kind: how many articles a link of that kind pointed at} (an article reached several
        ways counts under each); "" counts the articles no link pointed at (the start URL)."""
        rows = self.db.execute(
            "select coalesce(l.kind, ''), count(distinct a.url) from articles a "
            "left join links l on l.to_url = a.url and l.kind != 'requisite' group by 1 order by 2 desc").fetchall()
        return dict(rows)

    def changes_per_crawl(self) -> list[dict[str, Any]]:
        """{crawl_id, new, changed, gone} for every crawl: articles first stored by it, articles it
        stored a new version of, articles it found gone (by the 404/410 capture that showed it)."""
        counts = {row["id"]: {"crawl_id": row["id"], "new": 0, "changed": 0, "gone": 0} for row in self.crawls()}
        for crawl_id, first, n in self.db.execute(
                "select c.crawl_id, v.id = (select min(id) from article_versions where url = v.url), count(*) "
                "from article_versions v join captures c on c.id = v.capture_id group by 1, 2"):
            if crawl_id in counts:
                counts[crawl_id]["new" if first else "changed"] += n
        for crawl_id, n in self.db.execute(
                "select c.crawl_id, count(distinct a.url) from articles a join captures c "
                "on c.url = a.url and c.warc_date = a.gone_at where a.status = 'gone' group by 1"):
            if crawl_id in counts:
                counts[crawl_id]["gone"] += n
        return list(counts.values())

    def dedup_per_crawl(self) -> list[dict[str, Any]]:
        """{crawl_id, responses, revisits, response_bytes, saved_bytes} for every crawl: full
        responses against revisit records, and the bytes the revisits did not store again (the
        size of the capture each refers to)."""
        return self._rows(
            "select cr.id as crawl_id, "
            "coalesce(sum(c.record_type = 'response'), 0) as responses, "
            "coalesce(sum(c.record_type = 'revisit'), 0) as revisits, "
            "coalesce(sum(case when c.record_type = 'response' then c.content_length end), 0) as response_bytes, "
            "coalesce(sum(case when c.record_type = 'revisit' then o.content_length end), 0) as saved_bytes "
            "from crawls cr left join captures c on c.crawl_id = cr.id "
            "left join captures o on o.warc_record_id = c.refers_to and c.record_type = 'revisit' "
            "group by cr.id order by cr.id")

    def failures(self, crawl_id: int | Sequence[int]) -> list[dict[str, Any]]:
        """A crawl's fetches that failed: no answer (``error``) or an HTTP error status."""
        crawls, ids = _in(crawl_id)
        return self._rows(f"select url, status, error from captures where crawl_id {crawls} "
                          "and (error is not null or status >= 400) order by status is null, status, url", ids)

    def unparsed_dates(self) -> list[dict[str, Any]]:
        """Articles whose page printed a date Arshif could not read: the raw text, no normalized date."""
        return self._rows("select url, title, published_raw from articles where published is null "
                          "and coalesce(published_raw, '') != '' order by url")

    def date_sources(self) -> dict[str, int]:
        """{where articles' dates came from ("page", "feed", …; "unparsed", "none"): articles}."""
        rows = self.db.execute(
            "select case when published is not null then coalesce(published_source, 'page') "
            "when coalesce(published_raw, '') != '' then 'unparsed' else 'none' end, count(*) "
            "from articles group by 1 order by 2 desc").fetchall()
        return dict(rows)

    # --- links --------------------------------------------------------------------------------------
    def upsert_links(self, from_url: str, links: list[tuple[str, str]], crawl_id: int | None = None) -> None:
        if links:
            self.db.conn.executemany(
                "insert into links (from_url, to_url, kind, crawl_id) values (?, ?, ?, ?) "
                "on conflict (from_url, to_url, kind) do update set crawl_id = excluded.crawl_id",
                [(from_url, to, kind, crawl_id) for to, kind in links])
            self._commit_batch()

    def _commit_batch(self) -> None:
        now = time.monotonic()
        if now - self._last_commit >= self.commit_interval:
            self.db.conn.commit()
            self._last_commit = now

    # --- the file -----------------------------------------------------------------------------------
    def close(self) -> None:
        self.db.conn.commit()  # what a batch left pending
        try:  # fold the WAL back into the main file: a copy of archive.db alone is then whole
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error:
            pass
        self.db.close()
