"""Jekyll 4.3 (Debian) and jekyll-feed with the site's own layouts, as many small blogs have: a plain `<article>`
whose author and date are printed in spans named in transliterated Arabic (`span.kateb`,
`span.tarikh`, Arabic month names), with no `<time>`, no JSON-LD, no meta tags and no class a
theme vocabulary knows. The heuristics find no date and no author there; the feed does.

jekyll-feed keeps only the newest posts (`feed.posts_limit`, 10 by default; 5 here), as real feeds
do: the older posts get their date and author only from the rules learned on the feed's pages.
The home page (the site's own `fihris` layout) lists every post as a teaser `<article>` with its
heading link. Categories and tags are labelled lines.
"""

from __future__ import annotations

from pathlib import Path

from .common import fresh
from .content import POSTS, SITE_DESCRIPTION, Post
from .jekyll import jekyll_build, write_config, write_posts

FEED_LIMIT = 5
CHROME = (SITE_DESCRIPTION,)
MONTHS = "يناير,فبراير,مارس,أبريل,مايو,يونيو,يوليو,أغسطس,سبتمبر,أكتوبر,نوفمبر,ديسمبر"

# The site's own post layout (Liquid): what the test site prints, and where.
POST_LAYOUT = """<!DOCTYPE html>
<html lang="ar" dir="rtl">
<head><meta charset="utf-8"><title>{{ page.title }} | {{ site.title }}</title>
<link rel="alternate" type="application/atom+xml" href="{{ "/feed.xml" | relative_url }}"></head>
<body>
<header class="raas"><a href="{{ "/" | relative_url }}">{{ site.title }}</a><p>{{ site.description }}</p></header>
<main>
<article class="maqal">
  <h1 class="onwan">{{ page.title }}</h1>
  {%- assign months = "MONTHS" | split: "," -%}
  {%- assign m = page.date | date: "%-m" | minus: 1 %}
  <div class="bayanat"><span class="kateb">{{ page.author }}</span> ·
    <span class="tarikh">{{ page.date | date: "%-d" }} {{ months[m] }} {{ page.date | date: "%Y" }}</span></div>
  <div class="nass">
{{ content }}
  </div>
  <p class="qism">التصنيف: {% for c in page.categories %}<a href="{{ "/" | relative_url }}">{{ c }}</a>{% endfor %}</p>
  {%- if page.tags.size > 0 %}
  <p class="wasm">الوسوم: {% for t in page.tags %}<a href="{{ "/" | relative_url }}">{{ t }}</a> {% endfor %}</p>
  {%- endif %}
</article>
</main>
<footer class="dhayl"><p>{{ site.description }}</p></footer>
</body>
</html>
""".replace("MONTHS", MONTHS)


# The home page: every post, newest first, as a teaser.
HOME_LAYOUT = """<!DOCTYPE html>
<html lang="ar" dir="rtl">
<head><meta charset="utf-8"><title>{{ site.title }}</title>
<link rel="alternate" type="application/atom+xml" href="{{ "/feed.xml" | relative_url }}"></head>
<body>
<header class="raas"><a href="{{ "/" | relative_url }}">{{ site.title }}</a><p>{{ site.description }}</p></header>
<main>
{%- for post in site.posts %}
<article class="mulakhkhas"><h2><a href="{{ post.url | relative_url }}">{{ post.title }}</a></h2>
  <p>{{ post.excerpt | strip_html | truncatewords: 20 }}</p></article>
{%- endfor %}
</main>
</body>
</html>
"""


def post_path(post: Post) -> str:
    return f"/{post.published:%Y/%m/%d}/{post.slug}.html"


def newest(limit: int = FEED_LIMIT) -> list[Post]:
    """The posts jekyll-feed lists: the newest ``limit``."""
    return sorted(POSTS, key=lambda p: p.published, reverse=True)[:limit]


def build(src_dir: Path, out_dir: Path, base_url: str) -> Path:
    src = fresh(Path(src_dir))
    write_config(src, base_url, permalink="/:year/:month/:day/:title:output_ext", plugins=["jekyll-feed"],
                 feed={"posts_limit": FEED_LIMIT})
    (src / "index.html").write_text("---\nlayout: fihris\n---\n")
    (src / "_layouts").mkdir()
    (src / "_layouts" / "fihris.html").write_text(HOME_LAYOUT)
    (src / "_layouts" / "maqal.html").write_text(POST_LAYOUT)
    write_posts(src, "maqal", last_modified=False)
    return jekyll_build(src, Path(out_dir))
