"""The benchmark's generated blog (benchmarks/blogsite.py): deterministic, realistic in size, and
understood by the crawler as a WordPress blog (articles, listings, related block, pagination)."""

import hashlib

import lxml.html
import pytest

from archive.pages.classify import classify
from archive.pages.links import article_links, listing_links
from benchmarks.blogsite import write_site

BASE = "http://127.0.0.1:8080"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("blog")
    return folder, write_site(folder, BASE, 40)


def digest(folder):
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return hashlib.sha256(b"".join(p.relative_to(folder).as_posix().encode() + p.read_bytes() for p in files)).hexdigest()


def test_same_bytes_every_time(site, tmp_path):
    folder, written = site
    assert write_site(tmp_path, BASE, 40) == written
    assert digest(tmp_path) == digest(folder)


def test_article_pages_are_wordpress_articles_of_about_11_kb(site):
    folder, written = site
    pages = sorted(folder.glob("2025/*/*/*/index.html"))
    assert len(pages) == written["articles"] == 40
    sizes = [p.stat().st_size for p in pages]
    assert 10_000 < sum(sizes) / len(sizes) < 13_000
    text = pages[0].read_text()
    assert "شارك" in text and "مقالات ذات صلة" in text
    assert any(d in text for d in "٠١٢٣٤٥٦٧٨٩") and "ـــ" in text  # Eastern Arabic digits, tatweel
    root = lxml.html.fromstring(pages[0].read_bytes())
    assert classify(root) == "article"
    kinds = {kind for _, kind in article_links(root)}
    assert {"related", "adjacent"} <= kinds


def test_listings_page_through_every_article(site):
    folder, _ = site
    home = lxml.html.fromstring((folder / "index.html").read_bytes())
    assert classify(home) == "listing"
    links = listing_links(home)
    assert len([h for h, k in links if k == "article"]) == 10
    assert "/page/2/" in [h for h, k in links if k == "pagination"]
    last = lxml.html.fromstring((folder / "page/4/index.html").read_bytes())
    assert classify(last) == "listing"
    assert (folder / "wp-sitemap-posts-post-1.xml").read_text().count("<loc>") == 40
    assert f"Sitemap: {BASE}/wp-sitemap.xml" in (folder / "robots.txt").read_text()
