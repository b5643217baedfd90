"""Hexo 8 with hexo-theme-landscape and hexo-generator-feed (npm, `.sites/node_modules`).

Dates: moment's `ar` locale (Hexo's `language: ar`), "D MMMM YYYY", so landscape prints
e.g. "٨ ديسمبر ٢٠٢٤" (the `ar` locale writes Eastern Arabic digits) in `<time datetime=UTC>`.
Landscape prints no author (article:author meta is the site's `author`), has no
related-posts block, no Arabic strings (English ones) and no RTL stylesheet; `<html>` has no lang.
"""

from __future__ import annotations

import json
from pathlib import Path

from .common import NODE_PREFIX, RawYaml, fresh, front_matter, need, run, yaml_value
from .content import POSTS, SITE_DESCRIPTION, SITE_TITLE, TIMEZONE_NAME, Post

# landscape's share link, previous/next captions, sidebar widget titles, footer
CHROME = ("Share", "Newer", "Older", "Recent Posts", "Tag Cloud", "Powered by")


def post_path(post: Post) -> str:
    return f"/{post.published:%Y/%m/%d}/{post.slug}/"

PLUGINS = ["hexo", "hexo-theme-landscape", "hexo-generator-feed", "hexo-renderer-ejs", "hexo-renderer-stylus",
           "hexo-renderer-marked", "hexo-generator-index", "hexo-generator-archive", "hexo-generator-category",
           "hexo-generator-tag"]


def build(src_dir: Path, out_dir: Path, base_url: str) -> Path:
    modules = NODE_PREFIX / "node_modules"
    hexo = need(modules / ".bin" / "hexo", "Hexo (npm install --prefix .sites hexo)")
    for name in PLUGINS:
        need(modules / name / "package.json", f"npm package {name}")
    src = fresh(Path(src_dir))
    (src / "node_modules").symlink_to(modules)
    versions = {name: json.loads((modules / name / "package.json").read_text())["version"] for name in PLUGINS}
    (src / "package.json").write_text(json.dumps({
        "name": "arshif-test-hexo", "version": "0.0.0", "private": True,
        "hexo": {"version": versions["hexo"]}, "dependencies": versions}, indent=2))
    config = {
        "title": SITE_TITLE, "subtitle": "", "description": SITE_DESCRIPTION, "author": "فريق المدونة",
        # landscape has no Arabic strings: English after Arabic, else it falls back to German
        "language": ["ar", "en"], "timezone": TIMEZONE_NAME, "updated_option": "empty",
        "url": base_url.rstrip("/"), "root": "/",
        "permalink": ":year/:month/:day/:title/",
        "source_dir": "source", "public_dir": str(Path(out_dir).resolve()),
        "date_format": "D MMMM YYYY", "time_format": "HH:mm",
        "per_page": 5, "theme": "landscape",
        "feed": {"type": "atom", "path": "atom.xml", "limit": 20},
    }
    (src / "_config.yml").write_text("".join(f"{k}: {yaml_value(v)}\n" for k, v in config.items()))
    posts = src / "source" / "_posts"
    posts.mkdir(parents=True)
    for post in POSTS:
        fields = {
            "title": post.title,
            "date": RawYaml(post.published.strftime("%Y-%m-%d %H:%M:%S")),
            "updated": RawYaml(post.modified.strftime("%Y-%m-%d %H:%M:%S")) if post.modified else None,
            "author": post.author, "categories": [post.category], "tags": list(post.tags),
        }
        (posts / f"{post.slug}.md").write_text(front_matter(fields) + post.body_markdown)
    out = Path(out_dir)
    if out.exists():
        fresh(out)
    run([hexo, "generate", "--silent"], cwd=src)
    return out
