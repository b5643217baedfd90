"""Archival fidelity, checked with the real tools: warcio, cdxj-indexer, py-wacz and pywb.

One block-theme site (gzip pages, a chunked page, query strings, a windows-1256 page) is crawled
twice into the same folder, so the second crawl is made of revisit records; pywb replays both."""

from __future__ import annotations

import gzip
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.demo.server import SiteServer
from archive.warc import HttpExchange, WarcWriter, repair_open_file

from .conftest import FAST, ROOT, check_warc_folder, check_warcs, crawl, free_port, query, run_arshif

REPLAY_BIN = ROOT / ".venv-replay" / "bin"



@pytest.fixture(scope="module")
def twice(tmp_path_factory):
    """The block-theme site crawled twice into one folder, the second time in full (no conditional
    requests), so that unchanged pages come back whole and become identical-payload revisits."""
    out = tmp_path_factory.mktemp("fidelity")
    with SiteServer("block", traps=True) as server:
        crawl(server.base_url + "/", out)
        crawl(server.base_url + "/", out, "--full")
        crawl(server.base_url + "/", out)  # incremental: unchanged articles answer 304
        yield out, server


@pytest.fixture(scope="module")
def pywb(twice):
    out, server = twice
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "archive.cli", "replay", str(out), "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first_line = proc.stdout.readline()
    assert "pywb is replaying" in first_line, proc.stderr.read() if proc.poll() is not None else first_line
    yield f"http://127.0.0.1:{port}/arshif", out, server
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=30)


def capture_of(out, url, crawl_id):
    rows = query(out, "select warc_date, record_type from captures where url = ? and crawl_id = ?", (url, crawl_id))
    assert rows, url
    return re.sub(r"\D", "", rows[0]["warc_date"])[:14], rows[0]["record_type"]


def fetch(url, headers=None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, dict(response.headers), response.read()


def test_second_crawl_writes_revisits(twice):
    out, _ = twice
    rows = query(out, "select crawl_id, record_type, count(*) n from captures where status = 200 group by 1, 2")
    counts = {(r["crawl_id"], r["record_type"]): r["n"] for r in rows}
    assert counts[(2, "revisit")] >= 50 and (2, "response") not in counts
    revisit = query(out, "select * from captures where crawl_id = 2 and record_type = 'revisit' limit 1")[0]
    original = query(out, "select * from captures where warc_record_id = ?", (revisit["refers_to"],))[0]
    assert original["payload_digest"] == revisit["payload_digest"] and original["url"] == revisit["url"]
    path = out / "warc" / revisit["warc_filename"]
    with open(path, "rb") as fh:
        fh.seek(revisit["warc_offset"])
        record = next(iter(ArchiveIterator(fh)))
    h = record.rec_headers
    assert h.get_header("WARC-Type") == "revisit"
    assert h.get_header("WARC-Profile") == "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
    assert h.get_header("WARC-Refers-To-Target-URI") == original["url"]
    assert h.get_header("WARC-Refers-To-Date") == original["warc_date"]
    assert h.get_header("WARC-Refers-To") == original["warc_record_id"]
    second = sum(f.stat().st_size for f in (out / "warc").glob("*.warc.gz") if f.name in
                 {r["warc_filename"] for r in query(out, "select warc_filename from captures where crawl_id = 2")})
    first = sum(f.stat().st_size for f in (out / "warc").glob("*.warc.gz")) - second
    assert second < first


def test_metadata_records_list_outlinks(twice):
    out, server = twice
    url = server.theme.url(server.theme.post_path(server.theme.posts[3]))
    found = []
    for path in sorted((out / "warc").glob("*.warc.gz")):
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "metadata" and record.rec_headers.get_header("WARC-Target-URI") == url:
                    found.append(record.content_stream().read().decode())
    assert found and "arshif-page-kind: article" in found[0]
    assert re.search(r"outlink: \S+ related", found[0]) and re.search(r"outlink: \S+ home", found[0])


def test_all_files_pass_warcio_check_and_cdxj_indexer(twice):
    out, _ = twice
    files = check_warc_folder(out)
    indexer = Path(sys.executable).parent / "cdxj-indexer"
    lines = subprocess.run([str(indexer), *map(str, files)], capture_output=True, text=True, check=True).stdout.splitlines()
    records = sum(r["n"] for r in query(out, "select count(*) n from captures where warc_record_id is not null"))
    metadata = sum(1 for line in lines if '"mime": "application/warc-fields"' in line)
    assert len(lines) - metadata == records


def test_arshif_index_and_wacz_validate(twice, tmp_path):
    out, _ = twice
    proc = run_arshif("index", out)
    assert "records indexed" in proc.stdout
    index_lines = (out / "index.cdxj").read_text().splitlines()
    assert index_lines == sorted(index_lines) and not any("warc-fields" in line for line in index_lines)
    wacz = tmp_path / "site.wacz"
    run_arshif("wacz", out, "-o", wacz)
    check = subprocess.run([str(REPLAY_BIN / "wacz"), "validate", "-f", str(wacz)], capture_output=True, text=True)
    assert check.returncode == 0 and "Validation succeeded" in check.stdout, check.stdout + check.stderr
    import zipfile

    with zipfile.ZipFile(wacz) as zf:
        names = zf.namelist()
        assert {"datapackage.json", "datapackage-digest.json", "indexes/index.cdxj", "pages/pages.jsonl"} <= set(names)
        assert all(zf.getinfo(n).compress_type == zipfile.ZIP_STORED for n in names if n.startswith("archive/"))
        pages = [json.loads(line) for line in zf.read("pages/pages.jsonl").decode().splitlines()]
    assert pages[0]["format"] == "json-pages-1.0"
    titles = {p["title"] for p in pages[1:]}
    assert "ما بعد تدمر.. اختبار الشراكة الدولية" in titles and len(pages) - 1 == 45
    assert all(re.match(r"\d{4}-\d\d-\d\dT", p["ts"]) for p in pages[1:])


@pytest.mark.parametrize("path", ["/", "/?paged=2", "/streamed/chunked/", "/legacy/windows-1256/"])
def test_pywb_raw_replay_is_byte_identical(pywb, path):
    base, out, server = pywb
    url = server.base_url + path
    ts, _ = capture_of(out, url, 1)
    origin = server.site[path].body
    status, headers, body = fetch(f"{base}/{ts}id_/{url}")
    assert status == 200 and body == origin
    if not server.site[path].chunked:  # what came over the wire, gzip and all
        status, headers, body = fetch(f"{base}/{ts}id_/{url}", {"Accept-Encoding": "gzip"})
        assert headers.get("Content-Encoding") == "gzip" and gzip.decompress(body) == origin


def test_pywb_rewritten_replay_shows_the_article(pywb):
    base, out, server = pywb
    post = server.theme.posts[0]
    url = server.theme.url(server.theme.post_path(post))
    ts, _ = capture_of(out, url, 1)
    status, _, body = fetch(f"{base}/{ts}/{url}")
    assert status == 200 and post.title in body.decode("utf-8")


def test_pywb_replays_a_revisit_as_its_original(pywb):
    base, out, server = pywb
    post = server.theme.posts[5]
    url = server.theme.url(server.theme.post_path(post))
    ts, kind = capture_of(out, url, 2)
    assert kind == "revisit"
    status, _, body = fetch(f"{base}/{ts}id_/{url}")
    assert status == 200 and body == server.site[server.theme.post_path(post)].body


def test_pywb_replays_a_not_modified_revisit(pywb):
    base, out, server = pywb
    post = server.theme.posts[7]
    url = server.theme.url(server.theme.post_path(post))
    row = query(out, "select warc_date, status, record_type from captures where url = ? and crawl_id = 3", (url,))[0]
    assert (row["status"], row["record_type"]) == (304, "revisit")
    ts = re.sub(r"\D", "", row["warc_date"])[:14]
    status, _, body = fetch(f"{base}/{ts}id_/{url}")
    assert status == 200 and body == server.site[server.theme.post_path(post)].body
    status, _, page = fetch(f"{base}/{ts}/{url}")
    assert post.title in page.decode("utf-8")


def test_repair_cuts_a_truncated_tail(tmp_path):
    writer = WarcWriter(tmp_path, info={"software": "test"})
    for i in range(5):
        writer.write_exchange(HttpExchange(f"http://x/{i}", "GET", f"/{i}", [("Host", "x")], b"", "HTTP/1.1", 200,
                                           [("Content-Type", "text/plain")], ("نص " * 200).encode()))
    writer._file.close()  # a crash: the file keeps its .open name
    path = tmp_path / (writer.filename + ".open")
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        fh.truncate(size - 150)  # cut inside the last record
    final, kept, cut = repair_open_file(path)
    assert final.name == writer.filename and not path.exists()
    assert kept == 10 and 0 < cut < 2000  # warcinfo + 4 exchanges + the request of the 5th... minus the cut record
    check_warcs(final)


def test_kill_9_mid_crawl_then_repair_on_next_start(tmp_path):
    with SiteServer("classic", scale=6) as server:
        proc = subprocess.Popen([sys.executable, "-m", "archive.cli", "crawl", server.base_url + "/", "--out", str(tmp_path),
                                 *FAST, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2"], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            opened = list((tmp_path / "warc").glob("*.open")) if (tmp_path / "warc").exists() else []
            if opened and opened[0].stat().st_size > 60_000:
                break
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        opened = list((tmp_path / "warc").glob("*.open"))
        assert opened, "the crawl finished before it could be killed"
        with open(opened[0], "r+b") as fh:  # power loss: the last record only half on disk
            fh.truncate(opened[0].stat().st_size - 100)
        proc = crawl(server.base_url + "/", tmp_path)
    assert "repaired" in proc.stderr
    check_warc_folder(tmp_path)
    assert query(tmp_path, "select count(*) n from articles")[0]["n"] == 42 * 6


def test_pywb_replays_the_stylesheet_and_images(pywb):
    base, out, server = pywb
    for path in ["/wp-content/themes/memory/style.css", server.theme.image_path(server.theme.posts[0])]:
        url = server.base_url + path
        ts, _ = capture_of(out, url, 1)
        status, _, body = fetch(f"{base}/{ts}id_/{url}")
        assert status == 200 and body == server.site[path].body


def test_http_cache_responses_are_not_archived_again(tmp_path):
    cache = ["-s", "HTTPCACHE_ENABLED=True", "-s", f"HTTPCACHE_DIR={tmp_path / 'cache'}"]
    with SiteServer("classic") as server:
        crawl(server.base_url + "/", tmp_path / "out", *cache)
        crawl(server.base_url + "/", tmp_path / "out", *cache)
    per_crawl = {r["crawl_id"]: r["n"] for r in query(tmp_path / "out", "select crawl_id, count(*) n from captures group by 1")}
    assert per_crawl[1] > 100 and per_crawl.get(2, 0) == 0  # the second crawl came from the cache: nothing to archive
    assert query(tmp_path / "out", "select count(*) n from articles")[0]["n"] == 42


def test_response_cut_by_the_size_limit_is_marked_truncated(tmp_path):
    with SiteServer("classic", traps=True) as server:
        crawl(server.base_url + "/", tmp_path, "-s", "ARSHIF_MAX_RESPONSE_SIZE=100000")
        full_size = len(server.site["/wp-content/uploads/archive-scan.pdf"].body)
    row = query(tmp_path, "select * from captures where url like '%archive-scan.pdf'")[0]
    assert 100_000 < row["content_length"] < full_size
    with open(tmp_path / "warc" / row["warc_filename"], "rb") as fh:
        fh.seek(row["warc_offset"])
        record = next(iter(ArchiveIterator(fh)))
        assert record.rec_headers.get_header("WARC-Truncated") == "length"
        assert record.content_stream().read().startswith(b"%PDF-1.4")
    check_warc_folder(tmp_path)
    assert query(tmp_path, "select count(*) n from articles")[0]["n"] == 45  # the crawl went on


def test_wacz_entries_are_found_where_the_central_directory_says(twice, tmp_path):
    """ReplayWeb.page reads an entry at the central directory's offset, skipping the local header by
    the central directory's idea of its length: the two headers must agree (no Zip64 extra field in
    one and not the other), or every entry is read 20 bytes early."""
    import struct
    import zipfile

    out, _ = twice
    wacz = tmp_path / "site.wacz"
    run_arshif("wacz", out, "-o", wacz)
    data = wacz.read_bytes()
    with zipfile.ZipFile(wacz) as zf:
        infos = zf.infolist()
    for info in infos:
        local = data[info.header_offset:info.header_offset + 30]
        name_length, extra_length = struct.unpack("<HH", local[26:30])
        assert local[:4] == b"PK\x03\x04" and extra_length == len(info.extra), info.filename
        start = info.header_offset + 30 + name_length + extra_length
        body = data[start:start + info.compress_size]
        if info.filename.endswith(".warc.gz"):
            assert body[:2] == b"\x1f\x8b", info.filename  # a gzip member: the first WARC record
        elif info.filename.endswith(".cdxj"):
            assert re.match(r"\S+ \d{14} \{", body.decode().splitlines()[0]), info.filename
        else:
            json.loads(body.decode().splitlines()[0] if info.filename.endswith(".jsonl") else body)
