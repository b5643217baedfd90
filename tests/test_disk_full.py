"""A full disk stops the crawl within seconds with one line; what was archived stays valid, and
the next run, with space again, completes the archive (each article once)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from archive.demo.server import SiteServer

from .conftest import FAST, ROOT, check_warc_folder, crawl, query


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MiB tmpfs (root only: `make test` runs as root in CI), grown again by ``grow()``."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("mounting a tmpfs needs root")

    def grow() -> None:
        subprocess.run(["mount", "-o", "remount,size=256m", str(mount)], check=True)

    yield mount, grow
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_stops_the_crawl_with_one_line_and_the_next_run_resumes(small_disk):
    mount, grow = small_disk
    out = mount / "archive"
    with SiteServer("classic", scale=6) as server:
        started = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "archive.cli", "crawl", server.base_url + "/", "--out", str(out),
                               *FAST], cwd=ROOT, capture_output=True, text=True, timeout=300)
        took = time.monotonic() - started
        assert proc.returncode == 1 and took < 60, (took, proc.stderr[-2000:])
        lines = proc.stderr.strip().splitlines()
        assert lines[-1].startswith("Error: no space left on device writing "), proc.stderr[-2000:]
        assert "Traceback" not in proc.stderr and "Task exception was never retrieved" not in proc.stderr
        captured_before = len(list((out / "warc").glob("*.warc.gz")))
        grow()
        check_warc_folder(out)  # what the full disk left is whole
        crawl(server.base_url + "/", out)
        expected = set(server.theme.article_urls())
    assert captured_before >= 1
    check_warc_folder(out)
    rows = [r["url"] for r in query(out, "select url from articles")]
    assert sorted(rows) == sorted(expected) and len(rows) == 42 * 6
