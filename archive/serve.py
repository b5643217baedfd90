"""``arshif serve``: Datasette over ``OUT/archive.db``, read-only, with Arshif's metadata. It reads
the live database, so a crawl into the same folder shows up without a restart.

The metadata (titles in Arabic and English, column descriptions, facets, canned queries) is
written next to the database as ``datasette-metadata.json`` so that a plain ``datasette`` command
can use it too; the Arabic search and RTL display come from the plugin (``datasette_plugin.py``),
registered through the package's ``datasette`` entry point.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import sys
from pathlib import Path

from .store import ArchiveDB, StoreError


class ServeError(Exception):
    pass


COLUMNS = {
    "url": "The article's URL as crawled",
    "title": "Title (العنوان)",
    "author": "Author(s), separated by ';' (الكاتب)",
    "published": "Publication date, ISO 8601, from the most reliable source on the page",
    "published_raw": "The publication date exactly as printed on the page",
    "published_source": "Where `published` came from: json-ld, meta, <time datetime>, text",
    "published_calendar": "Calendar the date was printed in: gregorian or hijri",
    "modified": "Last modification date, ISO 8601, where the page shows one",
    "lang": "Language declared by the page",
    "categories": "Categories (JSON list)",
    "tags": "Tags (JSON list)",
    "text": "Main text, without share, related-articles, comment and navigation blocks (النص)",
    "word_count": "Words in text",
    "related": "URLs listed under the related-articles block (JSON list)",
    "capture_id": "The capture this row was extracted from (captures table)",
    "captured_at": "WARC-Date of that capture",
    "replay_url": "Where to see the archived page (arshif replay)",
    "content_hash": "SHA-256 of title and text; changes when the article changes",
    "published_year": "Year of publication", "published_month": "Month of publication (YYYY-MM)",
    "status": "live, or gone when the page later answered 404/410",
}

QUERIES = {
    "search": {
        "title": "بحث في المقالات · Search articles",
        "description": "Arabic-aware full-text search, best matches first: harakat, alef forms, ة/ه, ى/ي, "
                       "prefixes (ال، و، ب) and common suffixes (plurals, ة) do not matter.",
        "hide_sql": True,
        "sql": "select a.url, a.title, a.author, a.published, arabic_snippet(a.text, :q) as snippet, "
               "round(bm25(articles_fts), 3) as rank from articles_fts join articles a on a.rowid = articles_fts.rowid "
               "where articles_fts match arabic_query(:q) order by rank limit 100",
    },
    "articles_per_month": {"title": "المقالات شهريًا · Articles per month", "sql": "select * from articles_per_month"},
    "related_graph": {
        "title": "شبكة المقالات ذات الصلة · Related-articles graph of one article",
        "sql": "select 'links to' as direction, l.to_url as url, a.title from links l left join articles a on a.url = l.to_url "
               "where l.from_url = :url and l.kind = 'related' union all "
               "select 'linked from', l.from_url, a.title from links l left join articles a on a.url = l.from_url "
               "where l.to_url = :url and l.kind = 'related'",
    },
    "unparsed_dates": {
        "title": "تواريخ لم تُقرأ · Articles whose date could not be parsed",
        "sql": "select url, title, published_raw, published_source from articles "
               "where published is null order by url",
    },
}


def metadata() -> dict:
    return {
        "title": "أرشيف · Arshif archive",
        "description_html": "<p dir=\"rtl\">مقالات مؤرشفة من المدونات العربية، مع النص الكامل والبيانات الوصفية ومصدر كل نسخة.</p>"
                            "<p>Articles archived from Arabic blogs: full text, metadata, and the WARC record behind each row.</p>",
        "databases": {"archive": {
            "tables": {
                "articles": {
                    "description": "One row per article (مقال). Search with any spelling.",
                    "fts_table": "articles_fts", "fts_pk": "rowid", "sort_desc": "published", "label_column": "title",
                    "facets": ["author", {"array": "categories"}, {"array": "tags"}, "published_year", "published_month",
                               "status"],
                    "columns": COLUMNS,
                },
                "captures": {"description": "Every fetch, with the WARC file, offset and record id of its record.",
                             "sort_desc": "id"},
                "links": {"description": "Links between pages and how each was classified."},
                "article_versions": {"description": "Each distinct content an article has had, capture by capture."},
                "articles_fts": {"hidden": True},
                "_sqlite_migrations": {"hidden": True},
            },
            "queries": QUERIES,
        }},
    }


def prepare(out: Path) -> tuple[Path, Path]:
    db_path = out / "archive.db"
    if not db_path.exists():
        raise ServeError(f"no archive.db in {out}")
    try:
        ArchiveDB(db_path).close()  # pending migrations applied to an older folder
    except (StoreError, sqlite3.Error) as exc:
        raise ServeError(f"cannot open {db_path}: {exc}") from None
    meta_path = out / "datasette-metadata.json"
    meta_path.write_text(json.dumps(metadata(), ensure_ascii=False, indent=2), encoding="utf-8")
    return db_path, meta_path


def datasette_command(out: Path, port: int) -> list[str]:
    db_path, meta_path = prepare(out)
    # Not immutable (-i): Datasette reads the WAL database like any reader, so a crawl into the same
    # folder shows up without a restart (an immutable open gives stale counts, then "malformed").
    return [sys.executable, "-m", "datasette", "serve", str(db_path), "-h", "127.0.0.1", "-p", str(port),
            "--metadata", str(meta_path), "--setting", "truncate_cells_html", "400"]


def check_port(port: int, what: str, error: type[Exception] = ServeError) -> None:
    """Fail with one line (``error``), before anything starts, when ``port`` is taken on 127.0.0.1."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            raise error(f"port {port} is already in use on 127.0.0.1: start {what} on another with --port") from None


def run_datasette(out: Path, port: int) -> None:
    command = datasette_command(out, port)
    check_port(port, "serve")
    print(f"Datasette: http://127.0.0.1:{port}/archive/articles", flush=True)
    # Datasette takes this process's place: Ctrl-C and SIGTERM reach it, no child is left behind.
    os.execv(command[0], command)
