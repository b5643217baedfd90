"""Shared fixtures: real HTTP servers on 127.0.0.1 and real crawls run as `arshif crawl` processes."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from archive.demo.server import SiteServer

ROOT = Path(__file__).resolve().parent.parent
# A local server needs no politeness delays; everything else stays at its default.
FAST = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "ARSHIF_PROGRESS_INTERVAL=0"]


def free_port() -> int:
    """A port nothing listens on right now, for a server a test starts on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_arshif(*args, cwd=None, check=True, timeout=300) -> subprocess.CompletedProcess:
    """Run the real CLI in its own process (Scrapy's reactor starts once per process)."""
    proc = subprocess.run([sys.executable, "-m", "archive.cli", *map(str, args)], cwd=cwd or ROOT,
                          capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"arshif {' '.join(map(str, args))} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return proc


def crawl(url: str, out: Path, *extra) -> subprocess.CompletedProcess:
    return run_arshif("crawl", url, "--out", out, *FAST, *extra)


def query(out: Path, sql: str, params=()) -> list[sqlite3.Row]:
    conn = sqlite3.connect(Path(out) / "archive.db")
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


@pytest.fixture(scope="session", params=["classic", "block", "blogger"])
def theme(request):
    return request.param


@pytest.fixture(scope="session")
def site_server(theme):
    with SiteServer(theme, traps=True) as server:
        yield server


@pytest.fixture(scope="session")
def crawled(site_server, tmp_path_factory):
    """One crawl of each theme's test site, from its home page."""
    out = tmp_path_factory.mktemp("crawl")
    proc = crawl(site_server.base_url + "/", out)
    return out, site_server, proc
