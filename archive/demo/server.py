"""A small HTTP server for a built site (``site.build_site``), bound to 127.0.0.1.

Used by ``arshif demo`` and by the tests. It speaks HTTP/1.1 with keep-alive, gzips text when the
client accepts it (as real blogs do, so the WARC keeps Content-Encoding), sends chunked bodies for
resources that ask for it, and answers 404 for unknown paths.
"""

from __future__ import annotations

import gzip
import hashlib
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from .site import Resource, make_theme

NOT_FOUND = Resource("<html><body><h1>الصفحة غير موجودة</h1></body></html>".encode(), status=404)


class SiteHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ArshifDemo/1.0"
    server: SiteServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.server.requests.append(self.path)
        self.server.request_times.append(time.monotonic())
        if self.server.delay:
            time.sleep(self.server.delay)  # a far-away blog: latency, not CPU, bounds the crawl
        # Like a real blog, a page answers whatever parameters a link adds (?utm_source=…).
        resource = self.server.site.get(self.path) or self.server.site.get(self.path.split("?")[0], NOT_FOUND)
        body = resource.body
        etag = f'"{hashlib.sha1(body).hexdigest()[:16]}"'
        if resource.status == 200 and self.server.conditional:
            if self.headers.get("If-None-Match") == etag:  # unchanged since the client's copy
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        self.send_response(resource.status)
        self.send_header("Content-Type", resource.content_type)
        if resource.status == 200 and self.server.conditional:
            self.send_header("ETag", etag)
        for name, value in resource.headers:
            self.send_header(name, value)
        wants_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
        compressible = resource.content_type.startswith(("text/", "application/xml", "application/rss", "application/javascript"))
        if wants_gzip and body and not resource.chunked and compressible:
            body = gzip.compress(body, mtime=0)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Vary", "Accept-Encoding")
        if resource.chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(body), 512):
                piece = body[start:start + 512]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # keep the demo's and the tests' output clean
        pass


def free_port() -> int:
    """A port nothing listens on right now on 127.0.0.1 (for servers the tests and benchmarks start)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BackgroundServer(ThreadingHTTPServer):
    """An HTTP server on loopback (127.0.0.1 unless told) that answers from a thread of its own while in a ``with`` block
    (the demo blog, and the tests' and benchmarks' servers)."""

    daemon_threads = True
    request_queue_size = 128  # the default 5 overflows under a crawler's concurrency

    def __init__(self, handler: Any, port: int = 0, host: str = "127.0.0.1") -> None:
        super().__init__((host, port), handler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
        self.thread.join(5)


class SiteServer(BackgroundServer):
    def __init__(self, theme: str = "classic", *, traps: bool = False, port: int = 0, scale: int = 1,
                 conditional: bool = True, host: str = "127.0.0.1", delay: float = 0.0) -> None:
        super().__init__(SiteHandler, port, host)
        self.delay = delay  # seconds before each answer
        self.conditional = conditional  # ETag and 304 answers to If-None-Match, as many blogs do
        self.requests: list[str] = []  # every path asked for, in order: what a test counts fetches by
        self.request_times: list[float] = []  # when each arrived (monotonic): what a benchmark traces load by
        self.base_url = f"http://{host}:{self.server_address[1]}"
        self.theme = make_theme(theme, self.base_url, traps=traps, scale=scale)
        self.site = self.theme.build()

    def rebuild(self) -> None:
        """Serve the theme's current posts: tests add, edit and delete posts between crawls."""
        self.site = self.theme.build()


if __name__ == "__main__":  # python -m archive.demo.server [theme] [port]: serve a site by hand
    import sys

    theme = sys.argv[1] if len(sys.argv) > 1 else "classic"
    server = SiteServer(theme, traps=True, port=int(sys.argv[2]) if len(sys.argv) > 2 else 0)
    print(server.base_url, flush=True)
    server.serve_forever()
