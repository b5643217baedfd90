"""The crawl report: ``OUT/report.html``, one self-contained page (inline SVG charts, inline CSS,
no script, nothing fetched) about the latest crawl in OUT and the archive as a whole. It is built
from ``OUT/archive.db`` and the WARC files alone, so ``write_report(out)`` rebuilds it any time;
every crawl writes it when it ends.

    from archive.report import write_report
    write_report("demo-output")                  # demo-output/report.html
    write_report("demo-output", "/tmp/r.html")
"""

from __future__ import annotations

import os
import shlex
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from . import charts
from .figures import ReportData, gather

REPORT_NAME = "report.html"
TABLE_ROWS = 300  # rows of a list (changes, failures, unparsed dates) shown; the database has them all


def _when(moment: datetime | None) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "—"


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _iri(url: str | None) -> str:
    """A URL as a person reads it: percent-encoded Arabic shown as Arabic."""
    return unquote(url or "")


def _charts(data: ReportData) -> dict[str, Markup | None]:
    drawn = {
        "timeline": charts.capture_timeline(data.capture_times),
        "status": charts.status_codes(data.status_counts),
        "types": charts.content_types(data.content_types),
        "months": charts.articles_per_month(data.per_month),
        "authors": charts.named_counts(data.per_author, "author"),
        "categories": charts.named_counts(data.per_category, "category"),
        "reached": charts.reached_by(data.reached_by),
        "changes": charts.changes_per_crawl(data.changes_per_crawl),
        "dedup": charts.dedup_per_crawl(data.dedup_per_crawl),
        "failures": charts.failure_reasons(data.failures),
        "dates": charts.date_sources(data.date_sources),
        # a capture-only crawl's pages wait for `arshif extract`: none is "not understood" yet
        "health": None if data.summary.deferred else charts.health(data.summary.health),
    }
    return {name: Markup(svg) if svg else None for name, svg in drawn.items()}  # noqa: S704 - our own SVG


def _pending(data: ReportData) -> str:
    """What a capture-only crawl left to do, in place of a health verdict it cannot give yet."""
    folder = shlex.quote(str(data.out.resolve()))  # whole: the report is opened from anywhere
    return (f"{data.summary.deferred:,} article pages captured, not extracted yet: run `arshif extract "
            f"{folder}`; the crawl's health is judged once they are")


def render(data: ReportData) -> str:
    """The report page for these figures."""
    env = Environment(loader=PackageLoader("archive.report"), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(iri=_iri, when=_when, duration=_duration, bytes=charts.human_bytes)
    return env.get_template("report.html").render(
        data=data, crawl=data.crawl, summary=data.summary, charts=_charts(data),
        warnings=data.summary.health_lines(), generated=datetime.now(timezone.utc),
        limit=TABLE_ROWS, pending=_pending(data))


def build_report(out: str | Path) -> str:
    """The report page of the archive folder ``out``. Raises StoreError (no or damaged archive.db)
    or CrawlError (no crawl recorded)."""
    return render(gather(out))


def write_report(out: str | Path, path: str | Path | None = None) -> Path:
    """Write the report of ``out`` to ``path`` (default ``out/report.html``); returns the path.
    Written aside and renamed: a browser never opens half a page."""
    target = Path(path) if path else Path(out) / REPORT_NAME
    page = build_report(out)
    partial = target.with_name(target.name + ".part")
    partial.write_text(page, encoding="utf-8")
    os.replace(partial, target)
    return target
