"""The page's JSON-LD (schema.org), read once the same way for classification and extraction."""

from __future__ import annotations

import json
from typing import Any, Iterator

# schema.org types that make a page an article, for classify and extract alike.
ARTICLE_TYPES = {"Article", "BlogPosting", "NewsArticle", "Report", "ReportageNewsArticle", "OpinionNewsArticle",
                 "AnalysisNewsArticle", "TechArticle", "ScholarlyArticle", "LiveBlogPosting"}


def nodes(root: Any) -> list[dict]:
    """Every JSON-LD node of the page, ``@graph`` and ``mainEntity`` members included; broken
    scripts are skipped."""
    found: list[dict] = []
    for text in root.xpath("//script[@type='application/ld+json']/text()"):
        try:
            found.extend(_walk(json.loads(text)))
        except ValueError:
            continue
    return found


def types_of(node: dict) -> set[str]:
    t = node.get("@type")
    return {x for x in t if isinstance(x, str)} if isinstance(t, list) else {t} if isinstance(t, str) else set()


def types(root: Any) -> set[str]:
    """Every ``@type`` the page's JSON-LD declares."""
    return {t for node in nodes(root) for t in types_of(node)}


def article(root: Any) -> dict:
    """The page's article node, with ``@id`` references (Yoast's author, say) resolved; {} if none."""
    found = nodes(root)
    by_id = {n["@id"]: n for n in found if isinstance(n.get("@id"), str)}
    for node in found:
        if types_of(node) & ARTICLE_TYPES:
            return {key: _resolve(value, by_id) for key, value in node.items()}
    return {}


def _resolve(value: Any, by_id: dict) -> Any:
    if isinstance(value, list):
        return [_resolve(v, by_id) for v in value]
    if isinstance(value, dict) and set(value) == {"@id"} and value["@id"] in by_id:
        return by_id[value["@id"]]
    return value


def _walk(data: Any) -> Iterator[dict]:
    if isinstance(data, list):
        for item in data:
            yield from _walk(item)
    elif isinstance(data, dict):
        yield data
        for key in ("@graph", "mainEntity"):
            if key in data:
                yield from _walk(data[key])
