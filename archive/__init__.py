"""Arshif (أرشيف): an archival crawler for Arabic blogs.

``archive`` is the library, and it never imports Scrapy (``crawler/`` is the Scrapy project that
uses it; a test enforces the direction). Its stages, in the order data flows:

    warc/     write and read WARC records; CDXJ index and WACZ packages      (the source of truth)
    pages/    classify a page, find its links, strip its boilerplate, extract the article
    arabic/   Arabic normalization, dates, search folding
    store/    archive.db: the one door to the database, its migrations and full-text index
    demo/     the bundled Arabic blog and its local server

The commands sit on top: ``cli`` (the ``arshif`` entry point, the one module that may reach into
``crawler/``, lazily, for the commands that crawl), ``crawl`` (a crawl's inputs and summary),
``reindex``, ``inspect`` (show, export), ``changes``, ``serve`` (+ ``datasette_plugin``), ``replay``
and ``schedule``.
"""

__version__ = "0.1.0"
