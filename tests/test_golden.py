"""Golden pages: hand-written copies of real theme markup (tagDiv Newspaper with Yoast SEO, Ghost's
Casper, Blogger's Contempo) with the output a researcher should get. The quality gate for the
extractor and the page classifier beyond the themes of the test sites."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive.pages.blocks import html_root
from archive.pages.classify import classify
from archive.pages.extract import extract_article
from archive.pages.links import article_links

GOLDEN = Path(__file__).parent / "golden"

CASES = {
    "newspaper-yoast.html": {
        "url": "https://alrasd.example/2025/12/25/palmyra/",
        "kind": "article", "title": "ما بعد تدمر.. اختبار الشراكة الدولية", "author": "رامي الحسن",
        "published": "2025-12-25T08:15:42+00:00", "published_raw": "ديسمبر 25, 2025", "source": "json-ld",
        "modified": "2025-12-26T10:00:00+00:00", "categories": ["سياسة", "تحليلات"],
        "tags": ["تدمر", "الشراكة الدولية"],
        "text_has": ["دخلت الشراكة الدولية بعد استعادة تدمر مرحلةً جديدة", "ثلاثة ملفات عالقة",
                     "وفي انتظار اجتماع المانحين المقبل، تبقى الوعود أكبر من الالتزامات المعلنة."],
        "text_lacks": ["شارك", "فيسبوك", "مقالات ذات صلة", "التحالف الإقليمي أمام امتحان الثقة", "تحليل ممتاز",
                       "اترك تعليقاً", "المقال السابق", "الأكثر قراءة", "جميع الحقوق محفوظة", "صحفي مختص"],
        "related": ["https://alrasd.example/2025/12/20/alliance/", "https://alrasd.example/2025/12/18/summit/"],
        "adjacent": ["/2025/12/24/aleppo/", "/2025/12/26/donors/"],
    },
    "ghost-casper.html": {
        "url": "https://satr.example/war-notebooks/",
        "kind": "article", "title": "دفاتر الحرب القديمة", "author": "هالة يوسف",
        "published": "2025-11-02T18:30:00+00:00", "published_raw": "٢ نوفمبر ٢٠٢٥", "source": "json-ld",
        "modified": None, "categories": [], "tags": ["ذاكرة", "أرشيف"],
        "text_has": ["وجدتُ دفاتر أبي في صندوق خشبي", "تنتظر من يقرؤها."],
        "text_lacks": ["اقرأ أيضاً", "رسائل لم تُرسل", "Powered by Ghost", "عن المدونة"],
        "related": ["https://satr.example/letters/", "https://satr.example/photos/"],
        "adjacent": [],
    },
    "blogger-contempo.html": {
        "url": "https://hikayat.example/2024/05/blog-post_12.html",
        "kind": "article", "title": "الجدة وحكاية البئر", "author": "سليم عبد الله",
        "published": "2024-05-12T21:14:00+03:00", "published_raw": "مايو ١٢، ٢٠٢٤", "source": "<time datetime>",
        "modified": None, "categories": [], "tags": ["حكايات"],
        "text_has": ["كانت جدتي تقول إن في قاع البئر مدينة صغيرة", "كأنني أنتظر صوت الأجراس."],
        "text_lacks": ["مشاركة", "Facebook", "ذكّرتني بجدتي", "رسالة أقدم", "يتم التشغيل بواسطة"],
        "related": [],
        "adjacent": ["https://hikayat.example/2024/05/blog-post_20.html", "https://hikayat.example/2024/05/blog-post_3.html"],
    },
    # Jannah (TieLabs), common on Arabic news blogs; prints only a relative date, no JSON-LD
    "jannah-relative-date.html": {
        "url": "https://sawt.example/bread-prices/", "base": "2025-12-26T09:00:00Z",
        "kind": "article", "title": "أسعار الخبز ترتفع للمرة الثالثة", "author": "منى الأحمد",
        "published": "2025-12-23", "published_raw": "منذ 3 أيام", "source": "text",
        "modified": None, "categories": [], "tags": ["الخبز", "الأسعار"],
        "text_has": ["ارتفع سعر ربطة الخبز في أسواق الحي للمرة الثالثة", "بدل الوعود المتكررة."],
        "text_lacks": ["فيسبوك", "واتساب", "شارك", "مقالات ذات صلة", "غلاء الدواء", "اترك تعليقاً", "الأكثر قراءة",
                       "انقطاع المياه", "حقوق النشر", "الوسوم"],
        "related": ["https://sawt.example/medicine/", "https://sawt.example/rent/"],
        "adjacent": ["https://sawt.example/water-cuts/", "https://sawt.example/water-cuts/", "https://sawt.example/market-day/"],
    },
}


@pytest.fixture(params=sorted(CASES))
def golden(request):
    html = (GOLDEN / request.param).read_text(encoding="utf-8")
    return html, CASES[request.param]


def test_classified(golden):
    html, want = golden
    assert classify(html_root(html)) == want["kind"]


def test_metadata(golden):
    html, want = golden
    got = extract_article(html, want["url"], base_date=want.get("base"))
    assert got["title"] == want["title"]
    assert got["author"] == want["author"]
    assert got["published"] == want["published"]
    assert got["published_raw"] == want["published_raw"]
    assert got["published_source"] == want["source"]
    assert got["modified"] == want["modified"]
    assert got["categories"] == want["categories"]
    assert got["tags"] == want["tags"]
    assert got["lang"] == "ar"


def test_text_is_the_article_alone(golden):
    html, want = golden
    text = extract_article(html, want["url"], base_date=want.get("base"))["text"]
    for piece in want["text_has"]:
        assert piece in text
    for piece in want["text_lacks"]:
        assert piece not in text, piece


def test_related_and_adjacent_links(golden):
    html, want = golden
    got = extract_article(html, want["url"])
    assert got["related"] == want["related"]
    links = article_links(html_root(html))
    assert [h for h, k in links if k == "adjacent"] == want["adjacent"]


def test_json_ld_author_given_by_reference():
    """Yoast often writes the author as {"@id": …} pointing at a Person elsewhere in the graph."""
    html = (GOLDEN / "newspaper-yoast.html").read_text(encoding="utf-8")
    html = html.replace('"author":{"name":"رامي الحسن","@id"', '"author":{"@id"')
    html = html.replace('<a href="/author/rami/">رامي الحسن</a><div class="td-author-line">', '<div class="td-author-line">')
    assert '"author":{"@id"' in html
    assert extract_article(html, CASES["newspaper-yoast.html"]["url"])["author"] == "رامي الحسن"


def test_a_one_line_post_keeps_its_line_and_not_its_title():
    html = ('<html lang="ar"><body class="single single-post"><article class="post"><h1 class="entry-title">خاطرة قصيرة'
            '</h1><time class="entry-date published" datetime="2025-12-25">ديسمبر 25, 2025</time>'
            '<div class="entry-content"><p>المطر يعرف أسماءنا.</p></div></article></body></html>')
    got = extract_article(html, "http://x/a")
    assert got["text"] == "المطر يعرف أسماءنا." and got["title"] == "خاطرة قصيرة" and got["word_count"] == 3


UPDATED_PAGE = ('<html lang="ar"><head><meta property="og:type" content="article"></head><body class="single single-post">'
                '<main><article><h1 class="wp-block-post-title">ما بعد تدمر.. اختبار الشراكة الدولية</h1>'
                '<div class="wp-block-post-date"><time datetime="2025-12-25T09:00:00+03:00">ديسمبر 25, 2025</time></div>'
                '<div class="entry-content wp-block-post-content">'
                + "<p>" + "هذه فقرة من المقال عن الشراكة الدولية وما بعدها في المدينة. " * 12 + "</p>" * 1
                + "<p>فقرة ثانية تكمل الحديث عن المدينة وتاريخها العريق وأسواقها القديمة.</p>"
                + "{line}</div></article></main></body></html>")


@pytest.mark.parametrize("line, iso, raw, source", [
    ('<p class="has-small-font-size">آخر تحديث: <time datetime="2025-12-27T08:00:00+03:00">ديسمبر 27, 2025</time></p>',
     "2025-12-27T08:00:00+03:00", "ديسمبر 27, 2025", "<time datetime>"),
    ("<p>آخر تحديث: 27 ديسمبر 2025</p>", "2025-12-27", "آخر تحديث: 27 ديسمبر 2025", "text"),
    ("<div><span>تاريخ التحديث: 27/12/2025</span></div>", "2025-12-27", "تاريخ التحديث: 27/12/2025", "text"),
])
def test_last_updated_line_is_the_modified_date_and_not_text(line, iso, raw, source):
    article = extract_article(UPDATED_PAGE.format(line=line), "https://blog.example/2025/12/post/")
    assert (article["modified"], article["modified_raw"], article["modified_source"]) == (iso, raw, source)
    assert article["published"] == "2025-12-25T09:00:00+03:00"
    assert "تحديث" not in article["text"] and article["text"].endswith("وأسواقها القديمة.")


def test_taxonomy_evidence_is_the_articles_own():
    """A layout class with 'sidebar' in it holds the article; a sentence that starts like a label
    is no label; an embedded tweet's hashtag is no tag; a comment's date is not the post's."""
    html = ('<html lang="ar"><body class="single has-sidebar"><div class="site-content right-sidebar"><article>'
            '<h1 class="entry-title">معرض الكتاب في دورته الجديدة</h1>'
            '<div class="entry-content"><p>' + "افتتح المعرض أبوابه أمس بمشاركة واسعة من دور النشر العربية. " * 8
            + '</p><p>ضمن فعاليات <a href="/events/book-fair/">معرض الكتاب</a> أقيمت ندوات كثيرة.</p>'
            '<blockquote class="twitter-tweet"><a href="https://twitter.com/hashtag/الأدب">#الأدب</a></blockquote>'
            '</div><footer><span class="tags">الوسوم: <a href="/tag/adab/" rel="tag">أدب</a></span></footer></article>'
            '<div class="comments"><span class="comment-date">3 يناير 2026</span></div></div></body></html>')
    article = extract_article(html, "https://blog.example/2025/12/fair/")
    assert article["tags"] == ["أدب"] and article["categories"] == []
    assert article["published"] is None
