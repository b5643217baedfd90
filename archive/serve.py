"""``arshif serve``: Datasette over ``OUT/archive.db``, read-only, with Arshif's metadata. It reads
the live database, so a crawl into the same folder shows up without a restart.

The metadata (titles in Arabic and English, column descriptions, facets, canned queries) is
written next to the database as ``datasette-metadata.json`` so that a plain ``datasette`` command
can use it too; the Arabic search and RTL display come from the plugin (``datasette_plugin.py``),
registered through the package's ``datasette`` entry point.
"""

from __future__ import annotations

import errno
import ipaddress
import json
import os
import socket
import sqlite3
import sys
import time
import urllib.error
import urllib.request
import webbrowser
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
               "where published is null and coalesce(published_raw, '') != '' order by url",
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
                "captures": {"description": "Every fetch, with the WARC file, offset and record id of its record, "
                                            "and the article it shows (article_url).",
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


def datasette_command(out: Path, port: int, host: str = "127.0.0.1") -> list[str]:
    db_path, meta_path = prepare(out)
    # Not immutable (-i): Datasette reads the WAL database like any reader, so a crawl into the same
    # folder shows up without a restart (an immutable open gives stale counts, then "malformed").
    return [sys.executable, "-m", "datasette", "serve", str(db_path), "-h", host, "-p", str(port),
            "--metadata", str(meta_path), "--setting", "truncate_cells_html", "400"]


def is_loopback(host: str) -> bool:
    """True when every address ``host`` names is this machine's loopback (127.0.0.0/8, ::1)."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return False
    return all(ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback for info in infos)


def check_port(port: int, what: str, error: type[Exception] = ServeError, host: str = "127.0.0.1") -> None:
    """Fail with one line (``error``), before anything starts, when ``host:port`` cannot be listened on."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except OSError as exc:
        raise error(f"cannot listen on {host}: {exc.strerror}") from None
    with socket.socket(family) as s:
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise error(f"port {port} is already in use on {host}: start {what} on another with --port") from None
            raise error(f"cannot listen on {host} port {port}: {exc.strerror}") from None


def url_of(host: str, port: int, path: str = "/") -> str:
    """The URL a browser on this machine uses for a server bound to ``host``."""
    if host in ("0.0.0.0", "::", ""):  # every interface: this machine reaches it on loopback
        host = "127.0.0.1"
    return f"http://{f'[{host}]' if ':' in host else host}:{port}{path}"


def open_when_ready(url: str, timeout: float = 60.0) -> None:
    """In a child process: wait until ``url`` answers, open it in the user's browser, and exit.

    The parent goes on to become Datasette (exec); the child outlives it by at most ``timeout``."""
    if os.fork():
        return
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=5):
                    break
            except urllib.error.HTTPError:  # an answer all the same
                break
            except OSError:
                time.sleep(0.2)
        else:
            os._exit(1)
        webbrowser.open(url)
    finally:
        os._exit(0)


def run_datasette(out: Path, port: int, host: str = "127.0.0.1", open_browser: bool = False) -> None:
    command = datasette_command(out, port, host)
    if not is_loopback(host):
        print(f"warning: listening on {host}, not on loopback: anyone who can reach this machine can read the archive",
              file=sys.stderr, flush=True)
    check_port(port, "serve", host=host)
    url = url_of(host, port, "/archive/articles")
    print(f"Datasette: {url}", flush=True)
    if open_browser:
        open_when_ready(url)
    # Datasette takes this process's place: Ctrl-C and SIGTERM reach it, no child is left behind.
    os.execv(command[0], command)
