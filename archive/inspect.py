"""Look at what was archived: one URL's record (``arshif show``) and the articles as files
(``arshif export``)."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

from .warc import read_record

EXPORT_COLUMNS = ["url", "title", "author", "published", "published_raw", "modified", "lang", "categories", "tags",
                  "description", "word_count", "captured_at", "replay_url", "text"]


class ShowError(Exception):
    pass


def show_capture(out: Path, url: str, *, with_body: bool = False) -> str:
    conn = sqlite3.connect(out / "archive.db")
    conn.row_factory = sqlite3.Row
    try:
        capture = conn.execute("select * from captures where url = ? and warc_filename is not null "
                               "order by id desc limit 1", [url]).fetchone()
        if capture is None:
            raise ShowError(f"{url} is not in this archive")
        article = conn.execute("select * from articles where url = ?", [url]).fetchone()
        # A revisit holds headers only: show the record it refers to as well, where the body is.
        chain = [capture]
        while chain[-1]["refers_to"] and len(chain) < 5:
            original = conn.execute("select * from captures where warc_record_id = ?", [chain[-1]["refers_to"]]).fetchone()
            if original is None:
                break
            chain.append(original)
    finally:
        conn.close()
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
        lines += ["", f"# article: {article['title']}", f"author: {article['author']}",
                  f"published: {article['published']} (printed: {article['published_raw']})", "", article["text"] or ""]
    return "\n".join(lines)


def _read(out: Path, row):
    path = out / "warc" / row["warc_filename"]
    try:
        return read_record(path, row["warc_offset"])
    except Exception as exc:  # missing file, bad offset, damaged gzip: one line for the user
        raise ShowError(f"cannot read {path} at offset {row['warc_offset']}: {exc}") from None


def export_articles(db_path: Path, stream, fmt: str) -> int:
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        rows = conn.execute(f"select {', '.join(EXPORT_COLUMNS)} from articles order by published desc, url")
        count = 0
        if fmt == "csv":
            stream.write("\ufeff")  # a BOM: spreadsheet tools then read the file as UTF-8 and show Arabic
            writer = csv.writer(stream)
            writer.writerow(EXPORT_COLUMNS)
            for row in rows:
                writer.writerow([row[c] for c in EXPORT_COLUMNS])
                count += 1
        else:
            for row in rows:
                item = dict(row)
                for key in ("categories", "tags"):
                    item[key] = json.loads(item[key]) if item[key] else []
                stream.write(json.dumps(item, ensure_ascii=False) + "\n")
                count += 1
        return count
    finally:
        conn.close()
