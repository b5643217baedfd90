"""Page understanding, on parsed HTML (lxml trees): what kind of page this is and which of its
links matter (``classify``), the blocks that are not the article (``blocks``), the article's text
and metadata (``extract``), the JSON-LD they both read (``jsonld``), per-site overrides
(``profile``) and pages whose declared charset lies (``charset``). No network, no Scrapy: the
crawl and ``reindex`` call the same functions."""
