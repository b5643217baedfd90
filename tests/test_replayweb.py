"""Replay in the clients people use: a crawl's WACZ (`arshif wacz`) opened by ReplayWeb.page in real
headless Chromium, served by `arshif replay --web` from one origin on 127.0.0.1, and replay links
from the research view and `arshif show` that follow the port `arshif replay` actually serves on.

ReplayWeb.page replays inside a service worker, in iframes and shadow DOM: Playwright drives
Debian's chromium (never a downloaded browser) and reads the replayed frame itself."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from archive.demo.server import SiteServer
from archive.warc.package import _HashingZipEntry, declared_size

from .conftest import ARTIFACTS, ROOT, crawl, free_port, query, run_arshif

REPLAY_BIN = ROOT / ".venv-replay" / "bin"


def test_zip64_is_declared_in_the_local_header_only_when_the_central_record_has_it(tmp_path):
    """zipfile opens an entry as Zip64 from 95% of its limit up; a stored entry of such a size gets no
    Zip64 field in its central record, so it must get none in its local header either (ReplayWeb.page
    would read it 20 bytes early)."""
    limit = zipfile.ZIP64_LIMIT
    sizes = [1000, int(limit / 1.05) + 1, limit - 1, limit]
    assert all(declared_size(s) * 1.05 <= limit for s in sizes) and declared_size(limit + 1) == limit + 1
    path = tmp_path / "band.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for i, size in enumerate(sizes):  # the size an entry is opened with decides; 10 bytes are written
            entry = _HashingZipEntry(zf, f"entry-{i}", size)
            entry.write(b"0123456789")
            entry.close()
    data = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            local_extra = struct.unpack("<H", data[info.header_offset + 28:info.header_offset + 30])[0]
            assert local_extra == len(info.extra) == 0, info.filename
            assert zf.read(info) == b"0123456789"


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else proc.returncode
        time.sleep(0.2)
    raise AssertionError(f"nothing listens on port {port}")


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Iterator[Path]:
    """The demo blog crawled, then packaged with `arshif wacz` where `arshif replay --web` serves it
    from; the blog is gone before anything is replayed, so nothing can come from the live site."""
    out = tmp_path_factory.mktemp("replayweb")
    with SiteServer("classic") as server:
        crawl(server.base_url + "/", out)
    (out / "replay").mkdir()
    run_arshif("wacz", out, "-o", out / "replay" / "arshif.wacz")
    yield out


@pytest.fixture(scope="module")
def viewer(archive) -> Iterator[tuple[str, list[str], str]]:
    """`arshif replay OUT --web` on a free port: (base URL, the lines it printed, the WACZ's SHA-256
    and modification time before it started)."""
    wacz = archive / "replay" / "arshif.wacz"
    digest = hashlib.sha256(wacz.read_bytes()).hexdigest(), wacz.stat().st_mtime_ns
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "archive.cli", "replay", str(archive), "--web", "--port", str(port)],
                            cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        first = proc.stdout.readline() if proc.stdout else ""
        assert first.startswith("ReplayWeb.page is replaying"), first + (proc.stderr.read() if proc.poll() else "")
        lines = [first] + [proc.stdout.readline() for _ in range(10)] if proc.stdout else []
        yield f"http://127.0.0.1:{port}", lines, digest
    finally:
        stop(proc)


def open_viewer(browser, url: str):
    """A new page at ``url`` and the list of every URL it requested (frames and service worker too)."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="ar")
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    page = context.new_page()
    page.goto(url)
    return page, requested


def replayed_frame(page, timeout: float = 60):
    """The frame ReplayWeb.page replays the archived page in (its URL has ``mp_/``), once titled."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for frame in page.frames:
            if "mp_/" in frame.url:
                try:
                    if frame.evaluate("document.readyState") == "complete" and frame.evaluate("document.title"):
                        return frame
                except PlaywrightError:  # navigated away while being read: look again
                    pass
        page.wait_for_timeout(250)  # Playwright handles frame events only while it is called
    raise AssertionError(f"no replayed frame; frames: {[f.url for f in page.frames]}")


SHOWN = """() => ({title: document.title, heading: document.querySelector('h1, .entry-title').innerText.trim(),
                   text: document.body.innerText, direction: getComputedStyle(document.body).direction})"""


def replayed_page(page, timeout: float = 60) -> dict[str, str]:
    """What the replayed frame shows (title, heading, text, direction), read in one go; read again
    from the frame replaying then if the viewer navigated in between."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return replayed_frame(page, timeout).evaluate(SHOWN)
        except PlaywrightError:
            if time.monotonic() > deadline:
                raise
            page.wait_for_timeout(250)


def test_the_wacz_is_valid_and_served_as_arshif_wacz_wrote_it(archive, viewer):
    base, lines, digest = viewer
    check = subprocess.run([str(REPLAY_BIN / "wacz"), "validate", "-f", str(archive / "replay" / "arshif.wacz")],
                           capture_output=True, text=True)
    assert check.returncode == 0 and "Validation succeeded" in check.stdout, check.stdout + check.stderr
    with urllib.request.urlopen(f"{base}/arshif.wacz") as response:
        assert hashlib.sha256(response.read()).hexdigest() == digest[0]  # the package `arshif wacz` wrote
    assert (archive / "replay" / "arshif.wacz").stat().st_mtime_ns == digest[1]  # up to date: not packaged again
    request = urllib.request.Request(f"{base}/arshif.wacz", headers={"Range": "bytes=0-3"})
    with urllib.request.urlopen(request) as response:  # ReplayWeb.page reads the zip by ranges
        assert response.status == 206 and response.read() == b"PK\x03\x04"
    assert json.loads((archive / "replay" / "served.json").read_text())["base"] == base


def test_replayweb_page_replays_an_arabic_article(archive, viewer, browser):
    base, lines, _ = viewer
    # the first article link printed opens in the viewer
    title, link = lines[1].strip(), lines[2].strip()
    assert link.startswith(f"{base}/?ts=")
    url = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["url"][0]
    article = query(archive, "select title, text from articles where url = ?", (url,))[0]
    assert article["title"] == title and re.search("[\u0600-\u06ff]", title)
    page, requested = open_viewer(browser, link)
    shown = replayed_page(page)
    assert title in shown["title"]
    assert shown["heading"] == title
    paragraphs = [p for p in article["text"].split("\n") if p.strip()]
    assert len(paragraphs) >= 3 and all(p.strip() in shown["text"] for p in paragraphs)
    assert shown["direction"] == "rtl"  # the archived stylesheet
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "replayweb-article.png"))
    outside = [u for u in requested if not u.startswith(base + "/") and not u.startswith(("data:", "blob:"))]
    assert not outside, outside  # everything came from the WACZ, nothing from the (stopped) live blog
    page.context.close()


PAGE_ENTRIES = """() => {
    const found = [];
    const walk = (root) => root.querySelectorAll('*').forEach((el) => {
        if (el.tagName === 'WR-PAGE-ENTRY') found.push((el.shadowRoot || el).textContent);
        if (el.shadowRoot) walk(el.shadowRoot);
    });
    walk(document);
    return found;
}"""


def test_replayweb_page_lists_the_pages_with_arabic_titles(archive, viewer, browser):
    base, _, _ = viewer
    titles = {r["title"] for r in query(archive, "select title from articles")}
    page, _ = open_viewer(browser, base + "/")
    entries: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(entries) < len(titles):
        for frame in page.frames:
            if "/replay/?" in frame.url:
                try:
                    entries = frame.evaluate(PAGE_ENTRIES)
                except PlaywrightError:  # the viewer navigated while being read: look again
                    pass
        page.wait_for_timeout(250)
    assert len(titles) == 42 and len(entries) == len(titles)
    assert all(any(title in entry for entry in entries) for title in titles)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "replayweb-pages.png"))
    page.context.close()


def test_replay_links_follow_the_port_arshif_replay_serves_on(archive, viewer):
    """Crawled with the default pattern (pywb on 8080), the links from Datasette and `arshif show`
    lead to the replay actually served: pywb on another port, or the ReplayWeb.page viewer."""
    base, _, _ = viewer
    article = query(archive, "select url, title, replay_url from articles order by url limit 1")[0]
    assert article["replay_url"].startswith("http://127.0.0.1:8080/arshif/")  # the stored data stays as crawled
    shown = run_arshif("show", article["url"], "--out", archive).stdout
    assert f"replay: {base}/?ts=" in shown  # the viewer fixture served last

    port, datasette_port = free_port(), free_port()
    pywb = subprocess.Popen([sys.executable, "-m", "archive.cli", "replay", str(archive), "--port", str(port)],
                            cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    datasette = None
    try:
        first = pywb.stdout.readline() if pywb.stdout else ""
        assert "pywb is replaying" in first, first + (pywb.stderr.read() if pywb.poll() else "")
        datasette = subprocess.Popen([sys.executable, "-m", "archive.cli", "serve", str(archive), "--port",
                                      str(datasette_port)], cwd=ROOT, text=True,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_for_port(datasette_port, datasette)
        table = f"http://127.0.0.1:{datasette_port}/archive/articles?" + urllib.parse.urlencode(
            {"url__exact": article["url"]})
        with urllib.request.urlopen(table, timeout=60) as response:
            page = response.read().decode()
        links = re.findall(r'href="(http://127\.0\.0\.1:\d+/arshif/\d{14}/[^"]+)"', page)
        assert links and all(link.startswith(f"http://127.0.0.1:{port}/arshif/") for link in links), links
        with urllib.request.urlopen(links[0].replace("&amp;", "&"), timeout=60) as response:
            assert response.status == 200 and article["title"] in response.read().decode()
        shown = run_arshif("show", article["url"], "--out", archive).stdout
        assert f"replay: http://127.0.0.1:{port}/arshif/" in shown
    finally:
        for proc in (datasette, pywb):
            if proc is not None:
                stop(proc)


def test_replay_web_errors_are_one_line(archive, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = run_arshif("replay", archive, "--web", "--port", port, check=False, timeout=60)
    assert busy.returncode == 1 and busy.stderr.strip() == (f"Error: port {port} is already in use on 127.0.0.1: "
                                                            "start replay --web on another with --port")
    env = {**os.environ, "ARSHIF_REPLAYWEB": str(tmp_path)}  # a folder without the viewer's files
    missing = subprocess.run([sys.executable, "-m", "archive.cli", "replay", str(archive), "--web", "--port",
                              str(free_port())], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1, missing.stderr
    assert missing.stderr.startswith(f"Error: ARSHIF_REPLAYWEB={tmp_path} lacks") and "make replay-web" in missing.stderr
    nothing = run_arshif("replay", tmp_path / "nowhere", "--web", check=False, timeout=60)
    assert nothing.returncode == 1 and nothing.stderr.count("\n") == 1 and nothing.stderr.startswith("Error: ")
