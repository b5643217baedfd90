"""Build a generated site and serve its folder on 127.0.0.1 (the fixture in tests/conftest.py)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote

from archive.demo.server import BackgroundServer

from .content import POSTS, Post

GENERATORS = ("jekyll", "hexo", "nikola", "mkdocs_material")
# A blog our heuristics do not understand, with no feed: the health line's test site.
DEFEATING = "mkdocs_plain"


def generator(name: str) -> ModuleType:
    return importlib.import_module(f"tests.sites.{name}")


class StaticHandler(SimpleHTTPRequestHandler):
    """Files as they are on disk, `index.html` for a folder, UTF-8 text types."""

    protocol_version = "HTTP/1.1"
    extensions_map = {
        ".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
        ".xml": "application/xml; charset=utf-8", ".xsl": "application/xml; charset=utf-8",
        ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
        ".json": "application/json", ".txt": "text/plain; charset=utf-8", ".svg": "image/svg+xml",
        ".png": "image/png", ".jpg": "image/jpeg", ".ico": "image/x-icon", ".woff2": "font/woff2",
        ".woff": "font/woff", ".map": "application/json", ".gz": "application/gzip", "": "application/octet-stream",
    }

    def log_message(self, format: str, *args: Any) -> None:
        pass


class StaticServer(BackgroundServer):
    def __init__(self, folder: Path, port: int) -> None:
        super().__init__(partial(StaticHandler, directory=str(folder)), port)


@dataclass
class Site:
    name: str
    base_url: str          # http://127.0.0.1:PORT/
    folder: Path           # the generated HTML
    truth: dict[str, Post]  # post URL (as the site links it, percent-encoded) -> its source post
    chrome: tuple[str, ...]


def truth_for(name: str, base_url: str, folder: Path) -> dict[str, Post]:
    module = generator(name)
    urls = {}
    for post in POSTS:
        path = module.post_path(post)
        file = folder / path.lstrip("/")
        if path.endswith("/"):
            file = file / "index.html"
        assert file.is_file(), f"{name}: no page for {post.slug} at {path}"
        urls[base_url.rstrip("/") + quote(path)] = post
    return urls
