"""Scrapyd users: deploy the project with scrapyd-deploy and run the blog spider via schedule.json,
against a real scrapyd on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from archive.demo.server import SiteServer

from .conftest import ROOT, free_port, query

BIN = Path(sys.executable).parent



def post(url: str, fields: list[tuple[str, str]]) -> dict:
    data = urllib.parse.urlencode(fields).encode()
    with urllib.request.urlopen(url, data=data, timeout=30) as response:
        return json.load(response)


def test_scrapyd_deploy_and_schedule(tmp_path):
    port = free_port()
    project = tmp_path / "project"
    project.mkdir()
    for package in ("archive", "crawler"):
        (project / package).symlink_to(ROOT / package)
    # the repository's scrapy.cfg, with its deploy target pointed at this test's scrapyd
    cfg = (ROOT / "scrapy.cfg").read_text().replace("http://127.0.0.1:6800/", f"http://127.0.0.1:{port}/")
    (project / "scrapy.cfg").write_text(cfg)
    (tmp_path / "scrapyd.conf").write_text(
        f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\neggs_dir = {tmp_path}/eggs\n"
        f"logs_dir = {tmp_path}/logs\ndbs_dir = {tmp_path}/dbs\nitems_dir =\n")
    scrapyd = subprocess.Popen([str(BIN / "scrapyd")], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            assert time.monotonic() < deadline, "scrapyd did not start"
            time.sleep(0.2)
        deploy = subprocess.run([str(BIN / "scrapyd-deploy"), "-p", "arshif"], cwd=project, capture_output=True, text=True)
        assert '"status": "ok"' in deploy.stdout, deploy.stdout + deploy.stderr
        out = tmp_path / "out"
        with SiteServer("classic") as site:
            job = post(f"http://127.0.0.1:{port}/schedule.json", [
                ("project", "arshif"), ("spider", "blog"), ("url", site.base_url + "/"),
                ("setting", f"ARSHIF_OUT={out}"), ("setting", "AUTOTHROTTLE_ENABLED=False"), ("setting", "DOWNLOAD_DELAY=0")])
            assert job["status"] == "ok"
            deadline = time.monotonic() + 120
            while True:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/listjobs.json?project=arshif", timeout=30) as r:
                    jobs = json.load(r)
                if any(j["id"] == job["jobid"] for j in jobs["finished"]):
                    break
                assert time.monotonic() < deadline, jobs
                time.sleep(0.5)
        assert query(out, "select count(*) n from articles")[0]["n"] == 42
        assert list((out / "warc").glob("*.warc.gz"))
    finally:
        scrapyd.terminate()
        scrapyd.wait()
