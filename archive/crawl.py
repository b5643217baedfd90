"""Run a crawl from Python: the library side of ``arshif crawl``.

    from archive.crawl import crawl
    summary = crawl("https://example.blog/", "out", settings={"DOWNLOAD_DELAY": 1})

Scrapy's reactor can be started once per process, so ``crawl`` runs once per process too (the CLI
and the tests start a process per crawl).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


from .db import ArchiveDB


class CrawlError(Exception):
    """Bad input for a crawl: the message is meant for the user, on one line."""


@dataclass
class CrawlSummary:
    crawl_id: int
    start_url: str
    finish_reason: str | None
    pages: int
    articles: int
    failures: int
    warc_bytes: int
    seconds: float
    responses: int = 0  # responses received, cached ones included
    revisits: int = 0  # captures that repeat an earlier one (unchanged payload or 304)

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0

    def lines(self) -> list[str]:
        return [f"pages captured : {self.pages}" + (f" ({self.revisits} unchanged since an earlier capture)"
                                                    if self.revisits else ""),
                f"articles       : {self.articles}",
                f"failed fetches : {self.failures}",
                f"WARC bytes     : {self.warc_bytes:,}",
                f"time           : {self.seconds:.1f} s ({self.pages_per_second:.1f} pages/s)"]


def check_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CrawlError(f"not an http(s) URL: {url!r}")
    try:
        parts.port
    except ValueError:
        raise CrawlError(f"bad port in URL: {url!r}") from None
    return url.strip()


def check_out(out: str | os.PathLike) -> Path:
    path = Path(out)
    try:
        (path / "warc").mkdir(parents=True, exist_ok=True)
        probe = path / ".arshif-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise CrawlError(f"cannot write to output folder {str(path)!r}: {exc.strerror or exc}") from None
    return path


def project_settings(overrides: dict | None = None):
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


def crawl(url: str, out: str | os.PathLike, *, settings: dict | None = None, allow_domains=(), profile: str | None = None,
          verbose: bool = False, full: bool = False, resume: bool = True) -> CrawlSummary:
    """Crawl ``url`` into ``out``. Into a folder that holds earlier crawls the crawl is incremental
    (conditional requests, paging stops at known articles) unless ``full``. With ``resume`` the
    frontier lives in ``out/job`` (Scrapy's JOBDIR): a crawl stopped with Ctrl-C continues where it
    stopped; after a crash (kill -9, power loss) the frontier on disk cannot be trusted, so the next
    run walks the blog again, incrementally, and so still reaches every URL."""
    url = check_url(url)
    out = check_out(out)
    lock = _lock(out)  # held until this process ends
    overrides = dict(settings or {})
    overrides["ARSHIF_OUT"] = str(out)
    if full:
        overrides["ARSHIF_FULL"] = True
    jobdir = out / "job"
    if resume:
        if _last_crawl_state(out) == "crashed" and jobdir.exists():
            shutil.rmtree(jobdir)
        overrides.setdefault("JOBDIR", str(jobdir))
    if allow_domains:
        overrides["ARSHIF_ALLOW_DOMAINS"] = list(allow_domains)
    if profile:
        from .profile import Profile, ProfileError

        try:
            Profile.load(profile)
        except ProfileError as exc:
            raise CrawlError(str(exc)) from None
        overrides["ARSHIF_PROFILE"] = str(profile)
    if not verbose:  # Scrapy's own INFO lines (settings, middleware lists, stats) only with --verbose
        overrides.setdefault("LOG_LEVEL", "WARNING")
    scrapy_settings = project_settings(overrides)
    _show_progress()

    from scrapy.crawler import CrawlerProcess

    process = CrawlerProcess(scrapy_settings)
    process.crawl("blog", url=url)
    if not verbose:  # after crawl(): Scrapy installs its root handler there
        for handler in logging.root.handlers:
            handler.addFilter(_one_line)
    process.start()
    del lock
    result = summary(out)
    if resume and result.finish_reason == "finished" and jobdir.exists():
        shutil.rmtree(jobdir)  # done: the next crawl starts a new frontier
    return result


def _lock(out: Path):
    """One crawl at a time per output folder: a second one would interleave WARC files and rows."""
    fh = open(out / ".crawl.lock", "w")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        raise CrawlError(f"another crawl is writing to {out}") from None
    return fh


def _last_crawl_state(out: Path) -> str | None:
    if not (out / "archive.db").exists():
        return None
    db = ArchiveDB(out / "archive.db")
    try:
        return db.last_crawl_state()
    finally:
        db.close()


def _one_line(record: logging.LogRecord) -> bool:
    """Without --verbose, errors are one line: the traceback stays out of the user's terminal."""
    record.exc_info = None
    record.exc_text = None
    return True


def _show_progress() -> None:
    """Arshif's progress lines go to stderr whatever Scrapy's LOG_LEVEL is."""
    logger = logging.getLogger("arshif")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s arshif: %(message)s", "%H:%M:%S"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def summary(out: str | os.PathLike, crawl_id: int | None = None) -> CrawlSummary:
    """The figures of a crawl (the last one in ``out`` by default), from archive.db."""
    with sqlite3.connect(Path(out) / "archive.db") as conn:
        query = "select id, start_url, finish_reason, stats from crawls " + (
            "where id = ?" if crawl_id else "order by id desc limit 1")
        row = conn.execute(query, (crawl_id,) if crawl_id else ()).fetchone()
    if row is None:
        raise CrawlError(f"no crawl recorded in {out}")
    stats = json.loads(row[3] or "{}")
    return CrawlSummary(row[0], row[1], row[2], stats.get("arshif/captures", 0), stats.get("arshif/articles", 0),
                        stats.get("arshif/failures", 0), stats.get("arshif/warc_bytes", 0),
                        float(stats.get("elapsed_time_seconds", 0.0)), stats.get("response_received_count", 0),
                        stats.get("arshif/revisits", 0))
