"""MkDocs 1.6 with Material 9 and its blog plugin, the tags plugin and mkdocs-rss-plugin (PyPI,
`.venv-sites`).

`theme.language: ar` makes the page `lang="ar" dir="rtl"`; the blog plugin prints the date with
Babel's "long" format in Arabic ("ديسمبر" month names) inside `<time datetime>`, authors from
`.authors.yml` (name and avatar), categories as links in the post's sidebar, tags at the top of the
content. The RSS plugin writes feed_rss_created.xml / feed_rss_updated.xml. Material has no
related-posts block built in.
"""

from __future__ import annotations

from pathlib import Path

from .common import SITES_VENV, RawYaml, fresh, front_matter, need, run, yaml_value
from .content import AUTHORS, POSTS, SITE_DESCRIPTION, SITE_TITLE, Post

# the post sidebar (back link, metadata heading, reading time), search box, footer
CHROME = ("رجوع إلى الفهرس", "بيانات وصفية", "قراءة لمدة", "بدء البحث", "Made with")


def post_path(post: Post) -> str:
    return f"/{post.published:%Y/%m/%d}/{post.slug}/"

AUTHOR_IDS = {name: f"author{i}" for i, name in enumerate(AUTHORS, 1)}


def build(src_dir: Path, out_dir: Path, base_url: str) -> Path:
    mkdocs = need(SITES_VENV / "bin" / "mkdocs", "MkDocs Material (.venv-sites)")
    src = fresh(Path(src_dir)).resolve()
    out = Path(out_dir).resolve()
    config = f"""site_name: {yaml_value(SITE_TITLE)}
site_description: {yaml_value(SITE_DESCRIPTION)}
site_url: {yaml_value(base_url)}
use_directory_urls: true
theme:
  name: material
  language: ar
  direction: rtl
plugins:
  - search
  - blog:
      blog_dir: .
      post_date_format: long
      post_url_format: "{{date}}/{{slug}}"
  - tags
  - rss:
      match_path: "posts/.*"
      use_git: false
      date_from_meta:
        as_creation: date.created
        as_update: date.updated
      categories:
        - categories
        - tags
nav:
  - index.md
"""
    (src / "mkdocs.yml").write_text(config, encoding="utf-8")
    docs = src / "docs"
    (docs / "posts").mkdir(parents=True)
    (docs / "index.md").write_text(f"# {SITE_TITLE}\n", encoding="utf-8")
    (docs / ".authors.yml").write_text("authors:\n" + "".join(
        f"  {ident}:\n    name: {yaml_value(name)}\n    description: {yaml_value('كاتب')}\n"
        f"    avatar: {yaml_value('assets/images/favicon.png')}\n" for name, ident in AUTHOR_IDS.items()),
        encoding="utf-8")
    for post in POSTS:
        dates = f"\n  created: {post.published.isoformat()}"
        if post.modified:
            dates += f"\n  updated: {post.modified.isoformat()}"
        fields = {
            "title": post.title, "slug": post.slug, "date": RawYaml(dates),
            "authors": [AUTHOR_IDS[post.author]], "categories": [post.category], "tags": list(post.tags) or None,
        }
        (docs / "posts" / f"{post.slug}.md").write_text(
            front_matter(fields) + f"# {post.title}\n\n" + post.body_markdown, encoding="utf-8")
    run([mkdocs, "build", "--quiet", "--clean", "--site-dir", out, "--config-file", src / "mkdocs.yml"], cwd=src,
        env={"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"})
    return out
