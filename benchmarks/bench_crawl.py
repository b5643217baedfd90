"""Benchmark: an Arshif crawl (WARC capture + extraction + SQLite) against bare Scrapy on the same
local blog, in the same run, served by nginx (Python's http.server is a poor benchmark target).

    make bench      # installs nginx if missing, then runs this and bench_dates.py

The blog is the demo blog at --scale times its size (default 10: 420 articles, 60 listing pages).
Both crawlers run with the same concurrency and no throttling; each is a fresh process, so both
figures include process start-up. Prints pages/s for each and the ratio.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from archive.demo.server import free_port
from archive.demo.site import build_site
from archive.store import ArchiveDB

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SETTINGS = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS=16",
            "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16", "-s", "LOG_LEVEL=WARNING", "-s", "ROBOTSTXT_OBEY=False"]
# The crawl report (OUT/report.html) costs 2–3 s once per crawl, whatever its size: left out of a
# pages-per-second comparison with bare Scrapy.
NO_REPORT = ["-s", "ARSHIF_REPORT=False"]

NGINX_CONF = """
daemon off; worker_processes 1; pid {tmp}/nginx.pid; error_log {tmp}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off; client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi; uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
  types {{ text/html html; application/xml xml; text/plain txt; application/rss+xml rss; }}
  gzip on; gzip_types application/xml application/rss+xml text/plain;
  server {{
    listen 127.0.0.1:{port}; root {site}; index index.html index.rss;
  }}
}}
"""


def write_site(folder: Path, base: str, scale: int) -> int:
    """Write the classic-theme blog as static files; return the number of HTML pages."""
    pages = 0
    for path, resource in build_site("classic", base, scale=scale).items():
        target = folder / path.lstrip("/")
        if path.endswith("/"):
            name = "index.rss" if "rss" in resource.content_type else "index.html"
            target = target / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(resource.body)
        pages += resource.content_type.startswith("text/html")
    return pages


def timed(cmd: list[str], cwd=ROOT) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, proc.stdout + proc.stderr


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=int, default=10)
    args = parser.parse_args()
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    bindir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        tmp.chmod(0o755)  # nginx workers run as an unprivileged user
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        html_pages = write_site(tmp / "site", base, args.scale)
        (tmp / "nginx.conf").write_text(NGINX_CONF.format(tmp=tmp, port=port, site=tmp / "site"))
        server = subprocess.Popen([nginx, "-c", str(tmp / "nginx.conf")], stderr=subprocess.DEVNULL)
        try:
            for _ in range(50):
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", port)) == 0:
                        break
                time.sleep(0.1)
            t_ours, out = timed([str(bindir / "arshif"), "crawl", f"{base}/", "--out", str(tmp / "out"), *SETTINGS,
                                 "-s", "ARSHIF_PROGRESS_INTERVAL=0", *NO_REPORT])
            ours_pages = int(re.search(r"pages captured : (\d+)", out).group(1))
            articles = int(re.search(r"articles       : (\d+)", out).group(1))
            # The baseline fetches exactly the URLs Arshif captured, so both do the same HTTP work.
            with ArchiveDB.existing(tmp / "out") as db:
                urls = db.captured_urls()
            (tmp / "urls.txt").write_text("\n".join(urls))
            # from the temp folder: bare Scrapy, without this project's settings and components
            t_base, out = timed([str(bindir / "scrapy"), "runspider", str(HERE / "baseline_spider.py"),
                                 "-a", f"urls_file={tmp / 'urls.txt'}", *SETTINGS], cwd=tmp)
            base_pages = int(re.search(r"BASELINE_PAGES=(\d+)", out).group(1))
            # Capture only (WARC, captures, links; articles later), then `arshif extract` on its own.
            t_capture, out = timed([str(bindir / "arshif"), "crawl", f"{base}/", "--out", str(tmp / "capture"),
                                    *SETTINGS, "-s", "ARSHIF_PROGRESS_INTERVAL=0", *NO_REPORT, "--capture-only"])
            capture_pages = int(re.search(r"pages captured : (\d+)", out).group(1))
            t_extract, out = timed([str(bindir / "arshif"), "extract", str(tmp / "capture")])
            extracted = int(re.search(r", (\d+) articles extracted", out).group(1))
        finally:
            server.terminate()
            server.wait()
    print(f"site: {html_pages} HTML pages ({args.scale}x demo blog) on nginx, {os.cpu_count()} cores")
    print(f"bare Scrapy (same URLs, store nothing): {base_pages} pages in {t_base:.2f} s = {base_pages / t_base:.1f} pages/s")
    print(f"arshif crawl (WARC + extract + SQLite)   : {ours_pages} pages, {articles} articles in {t_ours:.2f} s "
          f"= {ours_pages / t_ours:.1f} pages/s")
    print(f"ratio arshif / bare Scrapy (pages/s): {(ours_pages / t_ours) / (base_pages / t_base):.2f}")
    print(f"arshif crawl --capture-only            : {capture_pages} pages in {t_capture:.2f} s "
          f"= {capture_pages / t_capture:.1f} pages/s; ratio to bare Scrapy "
          f"{(capture_pages / t_capture) / (base_pages / t_base):.2f}")
    print(f"arshif extract afterwards              : {extracted} articles in {t_extract:.2f} s "
          f"= {extracted / t_extract:.1f} articles/s")


if __name__ == "__main__":
    main()
