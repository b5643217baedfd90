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
import socket
import sys
import uuid
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from archive.crawl import (
    WORKERS,
    CrawlError,
    CrawlSummary,
    check_out,
    check_url,
    last_crawl_state,
    lock_folder,
    lock_worker,
    summary,
)
from archive.jobs import Job
from archive.pages.profile import Profile, ProfileError
from archive.store import ArchiveDB

from .jobs import REDIS_LOST
from .run import ArchiveRun
from .settings import ARSHIF_JOB_LEASE as JOB_LEASE
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
    try:
        scrapy_settings, run, log_file = _run_spider(out, {"url": url}, overrides, verbose)
        if run is not None and not run.fatal and scrapy_settings.getbool("ARSHIF_REPORT"):
            _write_report(out)  # after the reactor has stopped: matplotlib takes seconds, none of them its
    finally:
        lock.close()
    result = _result(out, run, log_file)
    if resume and result.finish_reason == "finished" and jobdir.exists():
        shutil.rmtree(jobdir)  # done: the next crawl starts a new frontier
    return result


def job_spec(urls: list[str], out: str | os.PathLike, *, settings: dict | None = None, allow_domains: Iterable[str] = (),
             profile: str | None = None, full: bool = False) -> dict[str, Any]:
    """What every worker of a new job crawls with (kept in Redis with the job): the start URLs
    checked, the ``-s`` settings checked, and the job's mode, decided by the seeding worker's folder."""
    urls = [check_url(url) for url in urls]
    overrides = dict(settings or {})
    for warning in check_settings(overrides):
        print(f"warning: {warning}", file=sys.stderr)
    if profile:
        try:
            Profile.load(profile)
        except ProfileError as exc:
            raise CrawlError(str(exc)) from None
        overrides["ARSHIF_PROFILE"] = str(Path(profile).resolve())
    if allow_domains:
        overrides["ARSHIF_ALLOW_DOMAINS"] = list(allow_domains)
    if full:
        overrides["ARSHIF_FULL"] = True
    mode = "full" if full else "incremental" if last_crawl_state(Path(out)) else "first"
    overrides["ARSHIF_JOB_RUN"] = uuid.uuid4().hex  # this job, whichever its name: its workers' crawls are one
    return {"urls": urls, "settings": overrides, "mode": mode}


def crawl_job(job: Job, redis_url: str, out: str | os.PathLike, *, seed: bool, verbose: bool = False) -> CrawlSummary:
    """Work on ``job`` as one of its workers, into ``out`` (a folder of its own, or shared with
    other workers on this machine), until the whole job is done. The seeding worker (``arshif
    crawl --redis``) queues the start requests first."""
    spec = job.settings
    out = check_out(out)
    lock = lock_folder(out, shared=True)
    worker = f"{socket.gethostname()}-{os.getpid()}"
    worker_lock = lock_worker(out, worker)
    with ArchiveDB(out / "archive.db"):
        pass  # schema migrations once, before Scrapy starts (workers starting together wait on the lock)
    overrides = dict(spec.get("settings", {}))
    overrides.update({
        "ARSHIF_OUT": str(out), "ARSHIF_JOB": job.name, "ARSHIF_REDIS_URL": redis_url, "ARSHIF_WORKER": worker,
        "ARSHIF_JOB_SEED": seed, "ARSHIF_JOB_MODE": spec.get("mode", "first"),
        # scrapy-redis: the job's frontier and seen set, kept when a worker stops
        "SCHEDULER": "crawler.jobs.JobScheduler", "DUPEFILTER_CLASS": "crawler.jobs.JobDupeFilter",
        "SCHEDULER_QUEUE_CLASS": "crawler.jobs.HostQueue", "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_KEY": job.queue_key, "SCHEDULER_DUPEFILTER_KEY": job.seen_key, "REDIS_URL": redis_url,
        "ARSHIF_REPORT": False,  # drawn once for the whole archive: `arshif report OUT`
    })
    overrides.pop("JOBDIR", None)
    try:
        _, run, log_file = _run_spider(out, {"urls": job.urls}, overrides, verbose)
    finally:
        worker_lock.close()
        (out / WORKERS / f"{worker}.lock").unlink(missing_ok=True)
        lock.close()
    result = _result(out, run, log_file)
    if result.finish_reason == REDIS_LOST:
        raise CrawlError(f"lost the job's Redis at {redis_url} for longer than a lease ({overrides.get('ARSHIF_JOB_LEASE', JOB_LEASE)} s): "
                         "this worker stopped, what it archived is kept; start Redis again (with its data) and "
                         f"`arshif worker --job {job.name}` continues the job")
    return result


def _run_spider(out: Path, spider_args: dict[str, Any], overrides: dict[str, Any], verbose: bool
                ) -> tuple[Settings, ArchiveRun | None, logging.FileHandler]:
    """Run the blog spider in this process until it closes: (settings, its ArchiveRun, its log)."""
    if not verbose:  # Scrapy's own INFO lines (settings, middleware lists, stats) only with --verbose
        overrides.setdefault("LOG_LEVEL", "WARNING")
    scrapy_settings = project_settings(overrides)
    _show_progress()

    process = CrawlerProcess(scrapy_settings)
    crawler = process.create_crawler("blog")
    process.crawl(crawler, **spider_args)
    if not verbose:  # after crawl(): Scrapy installs its root handler there
        for handler in logging.root.handlers:
            handler.setFormatter(_OneLine(handler.formatter))
    log_file = _log_to_file(out)
    try:
        process.start()
    finally:
        _stop_logging_to(log_file)
    return scrapy_settings, getattr(crawler, "_arshif_run", None), log_file


def _result(out: Path, run: ArchiveRun | None, log_file: logging.FileHandler) -> CrawlSummary:
    """This crawl's summary (a worker's own crawl in a shared folder), or the one line of a failure."""
    if run is not None and run.fatal:  # a full disk: what was archived is whole, the rest comes next time
        raise CrawlError(f"{run.fatal}; the WARC files end at their last whole record: free some space and "
                         "run the same command again to resume")
    result = summary(out, run.crawl_id if run is not None else None)
    result.log_file = log_file.baseFilename
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


