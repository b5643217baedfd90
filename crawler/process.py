"""Run a crawl in this process with Scrapy's CrawlerProcess: what ``arshif crawl`` runs.

    from crawler.process import crawl
    summary = crawl("https://example.blog/", "out", settings={"DOWNLOAD_DELAY": 1})

Scrapy's reactor can be started once per process, so ``crawl`` runs once per process too (the CLI
and the tests start a process per crawl).
"""

from __future__ import annotations

import difflib
import logging
import os
import re
import shutil
import sys
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from archive.crawl import (
    CrawlError,
    CrawlSummary,
    check_out,
    check_url,
    last_crawl_state,
    lock_folder,
    summary,
)
from archive.pages.profile import Profile, ProfileError

from .settings import DOWNLOAD_MAXSIZE as DEFAULT_MAXSIZE

# Settings that are counts, sizes or delays: never negative (ARSHIF_EXTRACT_WORKERS has -1: in-process).
_NOT_NEGATIVE = re.compile(r"^(CONCURRENT_\w+|DOWNLOAD_(DELAY|TIMEOUT|MAXSIZE|WARNSIZE)|AUTOTHROTTLE_\w+_DELAY|"
                           r"RETRY_TIMES|DEPTH_LIMIT|CLOSESPIDER_\w+|ARSHIF_\w+)$")
_AT_LEAST = {"ARSHIF_EXTRACT_WORKERS": -1}
_BOOLEANS = ("1", "0", "true", "false")  # what Scrapy's getbool accepts


def check_settings(overrides: dict[str, Any]) -> list[str]:
    """Validate ``-s NAME=VALUE`` settings before anything is written: a value of the wrong type or
    a negative count raises CrawlError (one line); an unknown name is returned as a warning with
    the nearest known name (components may read settings Scrapy does not know of)."""
    defaults = project_settings()
    known = {name for name, _ in defaults.items()}
    warnings = []
    for name, value in overrides.items():
        if name not in known:
            near = difflib.get_close_matches(name, known, n=1)
            warnings.append(f"unknown setting {name}" + (f" (did you mean {near[0]}?)" if near else ""))
            continue
        default = defaults.get(name)
        if not isinstance(value, str) or isinstance(default, (dict, list, tuple)) or default is None:
            continue
        if isinstance(default, bool):
            if value.strip().lower() not in _BOOLEANS:
                raise CrawlError(f"{name} must be true or false, got {value!r}")
            continue
        if isinstance(default, (int, float)):
            try:
                number = float(value)  # Scrapy reads several int-valued settings as floats too
            except ValueError:
                raise CrawlError(f"{name} must be a number like {default!r}, got {value!r}") from None
            floor = _AT_LEAST.get(name, 0)
            if _NOT_NEGATIVE.match(name) and number < floor:
                raise CrawlError(f"{name} must be {floor} or more, got {value}")
    return warnings


def project_settings(overrides: dict | None = None) -> Settings:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    settings = get_project_settings()
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


def crawl(url: str, out: str | os.PathLike, *, settings: dict | None = None, allow_domains: Iterable[str] = (),
          profile: str | None = None, verbose: bool = False, full: bool = False, resume: bool = True) -> CrawlSummary:
    """Crawl ``url`` into ``out``. Into a folder that holds earlier crawls the crawl is incremental
    (conditional requests, paging stops at known articles) unless ``full``. With ``resume`` the
    frontier lives in ``out/job`` (Scrapy's JOBDIR): a crawl stopped with Ctrl-C continues where it
    stopped; after a crash (kill -9, power loss) the frontier on disk cannot be trusted, so the next
    run walks the blog again, incrementally, and so still reaches every URL."""
    url = check_url(url)
    for warning in check_settings(dict(settings or {})):
        print(f"warning: {warning}", file=sys.stderr)
    out = check_out(out)
    lock = lock_folder(out)  # held while the crawl runs, released once it has ended
    overrides = dict(settings or {})
    cut = int(overrides.get("ARSHIF_MAX_RESPONSE_SIZE", 0) or 0)
    if "DOWNLOAD_MAXSIZE" not in overrides and cut > DEFAULT_MAXSIZE:  # cut and archived before Scrapy drops it
        overrides["DOWNLOAD_MAXSIZE"] = cut + 1024 * 1024
    overrides["ARSHIF_OUT"] = str(out)
    if full:
        overrides["ARSHIF_FULL"] = True
    jobdir = out / "job"
    if resume:
        if last_crawl_state(out) == "crashed" and jobdir.exists():
            shutil.rmtree(jobdir)
        overrides.setdefault("JOBDIR", str(jobdir))
    if allow_domains:
        overrides["ARSHIF_ALLOW_DOMAINS"] = list(allow_domains)
    if profile:
        try:
            Profile.load(profile)
        except ProfileError as exc:
            raise CrawlError(str(exc)) from None
        overrides["ARSHIF_PROFILE"] = str(profile)
    if not verbose:  # Scrapy's own INFO lines (settings, middleware lists, stats) only with --verbose
        overrides.setdefault("LOG_LEVEL", "WARNING")
    scrapy_settings = project_settings(overrides)
    _show_progress()

    process = CrawlerProcess(scrapy_settings)
    crawler = process.create_crawler("blog")
    process.crawl(crawler, url=url)
    if not verbose:  # after crawl(): Scrapy installs its root handler there
        for handler in logging.root.handlers:
            handler.setFormatter(_OneLine(handler.formatter))
    log_file = _log_to_file(out)
    run = None
    try:
        process.start()
        run = getattr(crawler, "_arshif_run", None)
        if scrapy_settings.getbool("ARSHIF_REPORT") and run is not None and not run.fatal:
            _write_report(out)  # after the reactor has stopped: matplotlib takes seconds, none of them its
    finally:
        lock.close()
        _stop_logging_to(log_file)
    if run is not None and run.fatal:  # a full disk: what was archived is whole, the rest comes next time
        raise CrawlError(f"{run.fatal}; the WARC files end at their last whole record: free some space and "
                         "run the same command again to resume")
    result = summary(out)
    result.log_file = log_file.baseFilename
    if resume and result.finish_reason == "finished" and jobdir.exists():
        shutil.rmtree(jobdir)  # done: the next crawl starts a new frontier
    return result


def _write_report(out: Path) -> None:
    """OUT/report.html, drawn from archive.db once the crawl has recorded its end."""
    from archive.report import write_report  # matplotlib: loaded only when a report is drawn

    try:
        path = write_report(out)
    except Exception as exc:  # the archive is whole whatever happens to its picture: never fail the crawl
        logging.getLogger("arshif").warning("the crawl report was not written: %s", exc)
    else:
        logging.getLogger("arshif").info("report: %s", path)


class _OneLine(logging.Formatter):
    """Without --verbose, errors are one line on the terminal: the traceback goes to the log file
    only (a formatter, not a filter, so the file handler still sees it)."""

    def __init__(self, inner: logging.Formatter | None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info = record.exc_text = record.stack_info = None
        try:
            return self.inner.format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


def _log_to_file(out: Path) -> logging.FileHandler:
    """Every crawl keeps its whole log, INFO and up with tracebacks, in OUT/logs/, whatever the
    terminal shows."""
    logs = out / "logs"
    logs.mkdir(exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = logs / f"crawl-{stamp}.log"
    for n in range(2, 100):  # two crawls in one second (a schedule, a script) keep two logs
        if not path.exists():
            break
        path = logs / f"crawl-{stamp}-{n}.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s [%(name)s] %(levelname)s: %(message)s"))
    logging.root.addHandler(handler)
    logging.getLogger("arshif").addHandler(handler)
    return handler


def _stop_logging_to(handler: logging.FileHandler) -> None:
    logging.root.removeHandler(handler)
    logging.getLogger("arshif").removeHandler(handler)
    handler.close()


def _show_progress() -> None:
    """Arshif's progress lines go to stderr whatever Scrapy's LOG_LEVEL is."""
    logger = logging.getLogger("arshif")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s arshif: %(message)s", "%H:%M:%S"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


