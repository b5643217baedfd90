"""Jekyll 4.3 (Debian) with jekyll-theme-minima 2.5, jekyll-feed and jekyll-seo-tag.

Minima prints the date with Liquid's strftime (English month names only: "Dec 8, 2024"; no
Arabic month names without writing a theme, so the theme default stays) in `<time datetime>`,
the author in `<span itemprop="author">`, and no categories, tags or related posts in the page;
jekyll-seo-tag adds JSON-LD (datePublished, author) and meta tags. Permalinks are Jekyll's default
`/:categories/:year/:month/:day/:title.html`, so every post URL holds its Arabic category.
"""

from __future__ import annotations

from pathlib import Path

from .common import RawYaml, fresh, front_matter, run, which, yaml_value
from .content import POSTS, SITE_DESCRIPTION, SITE_TITLE, TIMEZONE_NAME, Post

# Printed on every post page outside the post: the header's and footer's site title and description.
CHROME = (SITE_DESCRIPTION,)


def post_path(post: Post) -> str:
    """Jekyll's default permalink, `/:categories/:year/:month/:day/:title:output_ext`."""
    return f"/{post.category}/{post.published:%Y/%m/%d}/{post.slug}.html"


def build(src_dir: Path, out_dir: Path, base_url: str) -> Path:
    src = fresh(Path(src_dir))
    write_config(src, base_url, theme="minima", plugins=["jekyll-feed", "jekyll-seo-tag"], feed={"posts_limit": 20})
    (src / "index.md").write_text("---\nlayout: home\n---\n")
    write_posts(src, "post", last_modified=True)
    return jekyll_build(src, Path(out_dir))


def write_config(src: Path, base_url: str, **settings: object) -> None:
    """`_config.yml`: the site's title, language and zone, then ``settings`` (theme, plugins …)."""
    config = {"title": SITE_TITLE, "description": SITE_DESCRIPTION, "lang": "ar", "timezone": TIMEZONE_NAME,
              "url": base_url.rstrip("/"), "baseurl": "", **settings}
    (src / "_config.yml").write_text("".join(f"{k}: {yaml_value(v)}\n" for k, v in config.items()))


def write_posts(src: Path, layout: str, *, last_modified: bool) -> None:
    """Every post in `_posts/` with its front matter (``last_modified``: the edit date too, which
    jekyll-feed prints as the entry's <updated>)."""
    posts = src / "_posts"
    posts.mkdir()
    for post in POSTS:
        fields = {
            "layout": layout, "title": post.title,
            "date": RawYaml(post.published.strftime("%Y-%m-%d %H:%M:%S %z")),
            "last_modified_at": (RawYaml(post.modified.strftime("%Y-%m-%d %H:%M:%S %z"))
                                 if post.modified and last_modified else None),
            "author": post.author, "categories": [post.category], "tags": list(post.tags),
        }
        (posts / f"{post.published:%Y-%m-%d}-{post.slug}.md").write_text(front_matter(fields) + post.body_markdown)


def jekyll_build(src: Path, out: Path) -> Path:
    run([which("jekyll"), "build", "--quiet", "--source", src, "--destination", out.resolve()], cwd=src,
        env={"JEKYLL_ENV": "production", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"})
    return out
