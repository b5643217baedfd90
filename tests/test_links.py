"""Link finding done in Python for speed selects exactly what the XPath it replaced selected."""

from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from archive.demo.site import THEMES, build_site
from archive.pages.links import _adjacent_and_home_links
from benchmarks.blogsite import BlogSite, make_posts

# The XPath of adjacent (previous/next) and home links, as the crawler first had them.
ADJACENT_LINKS = ("//a[@rel='prev' or @rel='next'][ancestor::*[contains(@class,'post-navigation') or "
                  "contains(@class,'nav-links') or contains(@class,'navigation')]]/@href | "
                  "//*[contains(@class,'nav-previous') or contains(@class,'nav-next') or "
                  "contains(@class,'post-navigation-link') or contains(@class,'prev-post') or "
                  "contains(@class,'next-post')]//a/@href | "
                  "//a[contains(@class,'blog-pager-older-link') or contains(@class,'blog-pager-newer-link')]/@href")
HOME_LINKS = "//a[@rel='home']/@href | //*[contains(@class,'site-title')]//a/@href | //a[contains(@class,'home-link')]/@href"


def pages():
    for path in sorted(Path(__file__).parent.rglob("*.html")):  # golden pages of real blogs
        yield pytest.param(path.read_bytes(), id=path.name[:60])
    for theme in THEMES:
        for path, resource in build_site(theme, "http://127.0.0.1:8000", traps=True).items():
            if resource.content_type.startswith("text/html"):
                yield pytest.param(resource.body, id=f"{theme}{path}"[:60])
    blog = BlogSite(make_posts(12))
    for i in (0, 5, 11):
        yield pytest.param(blog.article(i).encode(), id=f"benchsite-article-{i}")
    yield pytest.param(blog.listing(blog.posts[:10], 1, 2, "/").encode(), id="benchsite-home")


@pytest.mark.parametrize("body", list(pages()))
def test_adjacent_and_home_links_match_the_xpath(body):
    root = HtmlResponse("http://127.0.0.1:8000/", body=body, encoding="utf-8").selector.root
    assert _adjacent_and_home_links(root) == (list(root.xpath(ADJACENT_LINKS)), list(root.xpath(HOME_LINKS)))
