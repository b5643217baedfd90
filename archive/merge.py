"""One archive from several output folders (``arshif merge``): the workers of one job that ran on
different machines, or separate crawls of the same or different blogs.

The WARC files are hard-linked into ``INTO/warc/`` (copied when INTO is on another file system:
a closed WARC file is never written again, so sharing it is safe) and the archive.db files are
merged row by row (``store/merging.py``) rather than rebuilt with ``reindex``: a rebuild would lose
what only the databases hold (each crawl's stats and finish reason, failed fetches, validators for
conditional re-crawls, articles found gone) and re-extract every page. Each WARC file keeps its
name, so every ``(warc_filename, warc_offset)`` stays true and the warcinfo records still name their
own files; two sources with a file of the same name are refused.

Nothing is left half-written: the merge is built in a hidden folder beside INTO and renamed to
INTO only once it is whole. The sources are only read, each under its crawl lock (no crawl writes
to it meanwhile).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from .crawl import CrawlError, lock_folder
from .store import ArchiveDB, StoreError
from .store.database import utc_now


class MergeError(Exception):
    """A merge that cannot be made: the message is meant for the user, on one line."""


@dataclass
class MergeSummary:
    into: Path
    sources: int
    warc_files: int
    linked: int  # WARC files hard-linked; the rest were copied
    warc_bytes: int
    crawls: int  # the sources' crawls
    captures: int  # archived captures
    articles: int
    seconds: float
    copied: list[str] = field(default_factory=list)  # WARC files copied (another file system)


def merge(sources: list[str | Path], into: str | Path) -> MergeSummary:
    """Merge the output folders ``sources`` into the new folder ``into`` (absent or empty)."""
    started = time.monotonic()
    folders = [Path(s) for s in sources]
    into = Path(into)
    _check_into(into, folders)
    for folder in folders:
        _check_source(folder)
    work = _work_folder(into)
    try:
        with ExitStack() as locks:  # no crawl writes to a source while it is read
            copies, warcs = _read_sources(work / ".sources", folders, locks)
            summary = _build(work, folders, warcs, copies)
        _move_into_place(work, into)
    except BaseException as exc:
        shutil.rmtree(work, ignore_errors=True)  # nothing half-written left behind
        if isinstance(exc, (sqlite3.Error, StoreError)):
            raise MergeError(f"nothing merged: {exc}") from None  # one line, the source named
        if isinstance(exc, OSError):
            raise MergeError(f"nothing merged: cannot write {into}: {exc.strerror or exc}") from None
        raise
    summary.into, summary.seconds = into, time.monotonic() - started
    return summary


def _check_into(into: Path, sources: list[Path]) -> None:
    if into.exists() and not into.is_dir():
        raise MergeError(f"{into} is a file: --into must be a new or empty folder")
    resolved = into.resolve()
    seen: dict[Path, Path] = {}
    for folder in sources:
        real = folder.resolve()
        if real in seen:
            raise MergeError(f"{folder} is given twice")
        seen[real] = folder
        if real == resolved or real in resolved.parents:
            raise MergeError(f"{into} is {folder} or inside it: merge into a new folder (the sources are only read)")
        if resolved in real.parents:
            raise MergeError(f"{folder} is inside {into}: merge into a new folder beside the sources")
    if into.is_dir() and any(into.iterdir()):
        raise MergeError(f"{into} is not empty: merge into a new or empty folder")


def _check_source(folder: Path) -> None:
    if not folder.is_dir():
        raise MergeError(f"no folder {folder}")
    if not (folder / "warc").is_dir():
        raise MergeError(f"{folder} is not an Arshif output folder (no warc/ inside)")
    if not (folder / "archive.db").is_file():
        raise MergeError(f"{folder} has no archive.db (`arshif reindex {folder}` rebuilds it from its WARC files)")


def _source_lock(folder: Path) -> IO[str]:
    """The source's crawl lock, held while it is read; a read-only source (a mounted copy) cannot
    be crawled into either, so it goes unlocked."""
    try:
        return lock_folder(folder)
    except CrawlError:
        raise MergeError(f"a crawl is writing to {folder}: merge once it has finished") from None
    except OSError:
        return open(os.devnull)  # noqa: SIM115 - closed with the other locks


def _read_sources(snapshots: Path, folders: list[Path], locks: ExitStack) -> tuple[list[Path], dict[str, Path]]:
    """Each source's archive.db copied into ``snapshots`` (the sources are only read, even an older
    schema is upgraded in the copy), and {WARC file name: the source's file}."""
    snapshots.mkdir()
    copies: list[Path] = []
    warcs: dict[str, Path] = {}
    for number, folder in enumerate(folders):
        locks.enter_context(_source_lock(folder))
        copies.append(snapshots / f"{number}.db")
        ArchiveDB.snapshot(folder / "archive.db", copies[-1])
        for path in _whole_warcs(folder, copies[-1]):
            if path.name in warcs:
                raise MergeError(f"{path.name} is in both {warcs[path.name].parent.parent} and {folder}: "
                                 "the same WARC file twice (was one folder copied from the other?); nothing merged")
            warcs[path.name] = path
    return copies, warcs


def _whole_warcs(folder: Path, copy: Path) -> list[Path]:
    """The source's WARC files, refusing a folder whose archive.db (``copy``) refers to a file that
    is missing or still open (a crashed crawl's)."""
    files = sorted((folder / "warc").glob("*.warc.gz"))
    still_open = sorted((folder / "warc").glob("*.warc.gz.open"))
    if still_open:
        raise MergeError(f"{still_open[0].name} in {folder} is still open: its crawl is running or crashed "
                         f"(`arshif reindex {folder}` repairs it)")
    with ArchiveDB(copy) as db:
        referred = db.warc_filenames()
    missing = sorted(referred - {f.name for f in files})
    if missing:
        raise MergeError(f"{len(missing)} WARC file(s) that {folder / 'archive.db'} refers to are missing from "
                         f"{folder / 'warc'}: {', '.join(missing[:3])}{', …' if len(missing) > 3 else ''}")
    return files


def _work_folder(into: Path) -> Path:
    """A hidden folder beside INTO, on its file system, so that the final rename is atomic."""
    parent = into.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{into.name}.merging-", dir=parent))
        umask = os.umask(0)
        os.umask(umask)
        work.chmod(0o777 & ~umask)  # as a folder made by mkdir, not mkdtemp's private 0700
        return work
    except OSError as exc:
        raise MergeError(f"cannot write to {parent}: {exc.strerror or exc}") from None


def _build(work: Path, folders: list[Path], warcs: dict[str, Path], copies: list[Path]) -> MergeSummary:
    (work / "warc").mkdir()
    linked, copied = 0, []
    for name, path in sorted(warcs.items()):
        try:
            os.link(path, work / "warc" / name)
            linked += 1
        except OSError:  # another file system, or one without hard links
            shutil.copy2(path, work / "warc" / name)
            copied.append(name)
    for number, folder in enumerate(folders, 1):  # each crawl's log, kept beside the others
        if (folder / "logs").is_dir():
            shutil.copytree(folder / "logs", work / "logs" / f"{number}-{folder.resolve().name}")
    record = {"started_at": utc_now(), "settings": json.dumps({"sources": [
        {"folder": str(folder.resolve()), "warc_files": sum(p.parent.parent == folder for p in warcs.values())}
        for folder in folders]})}
    with ArchiveDB(work / "archive.db") as db:
        db.merge_from(copies, record)
        counts = db.counts()
        absent = sorted(db.warc_filenames() - set(warcs))
    shutil.rmtree(work / ".sources")
    if absent:  # cannot happen once every source was checked; a merge that would lie is never kept
        raise MergeError(f"the merged database refers to WARC files not merged: {', '.join(absent[:3])}")
    return MergeSummary(work, len(folders), len(warcs), linked, sum(p.stat().st_size for p in warcs.values()),
                        counts["crawls"], counts["captures"], counts["articles"], 0.0, copied)


def _move_into_place(work: Path, into: Path) -> None:
    for suffix in ("-wal", "-shm"):  # the database was closed whole (checkpointed)
        Path(str(work / "archive.db") + suffix).unlink(missing_ok=True)
    try:
        os.replace(work, into)  # atomic; replaces an empty folder
    except OSError as exc:
        raise MergeError(f"cannot create {into}: {exc.strerror or exc}") from None
