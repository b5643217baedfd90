"""``arshif replay --web``: a local ReplayWeb.page viewer of an archive, for those who don't want pywb.

ReplayWeb.page replays a WACZ file inside the browser (a service worker): this module packages
OUT as ``OUT/replay/arshif.wacz`` (again only when the WARC files or the database changed), and
serves from one origin on 127.0.0.1 the viewer's prebuilt files (``/replay/``: ``index.html``,
``ui.js``, ``sw.js`` of the npm package ``replaywebpage``), the WACZ, and a page of ours at ``/``
that embeds ``<replay-web-page>``: without parameters it lists the archive's pages (Arabic titles,
search); ``/?url=URL&ts=TIMESTAMP`` opens one page as captured. A replayed page is only ever
shown inside that embed: opened on its own, ReplayWeb.page sends the browser to the live site.

The viewer's files are not ours to ship (AGPL-3.0, 2 MB): ``make replay-web`` fetches them into
``.replayweb/``, or this module does, with npm, into the user's cache folder.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web
from platformdirs import user_cache_dir

from .replaylinks import record_served
from .serve import check_port
from .store import ArchiveDB
from .warc import warc_files, write_wacz

VIEWER_VERSION = "2.5.3"
VIEWER_PACKAGE = f"replaywebpage@{VIEWER_VERSION}"
VIEWER_FILES = ("index.html", "ui.js", "sw.js")
VIEWER_FOLDER = f"replaywebpage-{VIEWER_VERSION}"  # under .replayweb/ (make replay-web) or the cache
PROJECT_ROOT = Path(__file__).resolve().parent.parent
WACZ_NAME = "arshif.wacz"


class ReplayWebError(Exception):
    pass


def viewer_folders() -> list[Path]:
    """Where the viewer's files are looked for, in order: the project's ``.replayweb/`` (``make
    replay-web``), the user's cache folder (where this module fetches them)."""
    return [PROJECT_ROOT / ".replayweb" / VIEWER_FOLDER, Path(user_cache_dir("arshif")) / VIEWER_FOLDER]


def _complete(folder: Path) -> bool:
    return all((folder / name).is_file() for name in VIEWER_FILES)


def find_viewer(*, fetch: bool = True, say: Callable[[str], None] = print) -> Path:
    """The folder holding ReplayWeb.page's prebuilt files: $ARSHIF_REPLAYWEB when set, else the first
    of ``viewer_folders()`` that has them, else fetched with npm into the cache (``fetch``); a
    one-line error naming the make target when none can be had."""
    chosen = os.environ.get("ARSHIF_REPLAYWEB")
    if chosen:
        if not _complete(Path(chosen)):
            raise ReplayWebError(f"ARSHIF_REPLAYWEB={chosen} lacks ReplayWeb.page's {', '.join(VIEWER_FILES)}: "
                                 "unset it or run `make replay-web`")
        return Path(chosen)
    for folder in viewer_folders():
        if _complete(folder):
            return folder
    npm = shutil.which("npm")
    if not fetch or not npm:
        raise ReplayWebError("the ReplayWeb.page viewer is not installed: run `make replay-web` (needs npm)")
    dest = viewer_folders()[-1]
    say(f"Fetching ReplayWeb.page {VIEWER_VERSION} with npm into {dest} (once)")
    return fetch_viewer(npm, dest)


def fetch_viewer(npm: str, dest: Path) -> Path:
    """``npm pack`` the viewer's package and keep its prebuilt files (and licence) in ``dest``."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        try:
            proc = subprocess.run([npm, "pack", VIEWER_PACKAGE, "--pack-destination", tmp, "--silent"],
                                  capture_output=True, text=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ReplayWebError(f"npm pack {VIEWER_PACKAGE} failed: {exc}") from None
        tarballs = list(Path(tmp).glob("*.tgz"))
        if proc.returncode != 0 or not tarballs:
            last = (proc.stderr.strip().splitlines() or ["no package written"])[-1]
            raise ReplayWebError(f"npm pack {VIEWER_PACKAGE} failed: {last} (or run `make replay-web`)")
        unpacked = Path(tmp) / "viewer"
        with tarfile.open(tarballs[0]) as tar:
            for name in (*VIEWER_FILES, "LICENSE"):
                member = tar.getmember(f"package/{name}")
                member.name = name
                tar.extract(member, unpacked, filter="data")
        shutil.rmtree(dest, ignore_errors=True)
        unpacked.rename(dest)
    return dest


def package(out: str | Path) -> Path:
    """``OUT/replay/arshif.wacz``, written again only when a WARC file or the database is newer."""
    out = Path(out)
    wacz = out / "replay" / WACZ_NAME
    sources = [*warc_files(out, check=False), out / "archive.db", out / "archive.db-wal"]
    newest = max(p.stat().st_mtime for p in sources if p.exists())
    if wacz.exists() and wacz.stat().st_mtime >= newest:
        return wacz
    wacz.parent.mkdir(parents=True, exist_ok=True)
    with ArchiveDB.existing(out) as db:
        pages, first = db.article_pages(), db.first_crawl()
    write_wacz(out, wacz, pages=pages, title=f"Arshif archive of {first['start_url'] if first else out.name}")
    return wacz


def viewer_page(title: str, source: str) -> str:
    """Our page at ``/``: the ``<replay-web-page>`` embed over the whole window, opened on the page
    the query string names (``url``, ``ts``) or, without one, on the archive's page list."""
    return f"""<!doctype html>
<html lang="ar" dir="rtl">
<head>
<meta charset="utf-8">
<title>{html.escape(title)} · ReplayWeb.page</title>
<script src="replay/ui.js"></script>
<style>html, body {{ margin: 0; height: 100%; }} replay-web-page {{ display: block; height: 100vh; }}</style>
</head>
<body>
<replay-web-page source="{html.escape(source)}" replayBase="replay/"></replay-web-page>
<script>
  const params = new URLSearchParams(location.search), embed = document.querySelector("replay-web-page");
  for (const name of ["url", "ts"]) if (params.get(name)) embed.setAttribute(name, params.get(name));
</script>
</body>
</html>
"""


def viewer_app(wacz: Path, viewer: Path, title: str) -> web.Application:
    """The viewer, its files and the WACZ, from one origin. The WACZ is read with Range requests;
    its URL carries its time, so a new package is a new collection in the browser, not a stale one."""
    source = f"{WACZ_NAME}?v={int(wacz.stat().st_mtime)}"
    page = viewer_page(title, source)

    async def index(request: web.Request) -> web.Response:
        return web.Response(text=page, content_type="text/html", charset="utf-8")

    def file(path: Path) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handler(request: web.Request) -> web.FileResponse:
            return web.FileResponse(path, headers={"Cache-Control": "no-cache"})
        return handler

    app = web.Application()
    app.router.add_get("/", index)
    app.router.add_get("/replay/", file(viewer / "index.html"))
    for name in VIEWER_FILES:
        app.router.add_get(f"/replay/{name}", file(viewer / name))
    app.router.add_get(f"/{WACZ_NAME}", file(wacz))
    return app


def serve(out: str | Path, port: int, *, on_ready: Callable[[str], None], say: Callable[[str], None] = print) -> None:
    """Package OUT, then serve its viewer on 127.0.0.1:port until Ctrl-C or SIGTERM; ``on_ready``
    is called with the viewer's base URL once it listens, ``say`` with what happens before."""
    out = Path(out)
    check_port(port, "replay --web", ReplayWebError)
    viewer = find_viewer(say=say)
    wacz = package(out)
    base = f"http://127.0.0.1:{port}"
    with ArchiveDB.existing(out) as db:
        first = db.first_crawl()
    app = viewer_app(wacz, viewer, f"Arshif · {first['start_url'] if first else out.name}")

    def ready(_aiohttp_banner: str) -> None:
        record_served(out, "web", base)
        on_ready(base)

    web.run_app(app, host="127.0.0.1", port=port, print=ready, access_log=None)
