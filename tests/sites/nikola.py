"""Nikola 8.3 (PyPI, `.venv-sites`) with its bundled bootblog4 theme.

`nikola init` writes the stock conf.py; we append our settings: Arabic as the only language
(Nikola marks it RTL: `dir="rtl"`), YAML front matter, Asia/Riyadh, and the Levantine Babel locale
`ar_SY` with a long date format, so posts show e.g. "٨ كانون الأول ٢٠٢٤" style month names in
`<time class="published dt-published" datetime=...>`. Nikola writes RSS (rss.xml) and has no
related-posts block.
"""

from __future__ import annotations

from pathlib import Path

from .common import SITES_VENV, fresh, front_matter, need, run
from .content import POSTS, SITE_DESCRIPTION, SITE_TITLE, TIMEZONE_NAME, Post

# bootblog4's previous/next links, comment heading, footer
CHROME = ("المقالة السابقة", "المقالة التالية", "Powered by", "Contents ©")


def post_path(post: Post) -> str:
    return f"/posts/{post.slug}/"

SETTINGS = '''
# --- Arshif test site (tests/sites/nikola.py) ---
BLOG_TITLE = {title!r}
BLOG_DESCRIPTION = {description!r}
BLOG_AUTHOR = "فريق المدونة"
SITE_URL = {url!r}
BASE_URL = {url!r}
DEFAULT_LANG = "ar"
TRANSLATIONS = {{"ar": ""}}
NAVIGATION_LINKS = {{"ar": (("/archive.html", "الأرشيف"), ("/categories/", "الوسوم"), ("/rss.xml", "RSS"))}}
LOCALES = {{"ar": "ar_SY"}}
DATE_FORMAT = "d MMMM y، HH:mm"
TIMEZONE = {tz!r}
METADATA_FORMAT = "YAML"
POSTS = (("posts/*.md", "posts", "post.tmpl"),)
PAGES = (("pages/*.md", "pages", "page.tmpl"),)
COMPILERS = {{"markdown": (".md",), "html": (".html",)}}
OUTPUT_FOLDER = {output!r}
THEME = "bootblog4"
INDEX_TEASERS = False
SHOW_SOURCELINK = False
COPY_SOURCES = False
GENERATE_RSS = True
FEED_LENGTH = 20
COMMENT_SYSTEM = ""
COMMENT_SYSTEM_ID = ""
'''


def build(src_dir: Path, out_dir: Path, base_url: str) -> Path:
    nikola = need(SITES_VENV / "bin" / "nikola", "Nikola (.venv-sites)")
    src = fresh(Path(src_dir)).resolve()
    out = Path(out_dir).resolve()
    run([nikola, "init", "--quiet", src / "site"], cwd=src)
    site = src / "site"
    with (site / "conf.py").open("a", encoding="utf-8") as conf:
        conf.write(SETTINGS.format(title=SITE_TITLE, description=SITE_DESCRIPTION, url=base_url,
                                   tz=TIMEZONE_NAME, output=str(out)))
    posts = site / "posts"
    posts.mkdir(exist_ok=True)
    for post in POSTS:
        fields = {
            "title": post.title, "slug": post.slug,
            "date": post.published.strftime("%Y-%m-%d %H:%M:%S UTC%z")[:-2] + ":00",
            "updated": post.modified.strftime("%Y-%m-%d %H:%M:%S UTC%z")[:-2] + ":00" if post.modified else None,
            "author": post.author, "category": post.category, "tags": ", ".join(post.tags),
        }
        (posts / f"{post.slug}.md").write_text(front_matter(fields) + post.body_markdown)
    run([nikola, "build"], cwd=site, env={"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"})
    return out
