"""Calibrate an archive by its blog's feed, and ``arshif profile OUT``.

At the end of a crawl (and of ``reindex`` and ``extract``), ``calibrate`` reads back from the WARC
the pages of the feed items stored as articles, learns from them the selectors that print what the
feed says (``pages.calibrate``), writes them to ``OUT/profile.toml``, and re-extracts from the WARC
(the source of truth, as ``reindex`` does) every article whose title, date, author, categories,
tags or text the heuristics missed and a rule covers. The next crawl into OUT extracts with those
rules from the start. A key the user's ``--profile`` sets is never learned: the user's rule wins.
It also records, per feed item and field, where the page and the feed disagree.

``profile_report`` is what ``arshif profile OUT`` prints: the rules, how well each agreed with the
feed, and how many of the archive's article pages each matches.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml.etree import _Element as Element

from .pages.blocks import html_root
from .pages.calibrate import HEADER, LEARNED_KEYS, learn_rules, profile_toml
from .pages.charset import decode_html
from .pages.feeds import FeedEntry
from .pages.profile import KEYS, Profile
from .reindex import ArticleExtractor, CrawlSettings
from .store import ArchiveDB, StoreError
from .warc import read_record

PROFILE_FILE = "profile.toml"


class ProfileReportError(Exception):
    """The folder holds no archive: one line for the user."""


def archived_page(out: Path, capture: dict[str, Any]) -> tuple[str, Element] | None:
    """The page behind a capture, read back from the WARC record of its body (a revisit's original);
    None if it cannot be read."""
    try:
        body = read_record(out / "warc" / capture["body_filename"], capture["body_offset"]).content
        html = decode_html(body, capture["content_type"], capture["url"])
        return html, html_root(html)
    except Exception:  # noqa: BLE001 - a damaged record or page: calibration learns from the others
        return None


def _ours(path: Path) -> bool:
    """The profile file was written by calibration (not edited by hand: its header is intact)."""
    try:
        return path.read_text(encoding="utf-8").startswith(HEADER.splitlines()[0])
    except OSError:
        return True


def calibrate(db: ArchiveDB, out: str | Path, *, profile: dict[str, str] | None = None,
              workers: int | None = None) -> dict[str, int]:
    """Learn ``out/profile.toml`` from the feed items' pages, fill what the heuristics missed on
    every article from the WARC with it, and record the feed disagreements. Returns figures for
    the crawl's stats. The user's profile is ``profile`` when given (``reindex --profile``), else
    each crawl's recorded one; the last crawl's keys are not learned. A profile file edited by hand
    (its first line changed) is used, not rewritten."""
    out = Path(out)
    recorded = {crawl_id: CrawlSettings.recorded(settings, profile=profile)
                for crawl_id, settings in db.crawl_settings().items()}
    user = dict(profile if profile is not None else recorded[max(recorded)].profile if recorded else {})
    path = out / PROFILE_FILE
    pages = []
    for row in db.feed_item_captures():
        page = archived_page(out, row)
        if page is not None:
            entry = FeedEntry(row["feed_url"], row["feed_title"], row["feed_published"], row["feed_author"],
                              json.loads(row["feed_categories"] or "[]"))
            pages.append((page[1], entry))
    rules = learn_rules(pages, skip=user) if not path.exists() or _ours(path) else {}
    if rules:
        path.write_text(profile_toml(rules), encoding="utf-8")
    learned = {k: r.selector for k, r in rules.items()} or Profile.learned(path).selectors
    learned = {k: v for k, v in learned.items() if k in LEARNED_KEYS and k not in user}
    filled = _fill(db, out, learned, recorded, workers) if learned else {}
    origin_rows: list[dict[str, Any]] = [{"key": k, "selector": v, "origin": "user", "feed_pages": None, "feed_matched": None,
                    "feed_agreed": None, "filled": None} for k, v in user.items()]
    for key, selector in learned.items():
        rule = rules.get(key)
        origin_rows.append({"key": key, "selector": selector, "origin": "learned",
                            "feed_pages": rule.pages if rule else None, "feed_matched": rule.matched if rule else None,
                            "feed_agreed": rule.agreed if rule else None, "filled": filled.get(key, 0)})
    db.set_profile_rules(origin_rows)
    return {"learning_pages": len(pages), "learned_rules": len(learned), "filled_by_profile": sum(filled.values()),
            **db.record_feed_disagreements()}


def _fill(db: ArchiveDB, out: Path, learned: dict[str, str], recorded: dict[int, CrawlSettings],
          workers: int | None) -> dict[str, int]:
    """Re-extract, with the learned rules and the settings of the crawl that fetched each page, the
    articles missing a field the rules cover; {field: articles filled}."""
    fields = [k for k in learned if k != "text"] + (["text"] if "text" in learned else [])
    before = {f: len(db.articles_missing([f])) for f in fields}
    rows = db.articles_missing(fields)
    if not rows:
        return {}
    rules = Profile(learned)
    with ArticleExtractor(db, workers, keep_failed=False) as extractor:
        for capture in rows:
            page = archived_page(out, capture)
            # only a page where a rule finds one of the fields it lacks is extracted again (a post
            # without tags stays without, and costs no extraction at every crawl's end)
            if page is None or not any(_finds(rules, page[1], key) for key in capture["missing"].split()):
                continue
            settings = recorded.get(capture["crawl_id"]) or CrawlSettings()
            extractor.extract(page[0], capture, CrawlSettings(settings.replay_pattern, settings.profile,
                                                              settings.allowed_domains, learned))
        extractor.drain()
    return {f: before[f] - len(db.articles_missing([f])) for f in fields}


def _finds(rules: Profile, root: Element, key: str) -> bool:
    try:
        return bool(rules.select_texts(root, key))
    except Exception:  # noqa: BLE001 - a selector lxml cannot evaluate on this page
        return False


# --- arshif profile OUT -----------------------------------------------------------------------------
@dataclass
class RuleReport:
    key: str
    selector: str
    origin: str  # "learned" or "user"
    feed_pages: int | None  # learned: feed pages with a value for the field
    feed_agreed: int | None  # learned: of them, pages where the rule agreed with the feed
    filled: int | None  # learned: articles whose empty field it filled
    archive_matched: int = 0  # article pages in the archive where the selector finds something


@dataclass
class ProfileReport:
    out: Path
    profile_file: Path | None  # OUT/profile.toml, if there is one
    article_pages: int  # article pages read back from the WARC
    rules: list[RuleReport] = field(default_factory=list)
    disagreements: dict[str, int] = field(default_factory=dict)  # field → feed items that disagree
    feed_items: int = 0

    def lines(self) -> list[str]:
        lines = [f"Profile of {self.out} ({self.article_pages} article pages in the archive):"]
        if self.profile_file is not None:
            lines.append(f"  learned profile: {self.profile_file} (reuse it with --profile)")
        if not self.rules:
            lines.append("  no rule: nothing learned from the feed (no feed, or fewer than 2 feed items stored), "
                         "and no --profile")
        width = max([len(r.key) for r in self.rules] + [3])
        for r in self.rules:
            agreed = ("" if r.feed_pages is None
                      else f"; the body (most paragraphs) on {r.feed_agreed}/{r.feed_pages} feed pages" if r.key == "text"
                      else f"; agreed with the feed on {r.feed_agreed}/{r.feed_pages} feed pages")
            filled = f"; filled {r.filled} article(s)" if r.filled else ""
            lines.append(f"  {r.key:<{width}}  {r.selector}  [{r.origin}] matches {r.archive_matched}/"
                         f"{self.article_pages} pages{agreed}{filled}")
        if self.feed_items:
            lines.append(f"Feed items compared with their pages: {self.feed_items}")
            for name, count in sorted(self.disagreements.items()):
                lines.append(f"  {name}: {count} disagree (table feed_disagreements)")
            if not self.disagreements:
                lines.append("  every title, date, author and category agrees with the feed")
        return lines


def profile_report(out: str | Path) -> ProfileReport:
    """The rules calibration recorded (learned and the user's), each matched against every article
    page of the archive, read back from the WARC; and the feed disagreements by field."""
    out = Path(out)
    if not (out / "archive.db").is_file():
        raise ProfileReportError(f"no archive in {out} (no archive.db): crawl into it first")
    try:
        with ArchiveDB.existing(out) as db:
            rows = db.profile_rules()
            captures = db.article_captures_all()
            disagreements = db.disagreement_counts()
            feed_items = db.feed_items_stored()
    except StoreError as exc:
        raise ProfileReportError(str(exc)) from None
    path = out / PROFILE_FILE
    report = ProfileReport(out, path if path.is_file() else None, 0, disagreements=disagreements,
                           feed_items=feed_items)
    order = {key: n for n, key in enumerate(KEYS)}
    report.rules = [RuleReport(r["key"], r["selector"], r["origin"], r["feed_pages"], r["feed_agreed"], r["filled"])
                    for r in sorted(rows, key=lambda r: (r["origin"] != "user", order.get(r["key"], 99)))]
    profiles = {r.key: Profile({r.key: r.selector}) for r in report.rules}
    for capture in captures:
        page = archived_page(out, capture)
        if page is None:
            continue
        report.article_pages += 1
        for rule in report.rules:
            try:
                if profiles[rule.key].select_elements(page[1], rule.key):
                    rule.archive_matched += 1
            except Exception:  # noqa: BLE001 - a selector lxml cannot evaluate on this page
                continue
    return report
