"""Schedules and the scheduler: real crawls started on their own, recorded, never overlapping."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import datetime

import pytest

from archive.demo.server import SiteServer
from archive.schedule import ScheduleStore, parse_every

from .conftest import ROOT, query, run_arshif

QUICK = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "ARSHIF_PROGRESS_INTERVAL=0",
         "-s", "RETRY_ENABLED=False"]


@pytest.mark.parametrize("text, seconds", [("30s", 30), ("15m", 900), ("6h", 21600), ("1d", 86400), ("2w", 1209600)])
def test_intervals(text, seconds):
    assert parse_every(text) == seconds


def test_schedule_commands(tmp_path):
    db = tmp_path / "s.db"
    added = run_arshif("schedule", "add", "http://127.0.0.1:1/", "--out", tmp_path / "o", "--cron", "0 3 * * *", "--db", db)
    assert "schedule 1:" in added.stdout
    run_arshif("schedule", "add", "http://127.0.0.1:1/", "--out", tmp_path / "o2", "--every", "6h", "--db", db)
    listed = run_arshif("schedule", "list", "--db", db).stdout.splitlines()
    assert len(listed) == 2 and "cron 0 3 * * *" in listed[0] and "every 6h" in listed[1]
    cron = run_arshif("schedule", "cron", "--db", db).stdout.splitlines()
    assert cron[0].startswith("0 3 * * * ") and cron[1].startswith("0 */6 * * * ") and " crawl http://127.0.0.1:1/ " in cron[1]
    run_arshif("schedule", "remove", "1", "--db", db)
    assert len(run_arshif("schedule", "list", "--db", db).stdout.splitlines()) == 1
    assert "no runs yet" in run_arshif("schedule", "runs", "--db", db).stderr
    bad = run_arshif("schedule", "add", "http://127.0.0.1:1/", "--out", tmp_path / "o", "--every", "soon", "--db", db, check=False)
    assert bad.returncode == 1 and "not an interval" in bad.stderr
    both = run_arshif("schedule", "add", "http://127.0.0.1:1/", "--out", tmp_path / "o", "--db", db, check=False)
    assert both.returncode == 1 and "either --every or --cron" in both.stderr
    wrong = run_arshif("schedule", "add", "http://127.0.0.1:1/", "--out", tmp_path / "o", "--every", "1h",
                       "-s", "DOWNLOAD_DELAY=abc", "--db", db, check=False)  # refused now, not at every run
    assert wrong.returncode == 1 and "DOWNLOAD_DELAY must be a number" in wrong.stderr
    assert len(run_arshif("schedule", "list", "--db", db).stdout.splitlines()) == 1


def test_intervals_are_listed_as_written(tmp_path):
    store = ScheduleStore(tmp_path / "s.db")
    for every in ("60m", "90m", "24h", "1d"):
        store.add("http://127.0.0.1:1/", str(tmp_path / every), every=every)
    assert [s.describe() for s in store.all()] == ["every 60m", "every 90m", "every 24h", "every 1d"]
    assert [s.every_seconds for s in store.all()] == [3600, 5400, 86400, 86400]


def test_schedules_file_from_before_runs_were_detailed(tmp_path):
    """A schedules.db written before `every` and the runs' crawl id and error were kept still opens."""
    db = tmp_path / "s.db"
    old = sqlite3.connect(db)
    old.executescript("""
        create table schedules (id integer primary key, url text, out text, every_seconds integer, cron text,
                                args text, created_at text, next_run text);
        create table runs (id integer primary key, schedule_id integer, url text, out text, started_at text,
                           finished_at text, exit_status integer, stats text, pid integer);
        insert into schedules values (1, 'http://127.0.0.1:1/', '/tmp/o', 21600, null, '[]', '2025-12-01', '2025-12-01');
        insert into runs values (1, 1, 'http://127.0.0.1:1/', '/tmp/o', '2025-12-01T10:00:00+00:00',
                                 '2025-12-01T10:01:00+00:00', 0, '{"arshif/articles": 7}', 99);
    """)
    old.close()
    assert "every 6h" in run_arshif("schedule", "list", "--db", db).stdout
    runs = run_arshif("schedule", "runs", "--db", db).stdout.splitlines()
    assert runs[0].split() == ["run", "schedule", "started", "ended", "status", "pages", "articles", "out"]
    assert runs[1].split()[6:] == ["ok", "0", "7", "/tmp/o"]


def test_unfinished_runs_are_running_or_lost(tmp_path):
    """A run with no end is running while its crawl process lives, lost once it is gone (the
    scheduler was killed before it could record the end)."""
    store = ScheduleStore(tmp_path / "s.db")
    schedule = store.add("http://127.0.0.1:1/", str(tmp_path / "o"), every="1h")
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    try:
        store.start_run(schedule, alive.pid)
        store.start_run(schedule, int(gone.stdout))
        listed = run_arshif("schedule", "runs", "--db", tmp_path / "s.db").stdout.splitlines()
    finally:
        alive.kill()
        alive.wait()
    assert [line.split()[4] for line in listed[1:]] == ["running", "lost"]


def test_scheduler_runs_crawls_on_its_own(tmp_path):
    db = tmp_path / "s.db"
    store = ScheduleStore(db)
    with SiteServer("classic") as server:
        store.add(server.base_url + "/", str(tmp_path / "blog"), every="1s", args=QUICK)
        # due once at the start, then not for an hour: the other three runs are the blog's
        store.add("http://127.0.0.1:9/", str(tmp_path / "down"), every="1h", args=QUICK + ["-s", "ROBOTSTXT_OBEY=False"])
        proc = subprocess.run([sys.executable, "-m", "archive.cli", "scheduler", "--db", str(db), "--poll", "0.2",
                               "--max-runs", "4"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    runs = ScheduleStore(db).runs()
    good = [r for r in runs if r["out"].endswith("blog")]
    failed = [r for r in runs if r["out"].endswith("down")]
    assert len(good) == 3 and all(r["exit_status"] == 0 for r in good)
    assert len(failed) == 1 and failed[0]["exit_status"] != 0  # recorded; the scheduler went on
    assert all('"arshif/articles": 42' in r["stats"] for r in good[:1])
    # never two crawls of the same folder at once
    for first, second in zip(good, good[1:], strict=False):
        assert datetime.fromisoformat(second["started_at"]) >= datetime.fromisoformat(first["finished_at"])
    assert len(query(tmp_path / "blog", "select id from crawls")) == len(good)
    assert [r["crawl_id"] for r in good] == [1, 2, 3] and failed[0]["crawl_id"] == 1
    assert failed[0]["error"].startswith("nothing could be fetched from http://127.0.0.1:9/")

    # what `arshif schedule runs` shows of them
    listed = run_arshif("schedule", "runs", "--db", db).stdout.splitlines()
    assert listed[0].split() == ["run", "schedule", "started", "ended", "status", "pages", "articles", "out"]
    rows = {line.split()[0]: line for line in listed[1:] if not line.startswith(" ")}
    assert len(rows) == 4
    for run in good:
        cells = rows[str(run["id"])].split()
        started = datetime.fromisoformat(run["started_at"]).astimezone().strftime("%Y-%m-%d %H:%M:%S")
        assert " ".join(cells[2:4]) == started and cells[6] == "ok" and cells[9] == run["out"]
        # pages fetched (articles, listings, feeds, robots.txt, requisites) and articles stored by this run
        assert int(cells[7]) > 42 if run is good[0] else int(cells[7]) > 0
        assert cells[8] == ("42" if run is good[0] else "0")  # the re-crawls found nothing new
    down = rows[str(failed[0]["id"])].split()
    assert down[6:] == ["failed", "(1)", "0", "0", str(tmp_path / "down")]
    error_line = listed[listed.index(rows[str(failed[0]["id"])]) + 1]
    assert error_line.startswith("    Error: nothing could be fetched")
    only_blog = run_arshif("schedule", "runs", "1", "--last", "2", "--db", db).stdout.splitlines()
    assert [line.split()[0] for line in only_blog[1:]] == [str(r["id"]) for r in good[-2:]]
