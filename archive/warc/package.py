"""Index and package a crawl's WARC files: a CDXJ index (cdxj-indexer) and a WACZ 1.1.1 file.

The WACZ is streamed to disk: each WARC is copied into the zip in chunks while its SHA-256 is
computed, so packaging a 10 GB crawl needs no more memory than a 1 MB one. WARCs are stored, not
deflated (they are gzip already, and replay tools seek inside them).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO

from cdxj_indexer.main import CDXJIndexer

from .. import __version__
from .records import WarcError, check_warc

INDEXED_RECORDS = "response,revisit,resource"  # not metadata: replay must never serve those as the page
CHUNK = 1 << 20


class PackageError(Exception):
    pass


def warc_files(out: str | Path, *, check: bool = False) -> list[Path]:
    """The folder's WARC files; with ``check``, each read through first (a damaged one raises)."""
    files = sorted((Path(out) / "warc").glob("*.warc.gz"))
    if not files:
        raise PackageError(f"no WARC files in {Path(out) / 'warc'}")
    if check:
        for path in files:
            try:
                check_warc(path)
            except WarcError as exc:
                raise PackageError(f"damaged WARC file, not indexed: {exc}") from None
    return files


def write_cdxj(out: str | Path, dest: str | Path | None = None) -> Path:
    """Write a sorted CDXJ index of every WARC in ``out/warc`` (default ``out/index.cdxj``)."""
    dest = Path(dest) if dest else Path(out) / "index.cdxj"
    files = warc_files(out, check=True)  # cdxj-indexer would index a damaged file without a word
    with open(dest, "w", encoding="utf-8") as fh:
        _cdxj(files, fh)
    return dest


def page_entries(pages: list[dict]) -> list[dict]:
    """WACZ page entries for pages given as {url, title, ts}: those with a capture time, numbered."""
    return [{"id": f"page-{i}", "url": p["url"], "ts": p["ts"], "title": p["title"]}
            for i, p in enumerate(pages, 1) if p["ts"]]


def declared_size(size: int) -> int:
    """The size to open a stored zip entry with, so that it gets a Zip64 local header exactly when
    its central record will have one (size over ``ZIP64_LIMIT``). zipfile opens an entry as Zip64
    from 95% of the limit up, a margin for deflate that stored entries never need: a size in that
    margin is declared just under it (zipfile records the real size when the entry is closed)."""
    if size > zipfile.ZIP64_LIMIT:
        return size
    return min(size, int(zipfile.ZIP64_LIMIT / 1.05))


class _HashingZipEntry:
    """Write one zip entry of a known size while counting its bytes and SHA-256.

    The local header may carry a Zip64 extra field only when the central directory's record does:
    ReplayWeb.page skips a local header by the length of the central record's extra field when
    that record has none, so a Zip64 field in the local header alone (what ``force_zip64`` writes)
    makes it read the entry 20 bytes early. zipfile lists an entry as Zip64 in the central
    directory when its size is over ``ZIP64_LIMIT`` (or its offset is: then ReplayWeb.page reads
    the local header itself), so that is the size declared when the entry is opened."""

    def __init__(self, zf: zipfile.ZipFile, name: str, size: int):
        self.name, self.sha, self.size = name, hashlib.sha256(), 0
        info = zipfile.ZipInfo(name, date_time=datetime.now(timezone.utc).timetuple()[:6])
        info.file_size = declared_size(size)
        self.fh = zf.open(info, "w")

    def write(self, data: bytes) -> None:
        self.sha.update(data)
        self.size += len(data)
        self.fh.write(data)

    def close(self) -> dict:
        self.fh.close()
        # frictionless wants resource names in lower case
        return {"name": Path(self.name).name.lower(), "path": self.name, "hash": f"sha256:{self.sha.hexdigest()}",
                "bytes": self.size}


def write_wacz(out: str | Path, dest: str | Path, *, pages: list[dict], title: str) -> dict:
    """Package ``out``'s WARC files as a WACZ file at ``dest``, with ``pages`` ({url, title, ts}, the
    archive's articles) as its pages list; return its datapackage."""
    out, dest = Path(out), Path(dest)
    files = warc_files(out, check=True)
    page_list = page_entries(pages)
    resources = []
    tmp = dest.with_name(dest.name + ".part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for path in files:
            entry = _HashingZipEntry(zf, f"archive/{path.name}", path.stat().st_size)
            with open(path, "rb") as fh:
                while chunk := fh.read(CHUNK):
                    entry.write(chunk)
            resources.append(entry.close())
        index = io.StringIO()
        _cdxj(files, index)
        resources.append(_write_small(zf, "indexes/index.cdxj", index.getvalue().encode("utf-8")))
        lines = [json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "All Pages"})]
        lines += [json.dumps(p, ensure_ascii=False) for p in page_list]
        resources.append(_write_small(zf, "pages/pages.jsonl", ("\n".join(lines) + "\n").encode("utf-8")))
        package = {"profile": "data-package", "wacz_version": "1.1.1", "resources": resources,
                   "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                   "software": f"Arshif {__version__}", "title": title}
        if page_list:
            package["mainPageUrl"], package["mainPageDate"] = page_list[0]["url"], page_list[0]["ts"]
        data = json.dumps(package, ensure_ascii=False, indent=2).encode("utf-8")
        _write_small(zf, "datapackage.json", data)
        digest = {"path": "datapackage.json", "hash": f"sha256:{hashlib.sha256(data).hexdigest()}"}
        _write_small(zf, "datapackage-digest.json", json.dumps(digest, indent=2).encode("utf-8"))
    tmp.replace(dest)
    return package


def _write_small(zf: zipfile.ZipFile, name: str, data: bytes) -> dict:
    entry = _HashingZipEntry(zf, name, len(data))
    entry.write(data)
    return entry.close()


def _cdxj(files: list[Path], output: TextIO) -> None:
    CDXJIndexer(output=output, inputs=[str(f) for f in files], sort=True, records=INDEXED_RECORDS).process_all()
