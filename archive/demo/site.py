"""Render the demo articles as a static blog in one of several themes.

``build_site(theme, base_url)`` returns ``{path_and_query: Resource}``: every page, sitemap, feed and
robots.txt of the blog. Three markups keep the crawler's heuristics honest:

- ``classic``: a classic WordPress theme (article.post, h1.entry-title, time.entry-date, Jetpack
  sharing and related posts, /page/N/ pagination, wp-sitemap.xml announced in robots.txt);
- ``block``: a WordPress block theme (wp-block-post-title, JSON-LD BlogPosting, ?paged=N
  pagination, "اقرأ أيضا" related block, /sitemap.xml found only by its well-known path);
- ``blogger``: a Blogger theme (div.post.hentry, h3.post-title, abbr.published, "رسائل أقدم"
  paging with ?updated-max=, Atom feed, "مواضيع ذات صلة").

With ``traps=True`` the site also holds what a crawler must handle carefully: a page disallowed by
robots.txt, a link that redirects off-site, a missing page, a windows-1256 article and a chunked one.
"""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import dataclass, field
from datetime import date
from html import escape
from xml.sax.saxutils import escape as xml_escape

from .content import MONTHS_AR, Article, articles, wordpress_date

PER_PAGE = 7
THEMES = ("classic", "block", "blogger", "custom")
BLOG_NAME = "مدونة الذاكرة"
BLOG_TAGLINE = "مقالات في السياسة والثقافة والمجتمع"


# Two extra articles for the trap pages: one served as windows-1256, one with chunked encoding.
TRAP_ARTICLES = [
    Article(90, "صفحة قديمة بترميز ويندوز", "تقنية", "عمر الزين", date(2024, 3, 5),
            ["كُتبت هذه الصفحة بترميز ويندوز العربي القديم، كما كانت تُكتب مواقع كثيرة قبل انتشار الترميز الموحد.",
             "ويجب أن يقرأها الأرشيف كما هي، دون أن تتحول حروفها إلى رموز غريبة."], ["ترميز"]),
    Article(91, "صفحة تصل على دفعات", "تقنية", "ليلى منصور", date(2024, 3, 6),
            ["تصل هذه الصفحة من الخادم مجزأة على دفعات متتالية بدل أن تصل دفعة واحدة.",
             "ويحفظ الأرشيف جسمها كاملًا بعد جمع الأجزاء، كما وصل إلى المتصفح."], ["ترميز"]),
    Article(92, "صفحة بترميز معلن خطأ", "تقنية", "يوسف الحداد", date(2024, 3, 7),
            ["يعلن خادم هذه الصفحة أنها بالترميز الموحد، وهي في الحقيقة بترميز ويندوز العربي.",
             "وعلى الأرشيف أن يكتشف ذلك فيقرأ النص سليمًا."], ["ترميز"]),
]


@dataclass
class Resource:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    chunked: bool = False


def make_theme(theme: str, base_url: str, *, traps: bool = False, scale: int = 1) -> "Theme":
    if theme not in THEMES:
        raise ValueError(f"unknown theme {theme!r}; choose one of {', '.join(THEMES)}")
    theme_cls = {"classic": ClassicTheme, "block": BlockTheme, "blogger": BloggerTheme, "custom": CustomTheme}[theme]
    return theme_cls(base_url.rstrip("/"), traps, scale)


def build_site(theme: str, base_url: str, *, traps: bool = False, scale: int = 1) -> dict[str, Resource]:
    return make_theme(theme, base_url, traps=traps, scale=scale).build()


def tiny_png(rgb: tuple[int, int, int]) -> bytes:
    """A valid 1x1 PNG of one colour: images for the demo blog without shipping binaries."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes([0, *rgb])))
            + chunk(b"IEND", b""))


THEME_DIR = "/wp-content/themes/memory"
ASSETS = {
    f"{THEME_DIR}/style.css": Resource(
        b'@import url("fonts.css");\nbody{direction:rtl;font-family:Amiri,serif;background:url(images/pattern.png)}\n',
        "text/css; charset=utf-8"),
    f"{THEME_DIR}/fonts.css": Resource(
        b'@font-face{font-family:Amiri;src:url("fonts/amiri.woff2") format("woff2")}\n', "text/css; charset=utf-8"),
    f"{THEME_DIR}/fonts/amiri.woff2": Resource(b"wOF2" + bytes(60), "font/woff2"),
    f"{THEME_DIR}/images/pattern.png": Resource(tiny_png((230, 220, 200)), "image/png"),
    "/wp-includes/js/site.js": Resource(b"document.documentElement.classList.add('js');\n",
                                        "application/javascript; charset=utf-8"),
}


def related_of(posts: list[Article], post: Article) -> list[Article]:
    """Three related articles: the others of the same category, nearest first."""
    same = [p for p in posts if p.category == post.category and p is not post]
    return same[:3]


class Theme:
    feed_path = "/feed/"

    def __init__(self, base: str, traps: bool, scale: int = 1):
        self.base, self.traps = base, traps
        self.posts = articles(scale)
        self.site: dict[str, Resource] = {}

    # --- URLs ------------------------------------------------------------------------------------
    def post_path(self, post: Article) -> str:
        return f"/{post.published.year}/{post.published.month:02d}/{post.slug}/"

    def listing_path(self, page: int) -> str:
        return "/" if page == 1 else f"/page/{page}/"

    def url(self, path: str) -> str:
        return self.base + path

    def image_path(self, post: Article, suffix: str = "") -> str:
        return f"/wp-content/uploads/{post.published.year}/{post.slug}{suffix}.png"

    def figure(self, post: Article) -> str:
        """The article's featured image, with a 2x srcset; lazy-loaded (data-src) on the newest post."""
        src, src2 = self.image_path(post), self.image_path(post, "-2x")
        attrs = f'src="{src}"' if post is not self.posts[0] else f'src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" data-src="{src}"'
        return f'<figure class="post-thumbnail"><img {attrs} srcset="{src} 1x, {src2} 2x" alt="{escape(post.title)}"></figure>'


    # --- the whole site --------------------------------------------------------------------------
    def build(self) -> dict[str, Resource]:
        self.site = {}
        pages = [self.posts[i:i + PER_PAGE] for i in range(0, len(self.posts), PER_PAGE)]
        for number, chunk in enumerate(pages, start=1):
            self.site[self.listing_path(number)] = self.html(self.listing(chunk, number, len(pages)))
        for i, post in enumerate(self.posts):
            newer = self.posts[i - 1] if i > 0 else None
            older = self.posts[i + 1] if i + 1 < len(self.posts) else None
            self.site[self.post_path(post)] = self.html(self.article(post, newer, older))
        self.site["/robots.txt"] = Resource(self.robots().encode(), "text/plain; charset=utf-8")
        self.site.update(ASSETS)
        for post in self.posts + (TRAP_ARTICLES if self.traps else []):
            self.site[self.image_path(post)] = Resource(tiny_png((post.number % 256, 90, 120)), "image/png")
            self.site[self.image_path(post, "-2x")] = Resource(tiny_png((post.number % 256, 90, 160)), "image/png")
        self.add_sitemaps()
        self.site[self.feed_path] = Resource(self.feed().encode(), "application/rss+xml; charset=utf-8")
        if self.traps:
            self.add_traps()
        return self.site

    def html(self, text: str) -> Resource:
        return Resource(text.encode("utf-8"))

    def robots(self) -> str:
        lines = ["User-agent: *", "Disallow: /private/"]
        return "\n".join(lines) + "\n"

    def add_sitemaps(self) -> None:
        self.site["/sitemap.xml"] = Resource(self.urlset([self.post_path(p) for p in self.posts]),
                                             "application/xml")

    def urlset(self, paths: list[str], lastmods: list | None = None) -> bytes:
        lastmods = lastmods or [None] * len(paths)
        items = "".join(f"<url><loc>{xml_escape(self.url(p))}</loc>"
                        + (f"<lastmod>{m.isoformat()}</lastmod>" if m else "") + "</url>" for p, m in zip(paths, lastmods, strict=True))
        return ('<?xml version="1.0" encoding="UTF-8"?>'
                f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>').encode()

    def feed(self) -> str:
        items = "".join(
            f"<item><title>{xml_escape(p.title)}</title><link>{self.url(self.post_path(p))}</link>"
            f"<dc:creator>{xml_escape(p.author)}</dc:creator></item>" for p in self.posts[:10])
        return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
                'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
                f"<title>{BLOG_NAME}</title><link>{self.base}/</link>{items}</channel></rss>")

    def add_traps(self) -> None:
        # A large download (a scanned PDF, say) for the response size limit.
        self.site["/wp-content/uploads/archive-scan.pdf"] = Resource(b"%PDF-1.4\n" + bytes(range(256)) * 2048,
                                                                       "application/pdf")
        self.site["/cdn/lib.js"] = Resource(b"/* served from the CDN host */\n", "application/javascript")
        self.site["/private/secret/"] = self.html("<html><body><h1>سري</h1></body></html>")
        self.site["/go/elsewhere/"] = Resource(b"", status=302, headers=[
            ("Location", self.base.replace("127.0.0.1", "localhost") + "/offsite/")])
        # A Windows-1256 article and a chunked one, reached from the newest article's related links.
        legacy, streamed, mislabelled = TRAP_ARTICLES
        html = self.article(legacy, None, None).replace('charset="utf-8"', 'charset="windows-1256"')
        self.site["/legacy/windows-1256/"] = Resource(html.encode("cp1256"), "text/html; charset=windows-1256")
        self.site["/streamed/chunked/"] = Resource(self.article(streamed, None, None).encode(), chunked=True)
        # Header and <meta> both say UTF-8; the bytes are windows-1256.
        self.site["/legacy/mislabelled/"] = Resource(self.article(mislabelled, None, None).encode("cp1256"),
                                                     "text/html; charset=utf-8")

    def trap_links(self) -> str:
        if not self.traps:
            return ""
        return ('<li><a href="/private/secret/">سري</a></li><li><a href="/go/elsewhere/">خارج</a></li>'
                '<li><a href="/missing/page/">مفقود</a></li>'
                '<li><a href="/legacy/windows-1256/">ترميز قديم</a></li><li><a href="/streamed/chunked/">مجزأ</a></li>'
                '<li><a href="/wp-content/uploads/archive-scan.pdf">نسخة ممسوحة</a></li>'
                '<li><a href="/legacy/mislabelled/">ترميز معلن خطأ</a></li>'
                # the same articles again with tracking and comment-reply parameters: one row each
                '<li><a href="/streamed/chunked/?utm_source=facebook&amp;utm_medium=social">مجزأ</a></li>'
                '<li><a href="/legacy/windows-1256/?replytocom=12#respond">رد</a></li>')

    def article_urls(self) -> dict[str, Article]:
        """{absolute URL: Article} of every article page the site serves: the tests' truth."""
        urls = {self.url(self.post_path(p)): p for p in self.posts}
        if self.traps:
            legacy, streamed, mislabelled = TRAP_ARTICLES
            urls[self.url("/legacy/windows-1256/")] = legacy
            urls[self.url("/streamed/chunked/")] = streamed
            urls[self.url("/legacy/mislabelled/")] = mislabelled
        return urls

    # --- shared page parts -------------------------------------------------------------------------
    def head(self, title: str, extra: str = "") -> str:
        return (f'<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="utf-8">'
                f"<title>{escape(title)} – {BLOG_NAME}</title>"
                f'<link rel="alternate" type="application/rss+xml" title="{BLOG_NAME}" href="{self.feed_path}">'
                f'<link rel="stylesheet" href="{THEME_DIR}/style.css"><script src="/wp-includes/js/site.js"></script>'
                + (f'<script src="{self.base.replace("127.0.0.1", "localhost")}/cdn/lib.js"></script>' if self.traps else "")
                + f"{extra}</head>")

    def printed_date(self, post: Article) -> str:
        """The publication date as the theme prints it (classic WordPress: "ديسمبر 25, 2025")."""
        return wordpress_date(post.published)

    def listing(self, chunk: list[Article], number: int, total: int) -> str:  # pragma: no cover - themes override
        raise NotImplementedError

    def article(self, post: Article, newer: Article | None, older: Article | None) -> str:  # pragma: no cover - themes override
        raise NotImplementedError


class ClassicTheme(Theme):
    """A classic WordPress theme in the style of Twenty Sixteen with Jetpack."""

    def robots(self) -> str:
        return super().robots() + f"Sitemap: {self.url('/wp-sitemap.xml')}\n"

    def add_sitemaps(self) -> None:
        self.site["/wp-sitemap.xml"] = Resource(
            ('<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
             f"<sitemap><loc>{self.url('/wp-sitemap-posts-post-1.xml')}</loc></sitemap></sitemapindex>").encode(),
            "application/xml")
        self.site["/wp-sitemap-posts-post-1.xml"] = Resource(
            self.urlset([self.post_path(p) for p in self.posts], [p.modified or p.published for p in self.posts]),
            "application/xml")

    def header(self) -> str:
        return (f'<header class="site-header"><p class="site-title"><a href="/" rel="home">{BLOG_NAME}</a></p>'
                f'<p class="site-description">{BLOG_TAGLINE}</p>'
                '<nav class="main-navigation"><ul class="menu"><li><a href="/">الرئيسية</a></li>'
                '<li><a href="/about/">من نحن</a></li></ul></nav></header>')

    def listing(self, chunk: list[Article], number: int, total: int) -> str:
        entries = "".join(
            f'<article class="post type-post status-publish hentry"><header class="entry-header">'
            f'<h2 class="entry-title"><a href="{self.post_path(p)}" rel="bookmark">{escape(p.title)}</a></h2>'
            f'</header><div class="entry-meta"><time class="entry-date published" '
            f'datetime="{p.published.isoformat()}T09:30:00+03:00">{self.printed_date(p)}</time></div>'
            f'<div class="entry-summary"><p>{escape(p.paragraphs[0])}</p></div>'
            f'<a class="more-link" href="{self.post_path(p)}">أكمل القراءة</a></article>' for p in chunk)
        links = []
        if number > 1:
            links.append(f'<a class="prev page-numbers" href="{self.listing_path(number - 1)}">« السابق</a>')
        links += [f'<a class="page-numbers" href="{self.listing_path(n)}">{n}</a>' for n in range(1, total + 1)
                  if n != number and abs(n - number) <= 1]
        if number < total:
            links.append(f'<a class="next page-numbers" href="{self.listing_path(number + 1)}">التالي »</a>')
        body_class = "home blog" + (f" paged paged-{number}" if number > 1 else "")
        return (self.head(BLOG_NAME) + f'<body class="{body_class}">' + self.header()
                + f'<main id="main" class="site-main">{entries}'
                + f'<nav class="navigation pagination"><div class="nav-links">{"".join(links)}</div></nav>'
                + "</main>" + self.sidebar() + "</body></html>")

    def sidebar(self) -> str:
        recent = "".join(f'<li><a href="{self.post_path(p)}">{escape(p.title)}</a></li>' for p in self.posts[:5])
        return f'<aside class="widget-area"><section class="widget widget_recent_entries"><h2>أحدث المقالات</h2><ul>{recent}</ul></section></aside>'

    def article(self, post: Article, newer: Article | None, older: Article | None) -> str:
        related = "".join(f'<p class="jp-relatedposts-post"><a class="jp-relatedposts-post-a" href="{self.post_path(r)}">'
                          f"{escape(r.title)}</a></p>" for r in related_of(self.posts, post))
        paragraphs = "".join(f"<p>{escape(t)}</p>" for t in post.paragraphs)
        modified = (f'<time class="updated" datetime="{post.modified.isoformat()}T12:00:00+03:00">'
                    f"{wordpress_date(post.modified)}</time>") if post.modified else ""
        cats = f'<a href="/category/{escape(post.category)}/" rel="category tag">{escape(post.category)}</a>'
        tags = "، ".join(f'<a href="/tag/{escape(t)}/" rel="tag">{escape(t)}</a>' for t in post.tags)
        nav = ""
        if older:
            nav += f'<div class="nav-previous"><a href="{self.post_path(older)}" rel="prev">{escape(older.title)}</a></div>'
        if newer:
            nav += f'<div class="nav-next"><a href="{self.post_path(newer)}" rel="next">{escape(newer.title)}</a></div>'
        meta = (f'<meta property="og:type" content="article"><meta property="og:title" content="{escape(post.title)}">'
                f'<meta name="description" content="{escape(post.paragraphs[0])}">')
        return (self.head(post.title, meta) + '<body class="post-template-default single single-post">'
                + self.header() + '<main id="main" class="site-main">'
                + '<article class="post type-post status-publish hentry"><header class="entry-header">'
                + f'<h1 class="entry-title">{escape(post.title)}</h1><div class="entry-meta">'
                + f'<span class="byline">بقلم <span class="author vcard"><a class="url fn n" href="/author/{post.number % 6}/">'
                + f"{escape(post.author)}</a></span></span> "
                + f'<time class="entry-date published" datetime="{post.published.isoformat()}T09:30:00+03:00">'
                + f"{self.printed_date(post)}</time>{modified}</div></header>"
                + f'<div class="entry-content">{self.figure(post)}{paragraphs}'
                + '<div class="sharedaddy sd-sharing-enabled"><h3 class="sd-title">شارك:</h3><ul>'
                + '<li><a class="share-twitter" href="?share=twitter">تويتر</a></li>'
                + '<li><a class="share-facebook" href="?share=facebook">فيسبوك</a></li></ul></div>'
                + '<div id="jp-relatedposts" class="jp-relatedposts"><h3 class="jp-relatedposts-headline">'
                + f'<em>مقالات ذات صلة</em></h3><div class="jp-relatedposts-items">{related}</div>'
                + f'<ul>{self.trap_links() if post is self.posts[0] else ""}</ul></div></div>'
                + f'<footer class="entry-footer"><span class="cat-links">التصنيفات: {cats}</span> '
                + f'<span class="tags-links">الوسوم: {tags}</span></footer></article>'
                + f'<nav class="navigation post-navigation"><div class="nav-links">{nav}</div></nav>'
                + '<div id="comments" class="comments-area"><div id="respond" class="comment-respond">'
                + '<h3 id="reply-title" class="comment-reply-title">أضف تعليقاً</h3><form id="commentform">'
                + '<p class="comment-notes">لن يتم نشر عنوان بريدك الإلكتروني.</p><textarea name="comment"></textarea>'
                + '<input type="submit" value="إرسال التعليق"></form></div></div>'
                + "</main>" + self.sidebar() + "</body></html>")


class BlockTheme(Theme):
    """A WordPress block theme in the style of Twenty Twenty-Four, with ?paged=N pagination."""

    def listing_path(self, page: int) -> str:
        return "/" if page == 1 else f"/?paged={page}"

    def post_path(self, post: Article) -> str:
        return f"/{post.slug}/"

    def printed_date(self, post: Article) -> str:
        day = post.published
        return f"{day.day} {MONTHS_AR[day.month - 1]}، {day.year}"

    def header(self) -> str:
        return (f'<header class="wp-block-template-part"><p class="wp-block-site-title"><a href="/" rel="home">'
                f"{BLOG_NAME}</a></p></header>")

    def listing(self, chunk: list[Article], number: int, total: int) -> str:
        items = "".join(
            f'<li class="wp-block-post post type-post"><h2 class="wp-block-post-title"><a href="{self.post_path(p)}">'
            f'{escape(p.title)}</a></h2><div class="wp-block-post-date"><time datetime="{p.published.isoformat()}">'
            f'{self.printed_date(p)}</time></div>'
            f'<div class="wp-block-post-excerpt"><p>{escape(p.paragraphs[0])}</p></div></li>' for p in chunk)
        paging = ""
        if number > 1:
            paging += f'<a class="wp-block-query-pagination-previous" href="{self.listing_path(number - 1)}">الصفحة السابقة</a>'
        if number < total:
            paging += f'<a class="wp-block-query-pagination-next" href="{self.listing_path(number + 1)}">الصفحة التالية</a>'
        return (self.head(BLOG_NAME) + '<body class="home blog wp-embed-responsive"><div class="wp-site-blocks">'
                + self.header() + f'<main class="wp-block-group"><div class="wp-block-query"><ul class="wp-block-post-template">{items}</ul>'
                + f'<nav class="wp-block-query-pagination">{paging}</nav></div></main></div></body></html>')

    def article(self, post: Article, newer: Article | None, older: Article | None) -> str:
        ld = {"@context": "https://schema.org", "@type": "BlogPosting", "headline": post.title,
              "datePublished": f"{post.published.isoformat()}T09:30:00+03:00",
              "author": {"@type": "Person", "name": post.author}}
        if post.modified:
            ld["dateModified"] = f"{post.modified.isoformat()}T12:00:00+03:00"
        related = "".join(f'<li><a href="{self.post_path(r)}">{escape(r.title)}</a></li>' for r in related_of(self.posts, post))
        nav = ""
        if older:
            nav += f'<div class="post-navigation-link-previous"><a href="{self.post_path(older)}" rel="prev">{escape(older.title)}</a></div>'
        if newer:
            nav += f'<div class="post-navigation-link-next"><a href="{self.post_path(newer)}" rel="next">{escape(newer.title)}</a></div>'
        paragraphs = "".join(f'<p>{escape(t)}</p>' for t in post.paragraphs)
        extra = f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>'
        return (self.head(post.title, extra) + '<body class="post-template-default single single-post wp-embed-responsive">'
                + '<div class="wp-site-blocks">' + self.header() + '<main class="wp-block-group">'
                + f'<h1 class="wp-block-post-title">{escape(post.title)}</h1>'
                + f'<div class="wp-block-post-author-name"><a href="/author/{post.number % 6}/">{escape(post.author)}</a></div>'
                + f'<div class="wp-block-post-date"><time datetime="{post.published.isoformat()}T09:30:00+03:00">'
                + f'{self.printed_date(post)}</time></div>'
                + f'<div class="entry-content wp-block-post-content">{self.figure(post)}{paragraphs}'
                + '<div class="wp-block-group share-box"><p class="has-small-font-size">شارك المقال</p>'
                + '<ul class="wp-block-social-links"><li class="wp-social-link"><a href="?share=x">إكس</a></li></ul></div>'
                + f'<div class="wp-block-group related-posts"><h2 class="wp-block-heading">اقرأ أيضا</h2><ul>{related}'
                + f'{self.trap_links() if post is self.posts[0] else ""}</ul></div></div>'
                + f'<div class="taxonomy-category wp-block-post-terms"><a href="/category/{escape(post.category)}/" rel="tag">{escape(post.category)}</a></div>'
                + '<div class="taxonomy-post_tag wp-block-post-terms">' + "".join(
                    f'<a href="/tag/{escape(t)}/" rel="tag">{escape(t)}</a>' for t in post.tags) + "</div>"
                + f'<nav class="wp-block-comments-pagination post-navigation">{nav}</nav>'
                + '<div class="wp-block-comments"><h2>اترك تعليقاً</h2><form class="comment-form"><textarea></textarea></form></div>'
                + "</main></div></body></html>")


class BloggerTheme(Theme):
    """A Blogger theme: .post.hentry, abbr.published, updated-max paging and an Atom feed."""

    feed_path = "/feeds/posts/default"

    def post_path(self, post: Article) -> str:
        return f"/{post.published.year}/{post.published.month:02d}/{post.slug}.html"

    def listing_path(self, page: int) -> str:
        if page == 1:
            return "/"
        cut = self.posts[(page - 1) * PER_PAGE - 1].published
        return f"/search?updated-max={cut.isoformat()}T09:30:00%2B03:00&max-results={PER_PAGE}"

    def robots(self) -> str:
        return "User-agent: Mediapartners-Google\nDisallow:\n\n" + super().robots() + \
            f"\nSitemap: {self.url('/sitemap.xml')}\n"

    def feed(self) -> str:
        entries = "".join(f'<entry><title>{xml_escape(p.title)}</title><link rel="alternate" type="text/html" '
                          f'href="{self.url(self.post_path(p))}"/></entry>' for p in self.posts[:10])
        return f'<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>{BLOG_NAME}</title>{entries}</feed>'

    def head(self, title: str, extra: str = "") -> str:
        return super().head(title, extra).replace("application/rss+xml", "application/atom+xml")

    def printed_date(self, post: Article) -> str:
        weekdays = ["الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"]
        day = post.published
        return f"{weekdays[day.weekday()]}، {day.day} {MONTHS_AR[day.month - 1]} {day.year}"

    def listing(self, chunk: list[Article], number: int, total: int) -> str:
        posts = "".join(
            f'<div class="post-outer"><div class="post hentry"><h3 class="post-title entry-title">'
            f'<a href="{self.url(self.post_path(p))}">{escape(p.title)}</a></h3>'
            f'<div class="post-header"><abbr class="published" title="{p.published.isoformat()}T09:30:00+03:00">'
            f'{self.printed_date(p)}</abbr></div><div class="post-body entry-content"><p>{escape(p.paragraphs[0])}</p></div>'
            f'<a class="jump-link" href="{self.url(self.post_path(p))}">قراءة المزيد</a></div></div>' for p in chunk)
        pager = ""
        if number > 1:
            pager += f'<a class="blog-pager-newer-link" href="{self.url(self.listing_path(number - 1))}">رسائل أحدث</a>'
        if number < total:
            pager += f'<a class="blog-pager-older-link" href="{self.url(self.listing_path(number + 1))}">رسائل أقدم</a>'
        pager += f'<a class="home-link" href="{self.base}/">الصفحة الرئيسية</a>'
        return (self.head(BLOG_NAME) + '<body class="index-view"><div class="header"><h1><a href="/">' + BLOG_NAME
                + f'</a></h1></div><div class="blog-posts hfeed">{posts}</div><div class="blog-pager" id="blog-pager">{pager}</div></body></html>')

    def article(self, post: Article, newer: Article | None, older: Article | None) -> str:
        related = "".join(f'<li><a href="{self.url(self.post_path(r))}">{escape(r.title)}</a></li>' for r in related_of(self.posts, post))
        pager = ""
        if newer:
            pager += f'<a class="blog-pager-newer-link" href="{self.url(self.post_path(newer))}">رسالة أحدث</a>'
        if older:
            pager += f'<a class="blog-pager-older-link" href="{self.url(self.post_path(older))}">رسالة أقدم</a>'
        paragraphs = "".join(f"<p>{escape(t)}</p>" for t in post.paragraphs)
        labels = "".join(f'<a href="{self.base}/search/label/{escape(t)}" rel="tag">{escape(t)}</a>' for t in [post.category] + post.tags[1:])
        return (self.head(post.title) + '<body class="item-view"><div class="header"><h1><a href="/">' + BLOG_NAME + '</a></h1></div>'
                + '<div class="blog-posts hfeed"><div class="post-outer"><div class="post hentry">'
                + f'<h3 class="post-title entry-title">{escape(post.title)}</h3><div class="post-header">'
                + f'<span class="post-author vcard">بقلم <span class="fn">{escape(post.author)}</span></span> '
                + f'<abbr class="published" title="{post.published.isoformat()}T09:30:00+03:00">{self.printed_date(post)}</abbr></div>'
                + f'<div class="post-body entry-content">{self.figure(post)}{paragraphs}</div>'
                + '<div class="post-share-buttons"><span>شارك</span><a class="share-button sb-email" href="#">البريد</a></div>'
                + f'<div class="post-footer"><span class="post-labels">التسميات: {labels}</span></div>'
                + f'<div class="related-posts"><h4>مواضيع ذات صلة</h4><ul>{related}{self.trap_links() if post is self.posts[0] else ""}</ul></div>'
                + f'</div></div></div><div class="blog-pager" id="blog-pager">{pager}</div>'
                + '<div class="comments" id="comments"><h4>ليست هناك تعليقات:</h4><div class="comment-form">'
                + '<p>إرسال تعليق</p></div></div></body></html>')


class CustomTheme(Theme):
    """A hand-made theme with none of the usual markers: the heuristics find nothing here, and a
    per-site profile (``CUSTOM_PROFILE``) tells Arshif where everything is."""

    def post_path(self, post: Article) -> str:
        return f"/story/{post.number}.html"

    def listing_path(self, page: int) -> str:
        return "/" if page == 1 else f"/stories/{page}.html"

    def robots(self) -> str:
        return "User-agent: *\nDisallow: /private/\n"

    def add_sitemaps(self) -> None:  # this site has none: only its own links lead to the stories
        pass

    def printed_date(self, post: Article) -> str:
        day = post.published
        return f"{day.day} {MONTHS_AR[day.month - 1]} {day.year}"

    def listing(self, chunk: list[Article], number: int, total: int) -> str:
        teasers = "".join(f'<div class="teaser"><a class="go" href="{self.post_path(p)}">{escape(p.title)}</a>'
                          f"<div>{escape(p.paragraphs[0])}</div></div>" for p in chunk)
        more = f'<a class="more-stories" href="{self.listing_path(number + 1)}">صفحة أخرى</a>' if number < total else ""
        return (self.head(BLOG_NAME) + f'<body><div class="masthead">{BLOG_NAME}</div>'
                + f'<div class="teasers">{teasers}</div><div class="pager">{more}</div></body></html>')

    def article(self, post: Article, newer: Article | None, older: Article | None) -> str:
        see_also = "".join(f'<a class="also" href="{self.post_path(r)}">{escape(r.title)}</a>'
                           for r in related_of(self.posts, post))
        paragraphs = "".join(f"<div class='para'>{escape(t)}</div>" for t in post.paragraphs)
        return (self.head(post.title) + f'<body><div class="masthead"><a href="/">{BLOG_NAME}</a></div>'
                + f'<div class="story"><div class="headline">{escape(post.title)}</div>'
                + f'<span class="writer">{escape(post.author)}</span> · '
                + f'<span class="story-date">{self.printed_date(post)}</span><div class="story-body">{paragraphs}</div>'
                + f'<div class="see-also"><b>انظر</b> {see_also}</div></div></body></html>')


CUSTOM_PROFILE = """# Arshif profile for the demo's custom theme
article = "div.story"
listing = "div.teasers"
article_links = "div.teaser a.go"
pagination = "a.more-stories"
related = "div.see-also a"
title = "div.headline"
text = "div.story-body"
published = "span.story-date"
author = "span.writer"
"""
