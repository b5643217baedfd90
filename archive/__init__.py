"""Arshif (أرشيف): an archival crawler for Arabic blogs. This package holds everything that is not
Scrapy: WARC I/O, extraction, Arabic dates, the database and the CLI."""

__version__ = "0.1.0"
