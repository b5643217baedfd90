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
import re
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

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

    def following(self, after: datetime) -> datetime:
        if self.cron:
            return croniter(self.cron, after).get_next(datetime)
        return after + timedelta(seconds=self.every_seconds or 0)

    def describe(self) -> str:
        return f"cron {self.cron}" if self.cron else f"every {format_interval(self.every_seconds or 0)}"


class ScheduleStore:
    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else default_db()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite_utils.Database(self.path)
        self.db.table("schedules").create({"id": int, "url": str, "out": str, "every_seconds": int, "cron": str,
                                     "args": str, "created_at": str, "next_run": str}, pk="id", if_not_exists=True)
        self.db.table("runs").create({"id": int, "schedule_id": int, "url": str, "out": str, "started_at": str,
                                "finished_at": str, "exit_status": int, "stats": str, "pid": int}, pk="id",
                               if_not_exists=True)

    def add(self, url: str, out: str, *, every: str | None = None, cron: str | None = None,
            args: list[str] | None = None) -> Schedule:
        if bool(every) == bool(cron):
            raise ScheduleError("give either --every or --cron")
        every_seconds = parse_every(every) if every else None
        if cron and not croniter.is_valid(cron):
            raise ScheduleError(f"not a cron expression: {cron!r}")
        out = str(Path(out).resolve())
        first = now() if every else croniter(cron, now()).get_next(datetime)
        row = {"url": url, "out": out, "every_seconds": every_seconds, "cron": cron, "args": json.dumps(args or []),
               "created_at": now().isoformat(), "next_run": first.isoformat()}
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
                        row["next_run"])

    def set_next(self, schedule: Schedule, when: datetime) -> None:
        self.db.table("schedules").update(schedule.id, {"next_run": when.isoformat()})

    def start_run(self, schedule: Schedule, pid: int) -> int:
        run_id = self.db.table("runs").insert({"schedule_id": schedule.id, "url": schedule.url, "out": schedule.out,
                                               "started_at": now().isoformat(), "pid": pid}).last_pk
        assert isinstance(run_id, int)
        return run_id

    def finish_run(self, run_id: int, exit_status: int, stats: dict | None) -> None:
        self.db.table("runs").update(run_id, {"finished_at": now().isoformat(), "exit_status": exit_status,
                                        "stats": json.dumps(stats or {}, default=str)})

    def runs(self) -> list[dict]:
        return list(self.db.table("runs").rows_where(order_by="id"))


def crawl_command(schedule: Schedule) -> list[str]:
    return [sys.executable, "-m", "archive.cli", "crawl", schedule.url, "--out", schedule.out, *schedule.args]


def crawl_stats(out: str) -> dict | None:
    """The stats the crawl recorded in its own archive.db."""
    try:
        with ArchiveDB.existing(out) as db:
            row = db.crawl()
        return json.loads(row["stats"]) if row and row["stats"] else None
    except (StoreError, sqlite3.Error, ValueError):
        return None


class Scheduler:
    """Starts due crawls as subprocesses; one at a time per OUT; records every run."""

    def __init__(self, store: ScheduleStore, *, poll: float = 1.0):
        self.store, self.poll = store, poll
        self.running: dict[str, tuple[subprocess.Popen, int]] = {}  # out → (process, run id)
        self.stopping = False

    def reap(self) -> None:
        """Record the crawls that have ended."""
        for out, (proc, run_id) in list(self.running.items()):
            if proc.poll() is not None:
                self.store.finish_run(run_id, proc.returncode, crawl_stats(out))
                logger.info("crawl of %s ended with status %s", out, proc.returncode)
                del self.running[out]

    def start_due(self, limit: int | None = None) -> int:
        """Start the due crawls whose OUT is free (at most ``limit``); return how many started."""
        started = 0
        for schedule in self.store.all():
            if limit is not None and started >= limit:
                break
            if parse_iso(schedule.next_run) > now() or schedule.out in self.running:
                continue
            proc = subprocess.Popen(crawl_command(schedule), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            run_id = self.store.start_run(schedule, proc.pid)
            self.running[schedule.out] = (proc, run_id)
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
            for out, (proc, run_id) in self.running.items():
                proc.send_signal(signal.SIGINT)  # a graceful stop: the crawl can resume next time
                proc.wait()
                self.store.finish_run(run_id, proc.returncode, crawl_stats(out))


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
