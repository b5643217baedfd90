"""Datasette plugin: Arabic search and right-to-left display for an Arshif database.

- ``escape_fts`` is replaced (trylast, so ours wins over Datasette's own), so the table page's
  search box (``?_search=``) normalizes and stems the query exactly as the index was built
  (see ``archive.search``): any spelling finds the article.
- ``arabic_query(q)``, ``arabic_snippet(text, q)`` and ``arabic_normalize(text)`` are SQL functions
  for canned queries.
- Cells holding Arabic text render with ``dir="rtl"``, styled by the plugin's stylesheet.
- URLs read as people write them: ``%D9%85…`` shows as its Arabic (IRI) form, the link and the
  data keep the raw form. JSON lists (categories, tags, related) show as lists.
- ``templates/``: the articles table opens on its rows (title as the row's label, long cells
  clipped to a few lines); an article's page has its title as the heading, links to the archived
  copy and the live page, and the whole text right to left.
- ``/-/arshif/article?url=…`` finds an article under any form of its URL (Arabic or %xx, upper or
  lower case, with or without the trailing slash, tracking parameters or fragment, or a form it
  was fetched under but is not stored under) and redirects to its row page, which is keyed by
  the stored, canonical URL.
- A plain search from the articles table (``?_search=`` in the default order) goes to the canned
  ``search`` query: ranked by relevance (bm25), with a snippet. With facets or filters it stays a
  filter of the table.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, unquote

from datasette import Response, hookimpl
from datasette.utils import tilde_encode
from markupsafe import Markup, escape

from ..arabic import fold
from ..arabic.search import query_terms, snippet
from ..pages.urls import url_forms
from ..store.database import ARTICLE_BY_URL, LIST_COLUMNS

if TYPE_CHECKING:
    import sqlite3

ARABIC = re.compile("[\u0600-\u06ff]")
CSS_PATH = "/-/arshif/arshif.css"
CSS = """
.arshif-rtl { direction: rtl; text-align: right; unicode-bidi: plaintext;
  font-family: "Noto Naskh Arabic", "Amiri", "DejaVu Sans", sans-serif; line-height: 1.7; }
td .arshif-rtl { min-width: 10em; max-width: 40em; }
.arshif-url { unicode-bidi: plaintext; word-break: break-all; }
#_search, input[name="q"], textarea[name="q"] { direction: rtl; }
mark { background: #fff3a0; }

/* A table page opens on its rows: the form, then the rows; facets, exports and the column
   descriptions (also in each column's menu) after them. */
body.table section.content { display: flex; flex-direction: column; }
body.table section.content > * { order: 0; }
body.table section.content > .facet-results, body.table section.content > .suggested-facets,
body.table section.content > .export-links, body.table section.content > .advanced-export,
body.table section.content > .wrapped-sql { order: 2; }
body.table section.content > dl.column-descriptions { order: 3; columns: 2; font-size: 0.85em; }
/* Rows a few lines tall: long cells are clipped (the article's page shows them whole). */
table.arshif-articles td { vertical-align: top; white-space: normal; }
table.arshif-articles td.col-published, table.arshif-articles td.col-modified,
table.arshif-articles td.col-captured_at { white-space: nowrap; }
table.arshif-articles .arshif-clip { max-height: 4.6em; overflow: hidden; }
table.arshif-articles td.col-text .arshif-clip { min-width: 24em; max-width: 36em; }
table.arshif-articles .arshif-article-cell { min-width: 18em; max-width: 28em; }
.arshif-title-link { display: block; direction: rtl; text-align: right; font-weight: bold; font-size: 1.05em;
  font-family: "Noto Naskh Arabic", "Amiri", "DejaVu Sans", sans-serif; line-height: 1.5; }
.arshif-article-cell .arshif-url { display: block; font-size: 0.8em; color: #555; max-height: 2.6em; overflow: hidden; }

/* An article's page. */
h1.arshif-title { direction: rtl; text-align: right; padding-right: 10px; line-height: 1.5;
  font-family: "Noto Naskh Arabic", "Amiri", "DejaVu Sans", sans-serif; }
.arshif-links { font-size: 0.95em; }
dl.arshif-record { display: grid; grid-template-columns: max-content 1fr; gap: 0.2em 1em; font-size: 0.9em; }
dl.arshif-record dt { font-weight: bold; color: #444; }
dl.arshif-record dd { margin: 0; }
dl.arshif-record dd .arshif-rtl { display: inline-block; min-width: 0; max-width: none; }
.arshif-text { direction: rtl; text-align: right; max-width: 46em; margin-left: auto; font-size: 1.15em;
  line-height: 1.9; font-family: "Noto Naskh Arabic", "Amiri", "DejaVu Sans", sans-serif; }
"""


@hookimpl(trylast=True)
def prepare_connection(conn: sqlite3.Connection) -> None:
    conn.create_function("escape_fts", 1, lambda q: query_terms(q) if q else q)
    conn.create_function("arabic_query", 1, lambda q: query_terms(q) if q else '""')
    conn.create_function("arabic_snippet", 2, snippet)
    conn.create_function("arabic_normalize", 1, lambda t: fold(t) if t else t)


@hookimpl
def prepare_jinja2_environment(env: Any, datasette: Any) -> None:
    env.filters["iri"] = lambda url: unquote(url) if isinstance(url, str) else url
    env.filters["arshif_row_path"] = lambda key: tilde_encode(str(key))
    env.globals["arshif_replay_url"] = lambda stored, database: _current_replay_url(stored, database, datasette)


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any) -> Markup | None:
    if not isinstance(value, str):
        return None
    if column == "title" and table != "articles" and _has(row, "url") and row["url"]:
        # in a query's results (search, unparsed dates…) the title leads to the article's page
        href = datasette.urls.table(database, "articles") + "/" + tilde_encode(row["url"])
        return Markup(f'<a href="{escape(href)}" dir="rtl" class="arshif-rtl">{escape(value)}</a>')
    if column == "replay_url":  # to the replay `arshif replay` last served, whatever its port
        value = _current_replay_url(value, database, datasette)
    if column == "snippet":  # arabic_snippet marks the match with ‹ ›
        marked = re.sub(r"‹([^›]*)›", r"<mark>\1</mark>", str(escape(value)))
        return Markup(f'<div dir="rtl" class="arshif-rtl">{marked}</div>')
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


@hookimpl
def asgi_wrapper() -> Callable[[Any], Any]:
    """``/archive/articles?_search=words`` alone → the ranked search (canned query ``search``)."""
    def wrap(app: Any) -> Any:
        async def ranked_search(scope: dict, receive: Any, send: Any) -> None:
            if scope.get("type") == "http" and scope.get("path", "").endswith("/articles"):
                args = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
                if args.get("_sort_desc") == "published":  # the table's default order, sent back by its form
                    del args["_sort_desc"]
                if list(args) == ["_search"] and args["_search"].strip():
                    database = scope["path"][:-len("/articles")]
                    location = f"{database}/search?q={quote(args['_search'])}"
                    await send({"type": "http.response.start", "status": 302,
                                "headers": [(b"location", location.encode("latin-1"))]})
                    await send({"type": "http.response.body", "body": b""})
                    return
            await app(scope, receive, send)

        return ranked_search

    return wrap


def _current_replay_url(stored: str, database: str, datasette: Any) -> str:
    from ..replaylinks import current_replay_url

    if datasette is None:
        return stored
    path = datasette.get_database(database).path
    return (current_replay_url(stored, Path(path).parent) if path else stored) or stored


def _has(row: Any, column: str) -> bool:
    try:
        return column in row.keys()
    except AttributeError:
        return False


@hookimpl
def extra_css_urls() -> list[str]:
    return [CSS_PATH]


@hookimpl
def register_routes() -> list[tuple[str, Callable[..., Any]]]:
    async def stylesheet() -> Response:
        return Response(CSS, content_type="text/css; charset=utf-8")

    return [(r"^/-/arshif/arshif\.css$", stylesheet), (r"^/-/arshif/article$", article_by_url)]


async def article_by_url(request: Any, datasette: Any) -> Response:
    """``/-/arshif/article?url=ANY_FORM`` → the article's row page (302), or 404."""
    url = (request.args.get("url") or "").strip()
    if not url:
        return Response.text("Give the article's URL: /-/arshif/article?url=https://…", status=400)
    forms = url_forms(url)
    for name, database in datasette.databases.items():
        if name.startswith("_") or not await database.table_exists("articles"):
            continue
        for form in forms:
            row = (await database.execute(ARTICLE_BY_URL, {"url": form})).first()
            if row is not None:
                return Response.redirect(datasette.urls.row(name, "articles", tilde_encode(row["url"])))
    return Response.text(f"{url} is not in this archive", status=404)
