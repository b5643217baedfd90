"""The WARC files, the archive's source of truth: writing and reading records (``records``), the
content codings their readers undo (``codings``), and indexing and packaging them as CDXJ and WACZ
(``package``)."""

from . import codings  # noqa: F401 - registers the br and zstd decoders with warcio
from .package import PackageError, warc_files, write_cdxj, write_wacz
from .records import (
                      REVISIT_IDENTICAL,
                      REVISIT_NOT_MODIFIED,
                      HttpExchange,
                      Original,
                      RecordRef,
                      WarcError,
                      WarcWriter,
                      check_warc,
                      iter_records,
                      payload_digest,
                      read_record,
                      repair_open_file,
                      warc_timestamp,
)

__all__ = ["PackageError", "warc_files", "write_cdxj", "write_wacz", "REVISIT_IDENTICAL", "REVISIT_NOT_MODIFIED",
           "HttpExchange", "Original", "RecordRef", "WarcError", "WarcWriter", "check_warc", "iter_records",
           "payload_digest", "read_record", "repair_open_file", "warc_timestamp"]
