"""``arshif extract OUT``: extract the articles a capture-only crawl left for later.

A crawl with ``--capture-only`` writes the WARC files, ``captures`` and ``links`` at the pace of
the network and stores no article. This reads back, by offset, the latest HTML response of every
URL without an article row, or whose article came from an earlier capture (a post an incremental
capture-only crawl found changed), and decides and extracts each with the same code and the settings its
crawl recorded, as ``reindex`` does, in the extraction pool. Each article is committed as it comes:
stopped half-way, the next run takes up what is still missing. A page found not to be an article
(a listing) is marked with the rules that decided (``pages_read``): the next run reads it again
only if those changed (Arshif's page-reading code, a link or feed entry that now names it).

A crawl records its figures (articles, health) when it ends: a capture-only crawl's before any
article was extracted. Once done, this recomputes them from the archive for each crawl that left
pages to extract or whose pages it stored, so ``arshif report`` and the summary agree with the
archive: no warning extraction resolved, none hidden that remains.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .calibration import calibrate
from .crawl import HEALTH_PREFIX, CrawlError, CrawlSummary, health_stats, latest_crawl, lock_folder
from .pages.classify import reached_by
from .reindex import ArticleExtractor, CrawlSettings
from .store import ArchiveDB, recorded_json
from .warc import read_record

DEFERRED = "arshif/articles_deferred"  # the crawl's stat: article pages left for `arshif extract`


class ExtractError(Exception):
    pass


@dataclass
class ExtractSummary:
    pages: int  # pages looked at
    articles: int  # articles stored
    seconds: float
    latest: CrawlSummary | None = None  # the latest crawl's figures, health included, after extraction
    skipped: int = 0  # pages an earlier run read and found not to be articles, under the same rules


def extract_missing(out: str | Path, *, workers: int | None = None) -> ExtractSummary:
    out = Path(out)
    try:
        lock = lock_folder(out)
    except CrawlError:
        raise ExtractError(f"a crawl is writing to {out}: extract once it has finished") from None
    started = time.monotonic()
    pages = skipped = 0
    try:
        with ArchiveDB.existing(out) as db, ArticleExtractor(db, workers) as extractor:
            settings = {crawl_id: CrawlSettings.recorded(recorded) for crawl_id, recorded in db.crawl_settings().items()}
            read = db.pages_read()
            for capture in db.unextracted_pages():
                reached = reached_by(set((capture.pop("reached") or "").split(",")),
                                     feed_item=bool(capture.pop("feed_item")))
                crawl_settings = settings.get(capture["crawl_id"]) or CrawlSettings()
                rules = ArticleExtractor.rules_of(crawl_settings, reached)
                if read.get(capture["id"]) == rules:
                    skipped += 1  # read before under the same rules: not an article
                    continue
                pages += 1
                try:
                    body = read_record(out / "warc" / capture["warc_filename"], capture["warc_offset"]).content
                except Exception as exc:  # noqa: BLE001 - warcio and zlib raise several kinds
                    raise ExtractError(f"cannot read {capture['warc_filename']} at offset "
                                       f"{capture['warc_offset']}: {exc}") from None
                extractor.offer(body, capture, crawl_settings, reached, rules)
            extractor.drain()
            figures = calibrate(db, out, workers=workers)
            figures.update(db.fill_from_feed())
            _refresh_crawl_figures(db, extractor.stored_by_crawl, figures)
            latest = latest_crawl(db)[1] if db.crawl() else None
    finally:
        lock.close()
    return ExtractSummary(pages, extractor.stored, time.monotonic() - started, latest, skipped)


def _refresh_crawl_figures(db: ArchiveDB, stored: Counter[int | None], figures: dict[str, int]) -> None:
    """Recompute the articles and health figures of each crawl that left pages to extract or whose
    pages this run stored, as the crawl's end computes them. ``stored``: articles this run stored
    per crawl; ``figures``: calibration's and the feed's, the archive's as at a crawl's end. A
    capture-only crawl's articles are those extracted from its captures (by this run or an earlier
    one stopped half-way); another crawl's gain this run's. A crawl killed before it recorded its
    figures keeps none: the report counts its captures."""
    for row in db.crawls():
        stats = recorded_json(row["stats"])
        if not stats or not (stats.get(DEFERRED) or stored[row["id"]]):
            continue
        health = health_stats(db, row["id"], figures)
        articles = health[f"{HEALTH_PREFIX}stored"] if stats.get(DEFERRED) else stats.get("arshif/articles", 0) + stored[row["id"]]
        db.update_crawl_stats(row["id"], {"arshif/articles": articles, DEFERRED: 0, **health})
