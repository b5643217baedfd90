"""Look at what was archived: one URL's record (``arshif show``) and the articles as files
(``arshif export``)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, TextIO

from warcio.recordloader import ArcWarcRecord

from .pages.urls import url_forms
from .replaylinks import current_replay_url
from .store import ArchiveDB
from .warc import read_record

EXPORT_COLUMNS = ["url", "title", "author", "published", "published_raw", "modified", "lang", "categories", "tags",
                  "description", "word_count", "captured_at", "replay_url", "text"]


class ShowError(Exception):
    pass


def show_capture(out: Path, url: str, *, with_body: bool = False) -> str:
    with ArchiveDB.existing(out) as db:
        # As pasted: Arabic (IRI) form, lower-case %xx, no trailing slash, tracking parameters, a
        # fragment, or a form the article was fetched under that is not the one it is stored under.
        forms = url_forms(url)
        article = next(filter(None, map(db.article, forms)), None)
        # A revisit holds headers only: show the record it refers to as well, where the body is.
        chain = next(filter(None, map(db.capture_chain, forms)), [])
        if not chain and article is not None and article["capture_id"] is not None:
            chain = db.capture_chain(article["url"], capture_id=article["capture_id"])  # stored under another form
        if not chain:
            raise ShowError(f"{url} is not in this archive")
        fetched_as = list(dict.fromkeys(c["url"] for c in db.article_captures(article["url"]))) if article else []
    lines = []
    for i, row in enumerate(chain):
        record = _read(out, row)
        heading = f"# {row['warc_filename']} @ {row['warc_offset']}" + (" (the record it refers to)" if i else "")
        lines += ([""] if i else []) + [heading, record.rec_headers.to_str().rstrip()]
        if record.http_headers:
            lines += ["", record.http_headers.to_str().rstrip()]
        if with_body and record.rec_type == "response":
            lines += ["", record.content.decode("utf-8", "replace")]
    if article is not None:
        lines += ["", f"# article: {article['title']}", f"url: {article['url']}",
                  *([f"fetched as: {' '.join(fetched_as)}"] if fetched_as and fetched_as != [article["url"]] else []),
                  f"author: {article['author']}",
                  f"published: {article['published']} (printed: {article['published_raw']})",
                  f"replay: {current_replay_url(article['replay_url'], out)}", "", article["text"] or ""]
    return "\n".join(lines)


def _read(out: Path, row: dict[str, Any]) -> ArcWarcRecord:
    path = out / "warc" / row["warc_filename"]
    try:
        return read_record(path, row["warc_offset"])
    except Exception as exc:  # missing file, bad offset, damaged gzip: one line for the user
        raise ShowError(f"cannot read {path} at offset {row['warc_offset']}: {exc}") from None


def export_articles(out: Path, stream: TextIO, fmt: str) -> int:
    count = 0
    with ArchiveDB.existing(out) as db:
        rows = db.iter_articles(EXPORT_COLUMNS)
        if fmt == "csv":
            stream.write("\ufeff")  # a BOM: spreadsheet tools then read the file as UTF-8 and show Arabic
            writer = csv.writer(stream)
            writer.writerow(EXPORT_COLUMNS)
            for row in rows:
                writer.writerow([row[c] for c in EXPORT_COLUMNS])
                count += 1
        else:
            for row in rows:
                for key in ("categories", "tags"):
                    row[key] = json.loads(row[key]) if row[key] else []
                stream.write(json.dumps(row, ensure_ascii=False) + "\n")
                count += 1
    return count
