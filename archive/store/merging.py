"""Several archive.db files into one, for ``arshif merge`` (``archive/merge.py`` checks the folders
and moves the WARC files; this module is the SQL, so the store stays the one door to the database).

Rows are copied, not re-extracted: a source's crawls keep their settings, stats and finish reasons,
failed fetches (which left no WARC record) stay in ``captures``, validators stay for conditional
re-crawls, and an article found gone stays gone; ``arshif reindex`` could rebuild none of these.
Each source is attached in turn (SQLite attaches only ten at a time) and staged in temporary tables
with its source number; then the target's rows are written in time order, so "the highest id is the
newest", which many queries rely on, holds across sources:

- crawls by ``started_at``, captures by ``fetched_at`` (ties: source order, then the old id), both
  renumbered, and every reference to them (captures.crawl_id, articles.capture_id,
  article_versions.capture_id, links.crawl_id) mapped to the new ids;
- one row per article URL, the one with the newest capture (or the newest finding that it is gone),
  as a re-crawl would leave it; its names, its search entry, and the history of every source, merged
  by capture time, consecutive equal contents kept once;
- links once, attributed to the newest crawl that saw them; feed entries from the source crawled last;
- every capture of a URL shows the article the newest of them showed, as ``_store_article`` does.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

# Tables staged from each source, and the extra columns the staging keeps beside the target's.
_STAGED = ("crawls", "captures", "articles", "article_versions", "links", "feed_entries")
_NAMES = ("authors", "categories", "tags")
MERGED = "merged"  # finish_reason of the crawls row that records a merge


def snapshot(source: Path, copy: Path) -> None:
    """A consistent copy of the archive.db ``source`` at ``copy`` (SQLite's backup: the WAL
    included), read-only on the source."""
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        dest = sqlite3.connect(copy)
        try:
            src.backup(dest)
        finally:
            dest.close()
    finally:
        src.close()


def _columns(conn: sqlite3.Connection, schema: str, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"pragma {schema}.table_info({table})")]


def _stage(conn: sqlite3.Connection, number: int) -> None:
    """Copy the attached database ``src`` into the staging tables, tagged with its ``number``."""
    for table in _STAGED:
        shared = [c for c in _columns(conn, "main", table) if c in set(_columns(conn, "src", table))]
        extra = ", src_rowid" if table == "articles" else ""
        cols = ", ".join(shared)
        conn.execute(f"insert into temp.m_{table} (src{extra}, {cols}) "
                     f"select ?{', rowid' if extra else ''}, {cols} from src.{table}", [number])
    for kind in _NAMES:
        conn.execute(f"insert into temp.m_names (src, kind, url, name) select ?, ?, j.articles_id, n.name "
                     f"from src.articles_{kind} j join src.{kind} n on n.id = j.{kind}_id", [number, kind])
    conn.execute("insert into temp.m_fts (src, src_rowid, title, text) select ?, rowid, title, text "
                 "from src.articles_fts", [number])


def _create_staging(conn: sqlite3.Connection) -> None:
    for table in _STAGED:
        extra = ", null as src_rowid" if table == "articles" else ""
        conn.execute(f"create temp table m_{table} as select 0 as src{extra}, * from main.{table} where 0")
    conn.execute("create temp table m_names (src int, kind text, url text, name text)")
    conn.execute("create temp table m_fts (src int, src_rowid int, title text, text text)")
    for name in ("crawl_map", "capture_map"):
        conn.execute(f"create temp table {name} (src int, old_id int, new_id int, primary key (src, old_id))")


def _write_merged(conn: sqlite3.Connection) -> None:
    """The target's rows from the staging tables (see the module's docstring)."""
    conn.execute("insert into temp.crawl_map select src, id, row_number() over (order by started_at, src, id) "
                 "from temp.m_crawls")
    conn.execute("insert into temp.capture_map select src, id, row_number() over (order by fetched_at, src, id) "
                 "from temp.m_captures")

    def remapped(table: str, **maps: str) -> tuple[str, str]:
        """The target's column list, and the select of it from the staging table ``s``, with the
        columns named in ``maps`` read through that map."""
        cols = _columns(conn, "main", table)
        select = [f"(select new_id from temp.{maps[c]} m where m.src = s.src and m.old_id = s.{c})" if c in maps
                  else f"s.{c}" for c in cols]
        return ", ".join(cols), ", ".join(select)

    cols, select = remapped("crawls", id="crawl_map")
    conn.execute(f"insert into main.crawls ({cols}) select {select} from temp.m_crawls s order by 1")
    cols, select = remapped("captures", id="capture_map", crawl_id="crawl_map")
    conn.execute(f"insert into main.captures ({cols}) select {select} from temp.m_captures s order by 1")

    # One row per article: the newest capture of it, or the newest finding that it is gone.
    conn.execute("create temp table winners as select src, url, src_rowid from (select src, url, src_rowid, "
                 "row_number() over (partition by url order by max(coalesce(captured_at, ''), coalesce(gone_at, '')) "
                 "desc, src desc) as rank from temp.m_articles) where rank = 1")
    conn.execute("create index temp.winners_src on winners (src, url)")
    cols, select = remapped("articles", capture_id="capture_map")
    conn.execute(f"insert into main.articles ({cols}) select {select} from temp.m_articles s "
                 "join temp.winners w on w.src = s.src and w.url = s.url order by s.url")
    conn.execute("insert into main.articles_fts (rowid, title, text) select a.rowid, f.title, f.text "
                 "from main.articles a join temp.winners w on w.url = a.url "
                 "join temp.m_fts f on f.src = w.src and f.src_rowid = w.src_rowid")
    for kind in _NAMES:
        chosen = "temp.m_names n join temp.winners w on w.src = n.src and w.url = n.url"
        conn.execute(f"insert or ignore into main.{kind} (name) select distinct n.name from {chosen} "
                     "where n.kind = ?", [kind])
        conn.execute(f"insert or ignore into main.articles_{kind} (articles_id, {kind}_id) select n.url, t.id "
                     f"from {chosen} join main.{kind} t on t.name = n.name where n.kind = ?", [kind])

    names = [c for c in _columns(conn, "main", "article_versions") if c != "id"]
    values = ["(select new_id from temp.capture_map m where m.src = v.src and m.old_id = v.capture_id)"
              if c == "capture_id" else f"v.{c}" for c in names]
    conn.execute(f"insert into main.article_versions ({', '.join(names)}) select {', '.join(values)} from "
                 "(select *, lag(content_hash) over (partition by url order by captured_at, src, id) as previous "
                 "from temp.m_article_versions) v where v.previous is null or v.previous != v.content_hash "
                 "order by v.captured_at, v.src, v.id")

    conn.execute("insert into main.links (from_url, to_url, kind, crawl_id) select from_url, to_url, kind, "
                 "max((select new_id from temp.crawl_map m where m.src = l.src and m.old_id = l.crawl_id)) "
                 "from temp.m_links l group by from_url, to_url, kind")
    cols = ", ".join(_columns(conn, "main", "feed_entries"))
    conn.execute(f"insert into main.feed_entries ({cols}) select {cols} from (select f.*, row_number() over "
                 "(partition by url order by (select max(new_id) from temp.crawl_map m where m.src = f.src) desc, "
                 "f.src desc) as rank from temp.m_feed_entries f) where rank = 1")
    # Every capture of a URL shows the article the newest of them showed, as a crawl leaves it.
    conn.execute("update main.captures set article_url = (select c.article_url from main.captures c "
                 "where c.url = captures.url and c.article_url is not null order by c.id desc limit 1) "
                 "where url in (select url from main.captures where article_url is not null)")


def _renumber_earlier_merges(conn: sqlite3.Connection) -> None:
    """A source made by a merge has its own merge row, naming its sources' crawls by id: by their
    new ids now."""
    for src, new_id, settings in conn.execute(
            "select c.src, m.new_id, c.settings from temp.m_crawls c join temp.crawl_map m on m.src = c.src "
            "and m.old_id = c.id where c.finish_reason = ?", [MERGED]).fetchall():
        try:
            recorded = json.loads(settings or "{}")
        except ValueError:
            continue
        for entry in recorded.get("sources", []) if isinstance(recorded, dict) else []:
            entry["crawls"] = [row[0] for old in entry.get("crawls", []) for row in conn.execute(
                "select new_id from temp.crawl_map where src = ? and old_id = ?", [src, old])]
        conn.execute("update main.crawls set settings = ? where id = ?",
                     [json.dumps(recorded, ensure_ascii=False, sort_keys=True), new_id])


def merge_databases(db: sqlite_utils.Database, sources: list[Path], record: dict) -> int:
    """Fill the empty database ``db`` from the archive.db files ``sources`` (each at the current
    schema), and add ``record``, the crawls row of the merge itself: its settings' ``sources`` get
    the new ids of each source's crawls, its stats what the merged database holds. Returns its id."""
    conn = db.conn
    _create_staging(conn)
    for number, source in enumerate(sources):
        conn.execute("attach database ? as src", [str(source)])
        try:
            with conn:
                _stage(conn, number)
        finally:
            conn.execute("detach database src")
    with conn:
        _write_merged(conn)
        _renumber_earlier_merges(conn)
        crawl_ids: dict[int, list[int]] = {}
        for src, new_id in conn.execute("select src, new_id from temp.crawl_map order by new_id"):
            crawl_ids.setdefault(src, []).append(new_id)
        settings = json.loads(record.get("settings") or "{}")
        for entry, number in zip(settings.get("sources", []), range(len(sources)), strict=False):
            entry["crawls"] = crawl_ids.get(number, [])
        stats = {f"arshif/merge/{table}": conn.execute(f"select count(*) from main.{table}").fetchone()[0]
                 for table in ("crawls", "captures", "articles", "article_versions", "links")}
        stats["arshif/merge/sources"] = len(sources)
        cursor = conn.execute("insert into main.crawls (start_url, started_at, finished_at, finish_reason, settings, "
                              "stats) values (?, ?, ?, ?, ?, ?)",
                              [record.get("start_url"), record["started_at"],
                               datetime.now(timezone.utc).isoformat(timespec="seconds"), MERGED,
                               json.dumps(settings, ensure_ascii=False, sort_keys=True),
                               json.dumps(stats, sort_keys=True)])
    for table in (*(f"m_{t}" for t in _STAGED), "m_names", "m_fts", "crawl_map", "capture_map", "winners"):
        conn.execute(f"drop table temp.{table}")
    assert cursor.lastrowid is not None
    return cursor.lastrowid
