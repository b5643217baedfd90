"""Replay a crawl with pywb, started on 127.0.0.1 over the crawl's own WARC files.

pywb pins dependencies that clash with ours (redis 2.10, an old gevent), so it lives in its own
environment, ``.venv-replay`` (``make replay-env``), or anywhere on PATH; this module only prepares
a pywb collection under ``OUT/replay/`` (links to the WARCs and a fresh CDXJ index) and runs it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from .replaylinks import COLLECTION, record_served
from .serve import check_port
from .warc import warc_files, write_cdxj

PROJECT_ROOT = Path(__file__).resolve().parent.parent


# pywb decodes Content-Encoding through warcio, which knows no zstd and then serves the compressed
# bytes as the page. pywb's own Python registers a decoder first (backports.zstd, which
# `make replay-env` installs beside pywb), then runs wayback as its command would.
WAYBACK_WITH_ZSTD = """
import sys
try:
    from compression import zstd
except ImportError:
    try:
        from backports import zstd
    except ImportError:
        zstd = None
if zstd is not None:
    from warcio.bufferedreaders import BufferedReader

    class ZstdDecoder:  # the zlib-like face warcio expects
        def __init__(self):
            self.decoder = zstd.ZstdDecompressor()

        def decompress(self, data):
            return self.decoder.decompress(data)

        @property
        def unused_data(self):
            return self.decoder.unused_data

        def flush(self):  # warcio flushes a decoder when it closes the stream
            return b""

    BufferedReader.DECOMPRESSORS.setdefault("zstd", ZstdDecoder)
from pywb.apps.cli import wayback
sys.exit(wayback())
"""


class ReplayError(Exception):
    pass


def find_wayback() -> str:
    """pywb's ``wayback`` command: $ARSHIF_PYWB, the project's .venv-replay, or PATH."""
    candidates = [os.environ.get("ARSHIF_PYWB"), str(PROJECT_ROOT / ".venv-replay" / "bin" / "wayback"),
                  shutil.which("wayback")]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise ReplayError("pywb is not installed: run `make replay-env` (or set ARSHIF_PYWB to pywb's wayback command)")


def prepare_collection(out: str | Path) -> Path:
    """OUT/replay/collections/arshif/{archive,indexes}: links to the WARCs and their CDXJ index."""
    out = Path(out).resolve()
    root = out / "replay"
    archive, indexes = root / "collections" / COLLECTION / "archive", root / "collections" / COLLECTION / "indexes"
    for folder in (archive, indexes):
        folder.mkdir(parents=True, exist_ok=True)
    for stale in archive.iterdir():
        stale.unlink()
    for path in warc_files(out):
        (archive / path.name).symlink_to(path)
    write_cdxj(out, indexes / "index.cdxj")
    (root / "config.yaml").write_text("# written by arshif replay\nframed_replay: false\n")
    return root


def start(out: str | Path, port: int = 8080) -> subprocess.Popen:
    """Start pywb on 127.0.0.1:port over OUT and wait until it answers."""
    wayback = find_wayback()
    check_port(port, "replay", ReplayError)
    root = prepare_collection(out)
    python = Path(wayback).parent / "python"  # pywb's environment (a wayback found elsewhere runs as it is)
    command = [str(python), "-c", WAYBACK_WITH_ZSTD] if os.access(python, os.X_OK) else [wayback]
    proc = subprocess.Popen([*command, "-b", "127.0.0.1", "-p", str(port)], cwd=root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            error = proc.stderr.read() if proc.stderr else b""
            raise ReplayError(f"pywb exited: {error.decode(errors='replace').strip()[-300:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                record_served(out, "pywb", f"http://127.0.0.1:{port}")
                return proc
        time.sleep(0.2)
    proc.kill()
    raise ReplayError(f"pywb did not start on port {port} within 60 s")
