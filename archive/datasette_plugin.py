"""Datasette plugin: Arabic search and right-to-left display for an Arshif database.

- ``escape_fts`` is replaced (trylast, so ours wins over Datasette's own), so the table page's
  search box (``?_search=``) normalizes and stems the query exactly as the index was built
  (see ``archive.search``): any spelling finds the article.
- ``arabic_query(q)``, ``arabic_snippet(text, q)`` and ``arabic_normalize(text)`` are SQL functions
  for canned queries.
- Cells holding Arabic text render with ``dir="rtl"``, styled by the plugin's stylesheet.
- URLs read as people write them: ``%D9%85…`` shows as its Arabic (IRI) form, the link and the
  data keep the raw form. JSON lists (categories, tags, related) show as lists.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from datasette import Response, hookimpl
from markupsafe import Markup, escape

from .arabic import fold
from .arabic.search import query_terms, snippet

if TYPE_CHECKING:
    import sqlite3

ARABIC = re.compile("[\u0600-\u06ff]")
LIST_COLUMNS = {"categories", "tags", "related"}
CSS_PATH = "/-/arshif/arshif.css"
CSS = """
.arshif-rtl { direction: rtl; text-align: right; unicode-bidi: plaintext;
  font-family: "Noto Naskh Arabic", "Amiri", "DejaVu Sans", sans-serif; line-height: 1.7; }
td .arshif-rtl { min-width: 10em; max-width: 40em; }
.arshif-url { unicode-bidi: plaintext; word-break: break-all; }
#_search, input[name="q"], textarea[name="q"] { direction: rtl; }
"""


@hookimpl(trylast=True)
def prepare_connection(conn: sqlite3.Connection) -> None:
    conn.create_function("escape_fts", 1, lambda q: query_terms(q) if q else q)
    conn.create_function("arabic_query", 1, lambda q: query_terms(q) if q else '""')
    conn.create_function("arabic_snippet", 2, snippet)
    conn.create_function("arabic_normalize", 1, lambda t: fold(t) if t else t)


@hookimpl
def render_cell(value: Any, column: str, database: str, datasette: Any) -> Markup | None:
    if not isinstance(value, str):
        return None
    if column == "replay_url":  # to the replay `arshif replay` last served, whatever its port
        value = _current_replay_url(value, database, datasette)
    if value.startswith(("http://", "https://")) and " " not in value:
        shown = unquote(value)
        return Markup(f'<a href="{escape(value)}" dir="ltr" class="arshif-url">{escape(shown)}</a>')
    if column in LIST_COLUMNS and value.startswith("["):
        try:
            items = json.loads(value)
        except ValueError:
            items = None
        if isinstance(items, list):
            shown = "، ".join(unquote(str(i)) for i in items)
            return Markup(f'<div dir="rtl" class="arshif-rtl">{escape(shown)}</div>')
    if ARABIC.search(value):
        return Markup(f'<div dir="rtl" class="arshif-rtl">{escape(value)}</div>')
    return None


def _current_replay_url(stored: str, database: str, datasette: Any) -> str:
    from .replaylinks import current_replay_url

    path = datasette.get_database(database).path
    return (current_replay_url(stored, Path(path).parent) if path else stored) or stored


@hookimpl
def extra_css_urls() -> list[str]:
    return [CSS_PATH]


@hookimpl
def register_routes() -> list[tuple[str, Callable[..., Any]]]:
    async def stylesheet() -> Response:
        return Response(CSS, content_type="text/css; charset=utf-8")

    return [(r"^/-/arshif/arshif\.css$", stylesheet)]
