"""Every content coding we accept, we can read back: crawl → WARC (as received) → reindex → show."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import zlib

import brotli
import pytest
from backports import zstd

from .conftest import ROOT, LocalHandler, check_warc_folder, crawl, free_port, local_server, query, run_arshif

ENCODERS = {"gzip": lambda b: zlib.compress(b, wbits=31), "deflate": zlib.compress, "br": brotli.compress,
            "zstd": zstd.compress}
TITLES = {"gzip": "رحلة في مخطوطات تمبكتو", "deflate": "مكتبات القاهرة القديمة",
          "br": "حضارات الرافدين وما بقي منها", "zstd": "ذاكرة المدن العربية"}
PARAGRAPH = "هذه فقرة طويلة عن تاريخ المكتبات العربية وما حفظته من مخطوطات نادرة عبر القرون. "


def post_html(coding: str) -> str:
    return (f'<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>{TITLES[coding]}</title></head>'
            f'<body class="single single-post"><article class="post hentry"><h1 class="entry-title">{TITLES[coding]}</h1>'
            f'<div class="entry-content"><p>{PARAGRAPH * 6}</p><p>مرمّزة بـ {coding}.</p></div></article></body></html>')


HOME = ('<!doctype html><html lang="ar"><head><meta charset="utf-8"></head><body class="home blog">'
        + "".join(f'<article class="post hentry"><h2 class="entry-title"><a href="/{c}/">{t}</a></h2></article>'
                  for c, t in TITLES.items()) + "</body></html>")


class Handler(LocalHandler):
    """Each post answers in its own coding, asked for or not (as misconfigured servers do)."""
    seen_accept_encoding: list[str] = []

    def do_GET(self):  # noqa: N802
        Handler.seen_accept_encoding.append(self.headers.get("Accept-Encoding", ""))
        coding = self.path.strip("/")
        if self.path == "/":
            body, headers = HOME.encode(), {}
        elif coding in ENCODERS:
            body, headers = ENCODERS[coding](post_html(coding).encode()), {"Content-Encoding": coding}
        else:
            self.respond(404, b"", {})
            return
        self.respond(200, body, {"Content-Type": "text/html; charset=utf-8", **headers})


@pytest.fixture(scope="module")
def coded(tmp_path_factory):
    out = tmp_path_factory.mktemp("codings")
    with local_server(Handler) as url:
        crawl(url, out, "-s", "ROBOTSTXT_OBEY=False", "-s", "ARSHIF_REQUISITES=False")
    return out


def articles(out):
    return {r["title"]: r["text"] for r in query(out, "select title, text from articles")}


def test_the_crawler_asks_only_for_codings_we_can_read(coded):
    assert Handler.seen_accept_encoding and all(value == "gzip, deflate, br" for value in Handler.seen_accept_encoding)


def test_every_coding_is_archived_as_received_and_extracted(coded):
    check_warc_folder(coded)
    codings = {r["url"].rstrip("/").rsplit("/", 1)[-1] for r in query(coded, "select url from captures where status = 200")}
    assert set(ENCODERS) <= codings
    texts = articles(coded)
    assert set(texts) == set(TITLES.values())
    assert all(PARAGRAPH.strip().split()[0] in text for text in texts.values())


def test_reindex_and_show_read_every_coding_back(coded, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(coded, copy)
    proc = run_arshif("reindex", copy)
    assert ", 4 articles in " in proc.stdout
    assert articles(copy) == articles(coded)
    for coding in ENCODERS:
        url = next(r["url"] for r in query(coded, "select url from captures") if r["url"].endswith(f"/{coding}/"))
        shown = run_arshif("show", url, "--out", coded, "--body").stdout
        assert f"Content-Encoding: {coding}" in shown and f"مرمّزة بـ {coding}." in shown


@pytest.fixture(scope="module")
def pywb(coded):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "archive.cli", "replay", str(coded), "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first_line = proc.stdout.readline()
    assert "pywb is replaying" in first_line, proc.stderr.read() if proc.poll() is not None else first_line
    yield f"http://127.0.0.1:{port}/arshif"
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=30)


def replayed(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.mark.parametrize("coding", list(ENCODERS))
def test_pywb_replays_every_coding_as_the_origin_decoded_it(coded, pywb, coding):
    row = next(r for r in query(coded, "select url, warc_date from captures") if r["url"].endswith(f"/{coding}/"))
    timestamp = re.sub(r"\D", "", row["warc_date"])[:14]
    status, headers, body = replayed(f"{pywb}/{timestamp}id_/{row['url']}")
    assert status == 200 and body == post_html(coding).encode(), (coding, headers, body[:200])
    status, _, body = replayed(f"{pywb}/{timestamp}/{row['url']}")  # rewritten, as a reader sees it
    assert status == 200 and TITLES[coding] in body.decode("utf-8")
