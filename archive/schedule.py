"""Recurring crawls: schedules kept in a small SQLite file of their own (``schedules.db``, not an
archive), and the scheduler that runs them.

    arshif schedule add https://example.blog/ --out example --every 6h
    arshif scheduler          # foreground: starts each due crawl as a subprocess

Each run is recorded (start, end, exit status, the crawl's stats). Two crawls of the same OUT never
run at once (the scheduler checks, and ``arshif crawl`` itself holds a lock on OUT); a failed crawl
is recorded and the scheduler goes on. ``arshif schedule cron`` prints crontab lines instead, for
those who prefer the system's cron.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shlex
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any

import sqlite_utils
from croniter import croniter

from .arabic.dates import parse_iso
from .store import ArchiveDB, StoreError

logger = logging.getLogger("arshif.scheduler")
_EVERY = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


class ScheduleError(ValueError):
    pass


def default_db() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("arshif")) / "schedules.db"


def parse_every(text: str) -> int:
    """'6h' → 21600 seconds; units s, m, h, d, w."""
    m = _EVERY.match(text or "")
    if not m or int(m.group(1)) == 0:
        raise ScheduleError(f"not an interval: {text!r} (examples: 30m, 6h, 1d)")
    return int(m.group(1)) * _UNIT_SECONDS[m.group(2)]


def written_interval(text: str) -> str:
    """The interval as the user wrote it, spaces aside: ' 90 m' → '90m'."""
    return "".join(text.split())


def format_interval(seconds: int) -> str:
    """21600 → '6h': the largest unit that divides it, as `--every` takes it."""
    for unit, size in sorted(_UNIT_SECONDS.items(), key=lambda item: -item[1]):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Schedule:
    id: int
    url: str
    out: str
    every_seconds: int | None
    cron: str | None
    args: list[str]
    next_run: str
    every: str | None = None  # as the user wrote it (schedules added before it was kept have none)

    def following(self, after: datetime) -> datetime:
        if self.cron:
            return croniter(self.cron, after).get_next(datetime)
        return after + timedelta(seconds=self.every_seconds or 0)

    def describe(self) -> str:
        return f"cron {self.cron}" if self.cron else f"every {self.every or format_interval(self.every_seconds or 0)}"


class ScheduleStore:
    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else default_db()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite_utils.Database(self.path)
        # The one SQLite file Arshif opens outside an archive. New columns are added to older files
        # in place (transform): `every` as written, and each run's crawl id and error line.
        self.db.table("schedules").create({"id": int, "url": str, "out": str, "every_seconds": int, "cron": str,
                                           "args": str, "created_at": str, "next_run": str, "every": str},
                                          pk="id", transform=True)
        self.db.table("runs").create({"id": int, "schedule_id": int, "url": str, "out": str, "started_at": str,
                                      "finished_at": str, "exit_status": int, "stats": str, "pid": int,
                                      "crawl_id": int, "error": str}, pk="id", transform=True)

    def add(self, url: str, out: str, *, every: str | None = None, cron: str | None = None,
            args: list[str] | None = None) -> Schedule:
        if bool(every) == bool(cron):
            raise ScheduleError("give either --every or --cron")
        every_seconds = parse_every(every) if every else None
        if cron and not croniter.is_valid(cron):
            raise ScheduleError(f"not a cron expression: {cron!r}")
        out = str(Path(out).resolve())
        first = now() if every else croniter(cron, now()).get_next(datetime)
        row = {"url": url, "out": out, "every_seconds": every_seconds, "every": written_interval(every) if every else None,
               "cron": cron, "args": json.dumps(args or []), "created_at": now().isoformat(), "next_run": first.isoformat()}
        row["id"] = self.db.table("schedules").insert(row).last_pk
        return self._schedule(row)

    def remove(self, schedule_id: int) -> bool:
        cursor = self.db.execute("delete from schedules where id = ?", [schedule_id])
        self.db.conn.commit()
        return cursor.rowcount > 0

    def all(self) -> list[Schedule]:
        return [self._schedule(r) for r in self.db.table("schedules").rows_where(order_by="id")]

    def _schedule(self, row: dict) -> Schedule:
        return Schedule(row["id"], row["url"], row["out"], row["every_seconds"], row["cron"], json.loads(row["args"]),
                        row["next_run"], row.get("every"))

    def set_next(self, schedule: Schedule, when: datetime) -> None:
        self.db.table("schedules").update(schedule.id, {"next_run": when.isoformat()})

    def start_run(self, schedule: Schedule, pid: int) -> int:
        run_id = self.db.table("runs").insert({"schedule_id": schedule.id, "url": schedule.url, "out": schedule.out,
                                               "started_at": now().isoformat(), "pid": pid}).last_pk
        assert isinstance(run_id, int)
        return run_id

    def finish_run(self, run_id: int, exit_status: int, crawl: dict | None = None, error: str | None = None) -> None:
        """Record how run ``run_id`` ended: its exit status, the crawl it recorded in OUT (if any), the
        crawl's last ``Error:`` line."""
        stats = json.loads(crawl["stats"] or "{}") if crawl else {}
        self.db.table("runs").update(run_id, {"finished_at": now().isoformat(), "exit_status": exit_status,
                                              "crawl_id": crawl["id"] if crawl else None, "error": error,
                                              "stats": json.dumps(stats, default=str)})

    def runs(self, schedule_id: int | None = None) -> list[dict]:
        where = "schedule_id = ?" if schedule_id is not None else None
        return list(self.db.table("runs").rows_where(where, [schedule_id] if where else [], order_by="id"))


def written_time(iso: str | None) -> str:
    """'2025-12-25T10:00:03.51+00:00' → '2025-12-25 13:00:03' in local time; '' for none."""
    return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S") if iso else ""


def run_status(run: dict) -> str:
    """One word for how a run went: running, ok, interrupted, failed (N), or lost (its scheduler died)."""
    if run["finished_at"] is None:
        return "running" if _alive(run["pid"]) else "lost"
    code = run["exit_status"]
    return {0: "ok", 130: "interrupted"}.get(code, f"failed ({code})")


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process now holds the id
        return True
    return True


def crawl_command(schedule: Schedule) -> list[str]:
    return [sys.executable, "-m", "archive.cli", "crawl", schedule.url, "--out", schedule.out, *schedule.args]


def recorded_crawl(out: str, started_at: str) -> dict[str, Any] | None:
    """The crawls row a run wrote in OUT's archive.db: the latest one begun since the run started
    (a crawl refused before it began, e.g. by OUT's lock, wrote none, and an older one is not it)."""
    try:
        with ArchiveDB.existing(out) as db:
            row = db.crawl()
    except (StoreError, sqlite3.Error):
        return None
    if row is None or (row["started_at"] or "") < started_at[:19]:
        return None
    return row


def last_error(stderr: IO[bytes]) -> str | None:
    """The last ``Error:`` line a crawl printed (its stderr, kept in a temporary file)."""
    stderr.seek(0, os.SEEK_END)
    stderr.seek(max(0, stderr.tell() - 8192))
    lines = stderr.read().decode("utf-8", "replace").splitlines()
    return next((line.removeprefix("Error: ") for line in reversed(lines) if line.startswith("Error: ")), None)


@dataclass
class Running:
    """A crawl the scheduler started and has not recorded as ended yet."""
    id: int
    out: str
    started_at: str
    proc: subprocess.Popen
    stderr: IO[bytes]


class Scheduler:
    """Starts due crawls as subprocesses; one at a time per OUT; records every run."""

    def __init__(self, store: ScheduleStore, *, poll: float = 1.0):
        self.store, self.poll = store, poll
        self.running: dict[str, Running] = {}  # by OUT
        self.stopping = False

    def reap(self) -> None:
        """Record the crawls that have ended."""
        for out, run in list(self.running.items()):
            if run.proc.poll() is not None:
                self._finish(run)
                logger.info("crawl of %s ended with status %s", out, run.proc.returncode)
                del self.running[out]

    def _finish(self, run: Running) -> None:
        with run.stderr:
            self.store.finish_run(run.id, run.proc.returncode, recorded_crawl(run.out, run.started_at),
                                  last_error(run.stderr))

    def start_due(self, limit: int | None = None) -> int:
        """Start the due crawls whose OUT is free (at most ``limit``); return how many started."""
        started = 0
        for schedule in self.store.all():
            if limit is not None and started >= limit:
                break
            if parse_iso(schedule.next_run) > now() or schedule.out in self.running:
                continue
            started_at = now().isoformat()
            stderr = tempfile.TemporaryFile()  # read back for the run's error line
            proc = subprocess.Popen(crawl_command(schedule), stdout=subprocess.DEVNULL, stderr=stderr)
            run_id = self.store.start_run(schedule, proc.pid)
            self.running[schedule.out] = Running(run_id, schedule.out, started_at, proc, stderr)
            self.store.set_next(schedule, schedule.following(now()))
            logger.info("started crawl %d of %s into %s (%s)", run_id, schedule.url, schedule.out, schedule.describe())
            started += 1
        return started

    def run(self, *, max_runs: int | None = None) -> None:
        """Loop until interrupted (or until ``max_runs`` crawls have started and ended)."""
        signal.signal(signal.SIGTERM, lambda *_: setattr(self, "stopping", True))
        started = 0
        try:
            while not self.stopping:
                self.reap()
                if max_runs is None:
                    self.start_due()
                elif started < max_runs:
                    started += self.start_due(max_runs - started)
                elif not self.running:
                    break
                time.sleep(self.poll)
        except KeyboardInterrupt:
            pass
        finally:
            for run in self.running.values():
                run.proc.send_signal(signal.SIGINT)  # a graceful stop: the crawl can resume next time
                run.proc.wait()
                self._finish(run)


def cron_lines(store: ScheduleStore, arshif: str) -> list[str]:
    """crontab lines for the schedules (intervals rounded to what cron can say)."""
    lines = []
    for s in store.all():
        if s.cron:
            spec = s.cron
        else:
            seconds = s.every_seconds or 60
            if seconds % 86400 == 0:
                spec = f"0 0 */{seconds // 86400} * *"
            elif seconds % 3600 == 0:
                spec = f"0 */{seconds // 3600} * * *"
            else:
                spec = f"*/{max(1, seconds // 60)} * * * *"
        command = " ".join(shlex.quote(p) for p in [arshif, "crawl", s.url, "--out", s.out, *s.args])
        lines.append(f"{spec} {command}  # arshif schedule {s.id}")
    return lines
