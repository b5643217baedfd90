"""Write and read the crawl's WARC files: the archive's source of truth.

Writing (``WarcWriter``): WARC/1.1, one gzip member per record, files named after the IIPC
convention ``ARSHIF-<timestamp>-<serial>-<host>.warc.gz``, written as ``….warc.gz.open`` and renamed
when closed, rotated at a size limit, each file opened by a ``warcinfo`` record. An HTTP exchange
is stored as a ``response`` record (the response as received: status line, every header, the body
still Content-Encoded) and a ``request`` record that points at it with WARC-Concurrent-To. warcio
computes the block and payload digests; the payload is the entity body as transferred, before any
content decoding, which is what pywb and the dedup index expect. Each record is given its length:
without it warcio copies the payload into a temporary file and hashes it again, a third of the
time a record takes.

Reading (``read_record``, ``iter_records``): random access by offset, and streaming iteration.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import BinaryIO, Iterator

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date, iso_date_to_timestamp
from warcio.warcwriter import WARCWriter

OPEN_SUFFIX = ".open"
# Hop-by-hop framing already undone by the HTTP client: keeping it would make replay tools
# de-chunk a body that is no longer chunked.
_FRAMING_HEADERS = {"transfer-encoding"}


@dataclass
class HttpExchange:
    """One HTTP request and its response, as sent and as received."""

    url: str
    method: str
    target: str  # the request target: path and query
    request_headers: list[tuple[str, str]]
    request_body: bytes
    protocol: str  # "HTTP/1.1"
    status: int
    response_headers: list[tuple[str, str]]
    response_body: bytes  # still Content-Encoded, de-chunked
    ip_address: str | None = None
    fetched_at: datetime | None = None
    payload_digest: str | None = None  # when the caller already has it (see payload_digest()); else warcio computes it


@dataclass
class Original:
    """An earlier capture that a revisit record points at."""

    uri: str
    date: str  # its WARC-Date
    record_id: str
    digest: str


REVISIT_IDENTICAL = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
REVISIT_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"


def payload_digest(body: bytes) -> str:
    """The WARC payload digest of a body as transferred (sha1, base32), as warcio writes it."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


@dataclass
class RecordRef:
    """Where a record landed: enough to seek straight to it later."""

    filename: str
    offset: int
    length: int
    record_id: str
    date: str
    payload_digest: str | None
    record_type: str = "response"


def reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def warc_date(moment: datetime | None = None) -> str:
    """WARC/1.1 date: UTC with microseconds, e.g. 2025-12-25T09:30:00.123456Z."""
    moment = moment or datetime.now(timezone.utc)
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return datetime_to_iso_date(moment, use_micros=True)


def warc_timestamp(warc_date: str) -> str:
    """The 14-digit timestamp of a WARC-Date (2025-12-25T09:30:00.123Z → 20251225093000), as replay
    URLs and CDXJ write it."""
    return iso_date_to_timestamp(warc_date)


class WarcWriter:
    """Appends records to rotating WARC files in ``folder``."""

    def __init__(self, folder: str | os.PathLike, *, prefix: str = "ARSHIF", max_size: int = 10**9,
                 info: dict | None = None, hostname: str | None = None):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.prefix, self.max_size = prefix, max_size
        self.info = info or {}
        self.hostname = hostname or socket.gethostname()
        self.serial = 0
        self._file: BinaryIO | None = None
        self._writer: WARCWriter | None = None
        self._record = BytesIO()  # the record being written, gzipped
        self.filename: str | None = None
        self.bytes_written = 0  # over all files of this writer

    # --- files ----------------------------------------------------------------------------------
    def _open_next(self) -> None:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S%f")[:17]
        self.filename = f"{self.prefix}-{stamp}-{self.serial:05d}-{self.hostname}.warc.gz"
        self.serial += 1
        # Unbuffered: each record goes to the file in one write of its own bytes (see _write).
        self._file = open(self.folder / (self.filename + OPEN_SUFFIX), "xb", buffering=0)
        writer = self._writer = WARCWriter(self._record, gzip=True, warc_version="1.1")
        self._write(writer.create_warcinfo_record(self.filename, self._warcinfo_fields()))

    def _warcinfo_fields(self) -> dict:
        fields = {"software": self.info.get("software", "Arshif"), "hostname": self.hostname,
                  "format": "WARC File Format 1.1",
                  "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"}
        for key, value in self.info.items():
            if key != "software" and value not in (None, ""):
                fields[key] = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
        return fields

    def close(self) -> None:
        """Close the current file and drop its ``.open`` suffix."""
        if self._file is None or self.filename is None:
            return
        self._file.close()
        os.replace(self.folder / (self.filename + OPEN_SUFFIX), self.folder / self.filename)
        self._file = self._writer = None

    def _writer_for_next_record(self) -> WARCWriter:
        if self._file is not None and self._file.tell() >= self.max_size:
            self.close()
        if self._file is None:
            self._open_next()
        assert self._writer is not None
        return self._writer

    def _write(self, record: ArcWarcRecord) -> RecordRef:
        """Append one record. It is built in memory first, then written whole: if the disk is full
        (or any write fails) the file is cut back to its last whole record and the error raised, so
        the file stays valid however the crawl ends."""
        assert self._file is not None and self._writer is not None and self.filename is not None
        try:
            self._writer.write_record(record)
            data = memoryview(self._record.getvalue())
        finally:  # a record that failed to build leaves nothing behind for the next one
            self._record.seek(0)
            self._record.truncate()
        offset = self._file.tell()
        try:
            while data:
                data = data[self._file.write(data) or 0:]
        except OSError:
            os.ftruncate(self._file.fileno(), offset)
            self._file.seek(offset)
            raise
        length = self._file.tell() - offset
        self.bytes_written += length
        headers = record.rec_headers
        return RecordRef(self.filename, offset, length, headers.get_header("WARC-Record-ID"),
                         headers.get_header("WARC-Date"), headers.get_header("WARC-Payload-Digest"),
                         headers.get_header("WARC-Type"))

    # --- records ---------------------------------------------------------------------------------
    def write_exchange(self, exchange: HttpExchange, *, original: Original | None = None,
                       profile: str = REVISIT_IDENTICAL, truncated: str | None = None) -> RecordRef:
        """Write the response record (or, given the ``original`` it repeats, a revisit record),
        then the request record; return the response's place.

        ``truncated`` ("length", "time", "disconnect") marks a body that did not arrive whole.
        """
        writer = self._writer_for_next_record()
        date = warc_date(exchange.fetched_at)
        status_line = f"{exchange.status} {reason_phrase(exchange.status)}".strip()
        headers = [(k, v) for k, v in exchange.response_headers if k.lower() not in _FRAMING_HEADERS]
        http_headers = StatusAndHeaders(status_line, headers, protocol=exchange.protocol)
        warc_headers = {"WARC-Date": date}
        if exchange.ip_address:
            warc_headers["WARC-IP-Address"] = exchange.ip_address
        if truncated:
            warc_headers["WARC-Truncated"] = truncated
        not_modified = original is not None and profile == REVISIT_NOT_MODIFIED
        if original is not None:
            # Headers only: the body is the original's (same digest). A 304's revisit gets no HTTP
            # block at all, so replay tools serve the original's status and headers (pywb does so
            # for a headerless revisit); the 304 as received goes into a metadata record beside it.
            warc_headers["WARC-Refers-To"] = original.record_id
            response = writer.create_revisit_record(exchange.url, original.digest, original.uri, original.date,
                                                    http_headers=None if not_modified else http_headers,
                                                    warc_headers_dict=warc_headers)
            response.rec_headers.replace_header("WARC-Profile", profile)
        else:
            if exchange.payload_digest:  # warcio does not hash the body again when the header is there
                warc_headers["WARC-Payload-Digest"] = exchange.payload_digest
            response = writer.create_warc_record(exchange.url, "response", payload=BytesIO(exchange.response_body),
                                                 length=len(exchange.response_body), http_headers=http_headers,
                                                 warc_headers_dict=warc_headers)
        ref = self._write(response)
        if not_modified:
            received = [f"{exchange.protocol} {status_line}"] + [f"{k}: {v}" for k, v in headers]
            self.write_metadata(exchange.url, ref.record_id, {"http-response": received})
        request = writer.create_warc_record(
            exchange.url, "request", payload=BytesIO(exchange.request_body), length=len(exchange.request_body),
            http_headers=StatusAndHeaders(f"{exchange.method} {exchange.target} {exchange.protocol}",
                                          exchange.request_headers, is_http_request=True),
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": ref.record_id})
        self._write(request)
        return ref

    def write_metadata(self, url: str, concurrent_to: str, fields: dict[str, list[str] | str]) -> RecordRef:
        """A ``metadata`` record (application/warc-fields) about a response, e.g. its outlinks."""
        writer = self._writer_for_next_record()
        lines = []
        for name, values in fields.items():
            for value in [values] if isinstance(values, str) else values:
                lines.append(f"{name}: {value}")
        payload = ("\r\n".join(lines) + "\r\n").encode("utf-8")
        record = writer.create_warc_record(
            url, "metadata", payload=BytesIO(payload), length=len(payload),
            warc_content_type="application/warc-fields",
            warc_headers_dict={"WARC-Date": warc_date(), "WARC-Concurrent-To": concurrent_to})
        return self._write(record)


class WarcError(Exception):
    """A WARC file that cannot be read through: the message names the file and the offset."""


def whole_records(path: str | os.PathLike) -> Iterator[tuple[int, int]]:
    """(offset, length) of each record of a gzipped WARC file, in order, checking that each gzip
    member ends whole (warcio reads a cut-off member without complaint). Raises WarcError at the
    first damaged or unreadable record."""
    path = Path(path)
    offset = 0
    try:
        with open(path, "rb") as fh, open(path, "rb") as raw:
            iterator = ArchiveIterator(fh)
            for _ in iterator:
                offset, length = iterator.get_record_offset(), iterator.get_record_length()  # reads to its end
                raw.seek(offset)
                if not length or not _whole_gzip_member(raw, length):
                    raise WarcError(f"{path.name}: damaged record at offset {offset}")
                yield offset, length
    except WarcError:
        raise
    except Exception as exc:  # warcio and zlib raise several kinds on damaged input
        raise WarcError(f"{path.name}: unreadable after offset {offset}: {str(exc).splitlines()[0][:200]}") from None


def repair_open_file(path: str | os.PathLike) -> tuple[Path, int, int]:
    """Make a ``.warc.gz.open`` file left by a crash whole again and give it its final name.

    Complete records are kept; a record cut off mid-write (and anything after it) is removed.
    Returns (final path, records kept, bytes cut)."""
    path = Path(path)
    size = path.stat().st_size
    good_end, kept = 0, 0
    try:
        for offset, length in whole_records(path):
            good_end, kept = offset + length, kept + 1
    except WarcError:
        pass  # the damaged tail is what gets cut
    if good_end < size:
        with open(path, "r+b") as fh:
            fh.truncate(good_end)
    final = path.with_name(path.name[: -len(OPEN_SUFFIX)]) if path.name.endswith(OPEN_SUFFIX) else path
    if kept == 0:
        path.unlink()
    else:
        os.replace(path, final)
    return final, kept, size - good_end


def check_warc(path: str | os.PathLike) -> int:
    """Read a WARC file through, checking each gzip member ends whole; return its record count."""
    count = sum(1 for _ in whole_records(path))
    if count == 0:
        raise WarcError(f"{Path(path).name}: no WARC records")
    return count


def _whole_gzip_member(fh: BinaryIO, length: int, chunk: int = 1 << 20) -> bool:
    """The next ``length`` bytes of ``fh`` are one whole gzip member: inflated piece by piece, the
    output thrown away, so a 128 MiB body never sits in memory."""
    inflater = zlib.decompressobj(wbits=31)
    try:
        while length > 0:
            data = fh.read(min(length, chunk))
            if not data:
                return False
            length -= len(data)
            while data:
                inflater.decompress(data, chunk)
                data = inflater.unconsumed_tail
    except zlib.error:
        return False
    return inflater.eof


def read_record(path: str | os.PathLike, offset: int) -> ArcWarcRecord:
    """The record at ``offset`` of a WARC file (content read into memory, for small lookups)."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        for record in ArchiveIterator(fh):
            record.content = record.content_stream().read()
            return record
    raise ValueError(f"no WARC record at offset {offset} of {path}")


def iter_records(path: str | os.PathLike, kinds: tuple[str, ...] | None = None) -> Iterator[ArcWarcRecord]:
    """Stream the records of a WARC file (only those of the WARC-Types ``kinds``, if given), each
    with its content read and decoded (``record.body``, Content-Encoding undone) and its place
    (``record.offset``, ``record.length``). warcio knows a record's offset only once the record has
    been read, hence the order here."""
    with open(path, "rb") as fh:
        iterator = ArchiveIterator(fh)
        for record in iterator:
            if kinds is not None and record.rec_type not in kinds:
                continue
            record.body = record.content_stream().read()
            record.offset = iterator.get_record_offset()
            record.length = iterator.get_record_length()
            yield record
