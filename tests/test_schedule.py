"""Schedules and the scheduler: real crawls started on their own, recorded, never overlapping."""

from __future__ import annotations

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
    bad = run_arshif("schedule", "add", "http://127.0.0.1:1/", "--out", tmp_path / "o", "--every", "soon", "--db", db, check=False)
    assert bad.returncode == 1 and "not an interval" in bad.stderr
    both = run_arshif("schedule", "add", "http://127.0.0.1:1/", "--out", tmp_path / "o", "--db", db, check=False)
    assert both.returncode == 1 and "either --every or --cron" in both.stderr


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
