"""A big Arabic WordPress blog as static files, for the speed benchmark (served by nginx).

Deterministic for a given (articles, seed): the same bytes every run. Each article page is ≈ 11 KB
of UTF-8, as a classic WordPress theme with Jetpack renders one: header and menu, the post with
harakat, tatweel and Eastern Arabic digits, a share block (شارك), a related block (مقالات ذات صلة),
previous/next links, a comment form, a sidebar of widgets and a footer. Beside the articles: the
home page and /page/N/ listings (10 posts each), one page per category, /about/, an RSS feed,
robots.txt announcing /wp-sitemap.xml (an index of 2,000-URL sitemaps, as WordPress splits them),
one stylesheet, one script and one logo. Slugs are Arabic, percent-encoded in links as WordPress
writes them.

    python benchmarks/blogsite.py OUTDIR --articles 5000 --base http://127.0.0.1:8080

50,000 articles take ≈ 15 s to write on one core (string templates, one file per page).
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape
from pathlib import Path
from urllib.parse import quote
from xml.sax.saxutils import escape as xml_escape

from archive.demo.content import AUTHORS, CATEGORIES, MONTHS_AR

BLOG_NAME = "مدونة الذاكرة الكبيرة"
TAGLINE = "مقالات في السياسة والثقافة والاقتصاد والمجتمع"
PER_PAGE = 10
SITEMAP_SIZE = 2000  # URLs per wp-sitemap-posts-post-N.xml, as WordPress
EASTERN_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
# Words that carry harakat or tatweel, mixed into the text as real posts have them.
MARKED = ["الكِتَابَةُ", "المَدِينَةُ", "التَّارِيخُ", "الذَّاكِرَةُ", "الأرشيـــف", "الثقافـــة", "المجتمـــع"]
SLUG_WORDS = ["ذاكرة", "مدينة", "سوق", "نهر", "جيل", "حوار", "أرشيف", "طريق", "بيت", "مدرسة", "شارع", "موسم",
              "رحلة", "كتاب", "صورة", "قرية", "ساحة", "باب", "جسر", "حديقة"]
TITLE_WORDS = ["قراءة في", "أسئلة", "شهادات من", "على هامش", "دفاتر", "ملامح", "حكاية", "يوميات", "ما بعد",
               "بين"]
CATEGORY_SLUGS = {name: slug for name, (slug, _) in CATEGORIES.items()}
STYLE = ("body{font-family:serif;direction:rtl}.site-header{padding:1em}.widget-area{width:30%}"
         ".entry-content p{line-height:1.8}.sharedaddy ul{display:flex}\n") * 20
SCRIPT = "(function(){document.documentElement.className+=' js';})();\n"
LOGO = bytes.fromhex(  # a 1×1 PNG
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763f8cfc0f0"
    "1f0005000201c1a8e8f40000000049454e44ae426082")


@dataclass
class Post:
    number: int
    title: str
    slug: str
    category: str
    author: str
    published: date
    paragraphs: list[str]

    @property
    def path(self) -> str:
        """The permalink as written in links: /YYYY/MM/DD/slug/ with the Arabic slug percent-encoded."""
        d = self.published
        return f"/{d.year}/{d.month:02d}/{d.day:02d}/{quote(self.slug)}/"

    @property
    def file(self) -> str:
        d = self.published
        return f"{d.year}/{d.month:02d}/{d.day:02d}/{self.slug}/index.html"  # nginx decodes the URI


def make_posts(count: int, seed: int = 9) -> list[Post]:
    """``count`` posts, newest first, five a day back from 2025-12-31."""
    rng = random.Random(seed)
    categories = list(CATEGORIES)
    posts = []
    for n in range(count):
        category = categories[rng.randrange(len(categories))]
        bank = CATEGORIES[category][1]
        words = rng.sample(SLUG_WORDS, 3)
        title = f"{rng.choice(TITLE_WORDS)} {words[0]} {words[1]} و{words[2]}"
        paragraphs = []
        for p in range(5):
            sentences = [rng.choice(bank) for _ in range(2)]
            sentences.insert(rng.randrange(3), f"وتعود {rng.choice(MARKED)} إلى الواجهة منذ عام "
                                               f"{str(1990 + (n + p) % 35).translate(EASTERN_DIGITS)}.")
            paragraphs.append(" ".join(sentences))
        published = date(2025, 12, 31) - timedelta(days=n // 5)
        posts.append(Post(n + 1, title, f"{'-'.join(words)}-{n + 1}", category, AUTHORS[n % len(AUTHORS)],
                          published, paragraphs))
    return posts


def printed_date(d: date) -> str:
    """As Arabic WordPress prints "F j, Y", in Eastern Arabic digits: "ديسمبر ٣١, ٢٠٢٥"."""
    return f"{MONTHS_AR[d.month - 1]} {str(d.day).translate(EASTERN_DIGITS)}, {str(d.year).translate(EASTERN_DIGITS)}"


class BlogSite:
    def __init__(self, posts: list[Post]) -> None:
        self.posts = posts
        self.categories = {name: [p for p in posts if p.category == name][:PER_PAGE] for name in CATEGORIES}
        recent = "".join(f'<li><a href="{p.path}">{escape(p.title)}</a></li>' for p in posts[:5])
        cats = "".join(f'<li class="cat-item"><a href="/category/{slug}/">{escape(name)}</a> '
                       f"({str(len(self.categories[name]) * 37).translate(EASTERN_DIGITS)})</li>"
                       for name, slug in CATEGORY_SLUGS.items())
        menu = "".join(f'<li class="menu-item"><a href="/category/{slug}/">{escape(name)}</a></li>'
                       for name, slug in CATEGORY_SLUGS.items())
        self.header = ('<div id="page" class="site"><a class="skip-link screen-reader-text" href="#content">'
                       'تخطي إلى المحتوى</a><header id="masthead" class="site-header"><div class="site-branding">'
                       f'<img class="custom-logo" src="/wp-content/themes/twentysixteen/logo.png" alt="{BLOG_NAME}">'
                       f'<p class="site-title"><a href="/" rel="home">{BLOG_NAME}</a></p>'
                       f'<p class="site-description">{TAGLINE}</p></div>'
                       '<nav id="site-navigation" class="main-navigation" aria-label="القائمة الرئيسية">'
                       '<ul id="menu-main" class="primary-menu"><li class="menu-item"><a href="/">الرئيسية</a></li>'
                       f'{menu}<li class="menu-item"><a href="/about/">من نحن</a></li></ul></nav>'
                       '<form role="search" class="search-form" action="/"><input type="search" name="s" '
                       'placeholder="بحث …"><button type="submit">بحث</button></form></header>'
                       '<div id="content" class="site-content">')
        self.sidebar = ('<aside id="secondary" class="sidebar widget-area">'
                        '<section class="widget widget_text"><h2 class="widget-title">عن المدونة</h2>'
                        '<div class="textwidget"><p>مدونة عربية مستقلة تكتب عن الذاكرة والمدينة والناس، '
                        'وتنشر مقالات الرأي والتحقيقات القصيرة منذ عام ٢٠٠٩.</p></div></section>'
                        '<section class="widget widget_recent_entries"><h2 class="widget-title">أحدث المقالات</h2>'
                        f'<ul>{recent}</ul></section><section class="widget widget_categories">'
                        f'<h2 class="widget-title">التصنيفات</h2><ul>{cats}</ul></section>'
                        '<section class="widget widget_meta"><h2 class="widget-title">تابعنا</h2><ul>'
                        '<li><a href="https://twitter.com/example">تويتر</a></li>'
                        '<li><a href="https://www.facebook.com/example">فيسبوك</a></li>'
                        '<li><a href="https://t.me/example">تيليغرام</a></li></ul></section></aside>')
        self.footer = ('</div><footer id="colophon" class="site-footer"><nav class="social-navigation"><ul>'
                       '<li><a href="/about/">من نحن</a></li><li><a href="/about/#contact">اتصل بنا</a></li>'
                       '<li><a href="/about/#privacy">سياسة الخصوصية</a></li></ul></nav>'
                       '<div class="site-info"><span class="site-title"><a href="/" rel="home">'
                       f'{BLOG_NAME}</a></span> · جميع الحقوق محفوظة © ٢٠٠٩–٢٠٢٥ · '
                       '<a href="https://wordpress.org/" class="imprint">فخور باستخدام ووردبريس</a></div>'
                       '</footer></div><script src="/wp-includes/js/site.js"></script></body></html>')

    def head(self, title: str, extra: str = "") -> str:
        return ('<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="utf-8">'
                '<meta name="viewport" content="width=device-width, initial-scale=1">'
                f"<title>{escape(title)} – {BLOG_NAME}</title>"
                f'<link rel="alternate" type="application/rss+xml" title="{BLOG_NAME} » الخلاصة" href="/feed/">'
                '<link rel="stylesheet" id="twentysixteen-style-css" '
                'href="/wp-content/themes/twentysixteen/style.css?ver=3.4" media="all">'
                f"{extra}</head>")

    # --- pages -------------------------------------------------------------------------------------
    def article(self, i: int) -> str:
        post, posts = self.posts[i], self.posts
        related = "".join(
            f'<div class="jp-relatedposts-post"><h4 class="jp-relatedposts-post-title">'
            f'<a class="jp-relatedposts-post-a" href="{r.path}">{escape(r.title)}</a></h4>'
            f'<p class="jp-relatedposts-post-excerpt">{escape(r.paragraphs[0][:80])}…</p>'
            f'<p class="jp-relatedposts-post-context">في «{escape(r.category)}»</p></div>'
            for r in (posts[(i + k) % len(posts)] for k in (7, 31, 101)))
        nav = ""
        if i + 1 < len(posts):
            nav += (f'<div class="nav-previous"><a href="{posts[i + 1].path}" rel="prev">'
                    f'<span class="meta-nav">السابق</span> {escape(posts[i + 1].title)}</a></div>')
        if i > 0:
            nav += (f'<div class="nav-next"><a href="{posts[i - 1].path}" rel="next">'
                    f'<span class="meta-nav">التالي</span> {escape(posts[i - 1].title)}</a></div>')
        share = quote(f"http://blog{post.path}", safe="")
        iso = f"{post.published.isoformat()}T09:30:00+03:00"
        meta = (f'<meta property="og:type" content="article"><meta property="og:title" content="{escape(post.title)}">'
                f'<meta property="article:published_time" content="{iso}">'
                f'<meta name="description" content="{escape(post.paragraphs[0][:150])}">')
        paragraphs = "".join(f"<p>{escape(t)}</p>" for t in post.paragraphs)
        category = CATEGORY_SLUGS[post.category]
        return (self.head(post.title, meta) + '<body class="post-template-default single single-post">'
                + self.header + '<div id="primary" class="content-area"><main id="main" class="site-main">'
                + f'<article id="post-{post.number}" class="post type-post status-publish hentry">'
                + f'<header class="entry-header"><h1 class="entry-title">{escape(post.title)}</h1></header>'
                + '<div class="entry-meta"><span class="byline">بقلم <span class="author vcard">'
                + f'<a class="url fn n" href="/about/">{escape(post.author)}</a></span></span> '
                + f'<span class="posted-on"><time class="entry-date published" datetime="{iso}">'
                + f"{printed_date(post.published)}</time></span></div>"
                + f'<div class="entry-content">{paragraphs}'
                + '<div class="sharedaddy sd-sharing-enabled"><div class="robots-nocontent sd-block sd-social">'
                + '<h3 class="sd-title">شارك:</h3><div class="sd-content"><ul>'
                + f'<li class="share-twitter"><a class="share-twitter sd-button" href="https://twitter.com/intent/tweet?url={share}">'
                + "<span>تويتر</span></a></li>"
                + f'<li class="share-facebook"><a class="share-facebook sd-button" href="https://www.facebook.com/sharer.php?u={share}">'
                + "<span>فيسبوك</span></a></li>"
                + f'<li class="share-telegram"><a class="share-telegram sd-button" href="https://t.me/share/url?url={share}">'
                + "<span>تيليغرام</span></a></li></ul></div></div></div>"
                + '<div id="jp-relatedposts" class="jp-relatedposts"><h3 class="jp-relatedposts-headline">'
                + f'<em>مقالات ذات صلة</em></h3><div class="jp-relatedposts-items">{related}</div></div></div>'
                + f'<footer class="entry-footer"><span class="cat-links">التصنيفات: <a href="/category/{category}/" '
                + f'rel="category tag">{escape(post.category)}</a></span></footer></article>'
                + f'<nav class="navigation post-navigation" aria-label="مقالات"><div class="nav-links">{nav}</div></nav>'
                + '<div id="comments" class="comments-area"><div id="respond" class="comment-respond">'
                + '<h3 id="reply-title" class="comment-reply-title">أضف تعليقاً</h3><form id="commentform" '
                + 'action="/wp-comments-post.php" method="post"><p class="comment-notes">لن يتم نشر عنوان '
                + 'بريدك الإلكتروني. الحقول الإلزامية مشار إليها بـ *</p><textarea name="comment"></textarea>'
                + '<input name="author" placeholder="الاسم *"><input name="email" placeholder="البريد الإلكتروني *">'
                + '<input type="submit" value="إرسال التعليق"></form></div></div>'
                + "</main></div>" + self.sidebar + self.footer)

    def listing(self, chunk: list[Post], number: int, total: int, path: str) -> str:
        entries = "".join(
            f'<article id="post-{p.number}" class="post type-post status-publish hentry"><header class="entry-header">'
            f'<h2 class="entry-title"><a href="{p.path}" rel="bookmark">{escape(p.title)}</a></h2></header>'
            f'<div class="entry-meta"><time class="entry-date published" datetime="{p.published.isoformat()}T09:30:00+03:00">'
            f'{printed_date(p.published)}</time></div><div class="entry-summary"><p>{escape(p.paragraphs[0][:200])}…</p>'
            f'</div><a class="more-link" href="{p.path}">أكمل القراءة</a></article>' for p in chunk)
        links = []
        if total > 1:
            if number > 1:
                links.append(f'<a class="prev page-numbers" href="{self.page_path(number - 1)}">« السابق</a>')
            links += [f'<a class="page-numbers" href="{self.page_path(n)}">{str(n).translate(EASTERN_DIGITS)}</a>'
                      for n in (1, number - 1, number + 1, total) if 1 <= n <= total and n != number]
            if number < total:
                links.append(f'<a class="next page-numbers" href="{self.page_path(number + 1)}">التالي »</a>')
        body = "home blog" if path == "/" else "blog paged" if path.startswith("/page/") else "archive category"
        return (self.head(BLOG_NAME) + f'<body class="{body}">' + self.header
                + f'<div id="primary" class="content-area"><main id="main" class="site-main">{entries}'
                + f'<nav class="navigation pagination"><div class="nav-links">{"".join(links)}</div></nav>'
                + "</main></div>" + self.sidebar + self.footer)

    @staticmethod
    def page_path(number: int) -> str:
        return "/" if number == 1 else f"/page/{number}/"

    def feed(self, base: str) -> str:
        items = "".join(
            f"<item><title>{xml_escape(p.title)}</title><link>{base}{p.path}</link>"
            f"<dc:creator>{xml_escape(p.author)}</dc:creator>"
            f"<pubDate>{p.published.strftime('%a, %d %b %Y')} 06:30:00 +0000</pubDate>"
            f"<category>{xml_escape(p.category)}</category>"
            f"<description>{xml_escape(p.paragraphs[0][:200])}</description></item>" for p in self.posts[:PER_PAGE])
        return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
                f"<channel><title>{BLOG_NAME}</title><link>{base}/</link><description>{TAGLINE}</description>"
                f"<language>ar</language>{items}</channel></rss>")

    def sitemaps(self, base: str) -> dict[str, str]:
        files = {}
        chunks = [self.posts[i:i + SITEMAP_SIZE] for i in range(0, len(self.posts), SITEMAP_SIZE)]
        for n, chunk in enumerate(chunks, start=1):
            urls = "".join(f"<url><loc>{base}{p.path}</loc><lastmod>{p.published.isoformat()}</lastmod></url>"
                           for p in chunk)
            files[f"wp-sitemap-posts-post-{n}.xml"] = (
                '<?xml version="1.0" encoding="UTF-8"?>'
                f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>')
        index = "".join(f"<sitemap><loc>{base}/{name}</loc></sitemap>" for name in files)
        files["wp-sitemap.xml"] = ('<?xml version="1.0" encoding="UTF-8"?>'
                                   f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{index}</sitemapindex>')
        return files


def write_site(folder: Path, base: str, articles: int, seed: int = 9) -> dict[str, int]:
    """Write the blog under ``folder`` for a server at ``base``; return counts of what was written."""
    site = BlogSite(make_posts(articles, seed))
    written = {"articles": 0, "listings": 0, "bytes": 0}

    def put(name: str, text: str | bytes) -> None:
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode() if isinstance(text, str) else text
        target.write_bytes(data)
        written["bytes"] += len(data)

    for i, post in enumerate(site.posts):
        put(post.file, site.article(i))
    written["articles"] = len(site.posts)
    pages = [site.posts[i:i + PER_PAGE] for i in range(0, len(site.posts), PER_PAGE)]
    for number, chunk in enumerate(pages, start=1):
        path = site.page_path(number)
        put(f"{path.strip('/')}/index.html".lstrip("/"), site.listing(chunk, number, len(pages), path))
    for name, slug in CATEGORY_SLUGS.items():
        put(f"category/{slug}/index.html", site.listing(site.categories[name], 1, 1, f"/category/{slug}/"))
    written["listings"] = len(pages) + len(CATEGORY_SLUGS)
    put("about/index.html", site.head("من نحن") + '<body class="page-template-default page">' + site.header
        + '<main id="main" class="site-main"><h1>من نحن</h1><p>مدونة عربية مستقلة.</p></main>'
        + site.sidebar + site.footer)
    put("feed/index.rss", site.feed(base))
    for name, text in site.sitemaps(base).items():
        put(name, text)
    put("robots.txt", f"User-agent: *\nDisallow: /wp-admin/\nSitemap: {base}/wp-sitemap.xml\n")
    put("wp-content/themes/twentysixteen/style.css", STYLE)
    put("wp-content/themes/twentysixteen/logo.png", LOGO)
    put("wp-includes/js/site.js", SCRIPT)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--base", default="http://127.0.0.1:8080")
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args()
    start = time.perf_counter()
    written = write_site(args.folder, args.base, args.articles, args.seed)
    print(f"{written['articles']} articles, {written['listings']} listing pages, {written['bytes'] / 1e6:.1f} MB "
          f"in {time.perf_counter() - start:.1f} s → {args.folder}")


if __name__ == "__main__":
    main()
