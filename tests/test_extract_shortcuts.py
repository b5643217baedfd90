"""The shortcuts that make extraction cheap must not change what it finds: a gated XPath selects
the same nodes as the plain one, trafilatura's metadata read field by field equals its whole
``extract_metadata``, and a label split across elements still passes the page-text test."""

from __future__ import annotations

from pathlib import Path

import pytest
import trafilatura
from trafilatura.metadata import extract_metadata

from archive.pages import classify, extract
from archive.pages.blocks import html_root, mentioned, remove_boilerplate
from archive.pages.extract import extract_article
from archive.pages.fallback_meta import FallbackMetadata
from archive.pages.xpaths import select

GOLDEN = sorted((Path(__file__).parent / "golden").glob("*.html"))
EXPRESSIONS = [*extract.PUBLISHED_VISIBLE, *extract.MODIFIED_VISIBLE, *extract.TITLE_XPATHS, *extract.AUTHOR_XPATHS,
               *extract.CATEGORY_XPATHS, *extract.TAG_XPATHS, classify.POST_CONTAINERS]
# (previous/next and home links are found in one Python pass: tests/test_links.py compares it with XPath)


@pytest.fixture(params=GOLDEN, ids=[p.stem for p in GOLDEN])
def golden_html(request) -> str:
    return request.param.read_text(encoding="utf-8")


def test_gated_xpaths_select_what_plain_xpath_selects(golden_html):
    root = html_root(golden_html)
    found_some = 0
    for xpath in EXPRESSIONS:
        plain = root.xpath(xpath)
        assert select(root, xpath) == plain, xpath
        found_some += bool(plain)
    assert found_some >= 5  # the page exercises both sides: expressions that match and that do not


def test_fallback_metadata_is_trafilaturas_metadata(golden_html):
    root = html_root(golden_html, for_trafilatura=True)
    remove_boilerplate(root)
    whole = extract_metadata(root, "https://golden.example/post/", {"extensive_search": False})
    fields = FallbackMetadata(root)
    assert (fields.title, fields.author, fields.description) == (whole.title, whole.author, whole.description)
    assert (fields.categories, fields.tags) == (whole.categories, whole.tags)
    assert whole.title  # a real comparison, not two Nones


def test_a_label_split_across_elements_is_still_mentioned():
    root = html_root("<html><body><p>آخر <b>تحديث</b>:\n  ٢٧ ديسمبر ٢٠٢٥</p></body></html>")
    assert mentioned(root, ("آخر تحديث", "Last updated")) == ("آخر تحديث",)
    assert mentioned(root, ("Last updated",)) == ()


def test_updated_line_split_across_elements_is_the_modified_date():
    page = ('<html lang="ar"><body class="single"><article><h1 class="entry-title">عن المدينة</h1>'
            '<p>' + "فقرة عن المدينة القديمة وأسواقها وناسها. " * 15 + '</p>'
            '<p>آخر <b>تحديث</b>: ٢٧ ديسمبر ٢٠٢٥</p></article></body></html>')
    article = extract_article(page, "https://blog.example/city/")
    assert (article["modified"], article["modified_source"]) == ("2025-12-27", "text")
    assert "تحديث" not in article["text"] and "أسواقها" in article["text"]


def test_fast_mode_is_redone_in_full_for_a_short_text():
    """Under 250 characters trafilatura's second opinion may overrule its first: the text is then
    the one a full extraction gives."""
    page = ('<html><body><div class="content"><p>سطر قصير واحد.</p></div>'
            '<div><div><span>نص</span> طويل في عناصر غير الفقرات يصفه ثلاث مرات: '
            + "حكاية المدينة القديمة " * 20 + '</div></div></body></html>')
    full = trafilatura.bare_extraction(page, url="https://blog.example/x/", include_comments=False,
                                       favor_precision=True)
    article = extract_article(page, "https://blog.example/x/")
    assert article["text"] == extract._clean_text(full.text if full is not None else "")
    assert "حكاية المدينة" in article["text"]  # fast mode alone keeps only "سطر قصير واحد."
