"""Shared fixtures: real HTTP servers on 127.0.0.1 and real crawls run as `arshif crawl` processes."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import redis

from archive.demo.server import BackgroundServer, SiteServer, free_port  # noqa: F401 (free_port: for the tests)

ROOT = Path(__file__).resolve().parent.parent
# A local server needs no politeness delays; everything else stays at its default.
FAST = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "ARSHIF_PROGRESS_INTERVAL=0"]


# warcio's own CLI, with the br/zstd decoders it lacks for the installed libraries (archive/warc/codings.py).
WARCIO_WITH_OUR_DECODERS = "import sys, archive.warc; from warcio.cli import main; sys.exit(main(sys.argv[1:]))"


def check_warcs(*paths: Path) -> str:
    """Every WARC file passes `gzip -t` (warcio misses a cut-off last record), `warcio check -v`
    (digests verified, none failed) and `fastwarc check`; returns warcio's report."""
    assert paths, "no WARC files to check"
    report = ""
    for path in paths:
        subprocess.run(["gzip", "-t", str(path)], check=True)
        check = subprocess.run([sys.executable, "-c", WARCIO_WITH_OUR_DECODERS, "check", "-v", str(path)],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        assert "fail" not in check.stdout, check.stdout
        # FastWARC, written apart from warcio, verifies every record's block digest and framing
        # (not payloads: it wrongly fails warc-fields metadata and revisit records there)
        fast = subprocess.run([str(Path(sys.executable).parent / "fastwarc"), "check", str(path)],
                              capture_output=True, text=True)
        verified = re.search(r"(\d+) records were verified successfully", fast.stdout)
        assert fast.returncode == 0 and verified and int(verified.group(1)) > 0, fast.stdout + fast.stderr[-500:]
        check_http_framing(path)
        report += check.stdout
    return report


def check_http_framing(path: Path) -> None:
    """What validators miss: every record one whole gzip member; no Transfer-Encoding header left on
    a de-chunked body (replay tools would de-chunk it again); an HTTP Content-Length that equals the
    stored body (as sent: still content-encoded) unless the record says it was truncated."""
    from warcio.archiveiterator import ArchiveIterator

    from archive.warc.records import whole_records

    members = sum(1 for _ in whole_records(path))
    with open(path, "rb") as fh:
        records = 0
        for record in ArchiveIterator(fh):
            records += 1
            http = record.http_headers
            if record.rec_type != "response" or http is None:
                continue
            uri = record.rec_headers.get_header("WARC-Target-URI")
            assert not http.get_header("Transfer-Encoding"), f"{uri}: Transfer-Encoding kept on a de-chunked body"
            length = http.get_header("Content-Length")
            body = record.raw_stream.read()
            truncated = record.rec_headers.get_header("WARC-Truncated")
            # the stored body is as sent, still content-encoded: its length is the header's
            if length is not None and not truncated:
                assert int(length) == len(body), f"{uri}: Content-Length {length}, body {len(body)} bytes"
    assert records == members, f"{path.name}: {records} records in {members} gzip members"


def check_warc_folder(out: Path) -> list[Path]:
    """``check_warcs`` on every WARC of an output folder, and no ``.open`` file left behind."""
    files = sorted((Path(out) / "warc").glob("*.warc.gz"))
    check_warcs(*files)
    assert not list((Path(out) / "warc").glob("*.open"))
    return files


class LocalHandler(BaseHTTPRequestHandler):
    """Base of the tests' own small HTTP servers: HTTP/1.1, quiet, one call to answer."""
    protocol_version = "HTTP/1.1"

    def respond(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def local_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on 127.0.0.1 (a free port) while in the block; yields its base URL."""
    with BackgroundServer(handler) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}/"


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


@pytest.fixture(scope="session")
def generated_site(request, tmp_path_factory):
    """A site built by real blog software (tests/sites/, parametrized over ``GENERATORS`` by the
    tests, indirectly), served on 127.0.0.1: yields a ``tests.sites.serve.Site`` (base_url, truth).
    A generator that is not installed fails (``make site-tools`` installs them all)."""
    from tests.sites.serve import Site, StaticServer, generator, truth_for

    name = request.param
    port = free_port()
    base_url = f"http://127.0.0.1:{port}/"
    work = tmp_path_factory.mktemp(f"site-{name}")
    folder = generator(name).build(work / "src", work / "out", base_url)
    with StaticServer(folder, port):
        yield Site(name, base_url, folder, truth_for(name, base_url, folder), generator(name).CHROME)


@pytest.fixture(scope="session")
def site_crawl(generated_site, tmp_path_factory):
    """One crawl of a generated site from its home page: (site, OUT)."""
    out = tmp_path_factory.mktemp(f"crawl-{generated_site.name}")
    crawl(generated_site.base_url, out)
    return generated_site, out


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"  # screenshots a person can look at after `make test`


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium (make test installs it), headless, driven by Playwright: no browser
    download, no network."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


@contextmanager
def redis_server(folder: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """A real redis-server (Debian's, installed by `make install-test`) on a free loopback port, with no
    persistence, while in the block: (its URL, its process)."""
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    proc = subprocess.Popen([server, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                             "--appendonly", "no", "--dir", str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    client = redis.Redis(host="127.0.0.1", port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if proc.poll() is not None:
                raise RuntimeError(f"redis-server exited with status {proc.returncode}") from None
            time.sleep(0.05)
    else:
        proc.kill()
        raise RuntimeError("redis-server did not answer within 5 s")
    try:
        yield f"redis://127.0.0.1:{port}/0", proc
    finally:
        client.close()
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """One redis-server for the test session: each session starts from an empty Redis. Tests keep
    apart by their job names."""
    with redis_server(tmp_path_factory.mktemp("redis")) as (url, _):
        yield url
