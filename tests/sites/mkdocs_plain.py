"""Plain MkDocs 1.6 with its own default `mkdocs` theme (PyPI, `.venv-sites`): a blog written as
documentation, the site that defeats the heuristics.

Nothing on a page says "post": no `<article>`, no Open Graph, no JSON-LD, no `<time>`, no theme
classes; the home page lists the posts as a plain Markdown list, and there is **no feed**. The
writer's byline is Markdown at the top of each post (`**author** · *date*`), the date printed by
hand in one of two regional month-name styles: Egyptian/Gulf ("ديسمبر") with Western digits, or
Levantine ("كانون الأول") with Eastern Arabic digits. MkDocs writes sitemap.xml, so the crawl
finds every post, captures it, and stores none: the health line's case. ``PROFILE`` is what a
user writes for it (README, Per-site profiles).
"""

from __future__ import annotations

from pathlib import Path

from .common import SITES_VENV, fresh, need, run, yaml_value
from .content import POSTS, SITE_DESCRIPTION, SITE_TITLE, Post

# the theme's navigation bar, search dialog and footer
CHROME = ("Documentation built with", "Keyboard Shortcuts", "Search", "Previous")

EGYPTIAN = ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر",
            "نوفمبر", "ديسمبر")
LEVANTINE = ("كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران", "تموز", "آب", "أيلول", "تشرين الأول",
             "تشرين الثاني", "كانون الأول")
EASTERN_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")

# What a user writes for this site once the health line told them to (the byline's <strong> is
# the author, its <em> the date; MkDocs' content column holds the text).
PROFILE = """\
article = "//div[@role='main'][h1]/p[1][strong and em]"
title = "div[role=main] > h1"
author = "div[role=main] > p:first-of-type > strong"
published = "div[role=main] > p:first-of-type > em"
text = "div[role=main]"
"""


def post_path(post: Post) -> str:
    return f"/posts/{post.slug}/"


def printed_date(post: Post) -> str:
    """The date as its writer typed it: every other post in the Levantine style, Eastern digits."""
    when = post.published
    if POSTS.index(post) % 2:
        return f"{when.day} {LEVANTINE[when.month - 1]} {when.year}".translate(EASTERN_DIGITS)
    return f"{when.day} {EGYPTIAN[when.month - 1]} {when.year}"


def build(src_dir: Path, out_dir: Path, base_url: str) -> Path:
    mkdocs = need(SITES_VENV / "bin" / "mkdocs", "MkDocs (.venv-sites)")
    src = fresh(Path(src_dir)).resolve()
    out = Path(out_dir).resolve()
    (src / "mkdocs.yml").write_text(f"""site_name: {yaml_value(SITE_TITLE)}
site_description: {yaml_value(SITE_DESCRIPTION)}
site_url: {yaml_value(base_url)}
use_directory_urls: true
theme:
  name: mkdocs
  locale: ar
""", encoding="utf-8")
    docs = src / "docs"
    (docs / "posts").mkdir(parents=True)
    newest = sorted(POSTS, key=lambda p: p.published, reverse=True)
    (docs / "index.md").write_text(f"# {SITE_TITLE}\n\n{SITE_DESCRIPTION}\n\n" + "".join(
        f"- [{p.title}](posts/{p.slug}.md)\n" for p in newest), encoding="utf-8")
    for post in POSTS:
        (docs / "posts" / f"{post.slug}.md").write_text(
            f"# {post.title}\n\n**{post.author}** · *{printed_date(post)}*\n\n" + post.body_markdown, encoding="utf-8")
    run([mkdocs, "build", "--quiet", "--clean", "--site-dir", out, "--config-file", src / "mkdocs.yml"], cwd=src,
        env={"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"})
    return out
