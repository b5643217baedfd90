"""The report's charts: matplotlib figures rendered to inline SVG.

Text stays text in the SVG (``svg.fonttype = 'none'``): the browser draws it, so Arabic names in
labels are shaped and ordered right-to-left by the browser, which matplotlib alone does not do.
Each function takes plain figures and returns an SVG string, or None when there is nothing to draw.
"""

from __future__ import annotations

import io
import logging
import re
import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from itertools import accumulate
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: render to files only
# On a fresh machine matplotlib builds its font cache once and says so as a warning: not the
# crawl's business (a crawl's stderr carries only what the user must act on).
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)

import matplotlib.dates as mdates  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

ACCENT = "#1f6f8b"
SECOND = "#99c4c8"
GOOD, INFO, WARN, BAD, MUTED = "#3a8a4f", "#1f6f8b", "#d08c2e", "#b8433b", "#8a8f98"
STYLE: dict[str, Any] = {
    "svg.fonttype": "none",  # text as <text>: selectable, searchable, shaped by the browser
    "svg.hashsalt": "arshif",  # stable ids: the same archive gives the same page
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],  # what Chromium draws Arabic with on a stock Debian
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#9aa0a6",
    "axes.labelcolor": "#333",
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#e6e8eb",
    "grid.linewidth": 0.8,
    "xtick.color": "#555",
    "ytick.color": "#555",
    "legend.frameon": False,
}
WIDTH = 6.4  # inches; the page scales the SVG to its column
MAX_BARS = 20
# How each article was reached, by link kind (the ``links`` table), in words.
REACHED_LABELS = {"article": "listing page", "feed": "feed", "sitemap": "sitemap", "related": "related posts",
                  "adjacent": "prev/next", "home": "home link", "pagination": "pagination", "": "start URL (no link)"}


@contextmanager
def _style() -> Iterator[None]:
    # Text is drawn by the browser with its own fonts: a glyph DejaVu Sans lacks (a name in another
    # script) only makes matplotlib's estimate of its width rough.
    with matplotlib.rc_context(STYLE), warnings.catch_warnings():  # type: ignore[arg-type]
        warnings.filterwarnings("ignore", message="Glyph .* missing from")
        yield


def _figure(height: float, columns: int = 1) -> tuple[Figure, list[Axes]]:
    fig = Figure(figsize=(WIDTH, height), layout="constrained")
    axes = fig.subplots(1, columns, squeeze=False)[0]
    return fig, list(axes)


def to_svg(fig: Figure) -> str:
    """The figure as an <svg> element for inline use: no XML prolog, no RDF metadata, no fixed
    size (the page sizes it; the viewBox keeps the proportions)."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]  # with every metadata key None, matplotlib writes no <metadata>
    return re.sub(r'^<svg ([^>]*?)width="[^"]*" height="[^"]*"', r'<svg \1role="img"', svg, count=1)


def _integer_axis(ax: Axes, axis: str = "y") -> None:
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_locator(MaxNLocator(integer=True))


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


_bytes_formatter = FuncFormatter(lambda value, _pos: human_bytes(value))


def _hbars(ax: Axes, labels: Sequence[str], values: Sequence[float], color: str | Sequence[str] = ACCENT,
           value_labels: Sequence[str] | None = None) -> None:
    """Horizontal bars, the first label on top, each bar labelled with its value."""
    positions = list(range(len(labels)))
    bars = ax.barh(positions, list(values), color=color, height=0.7)
    ax.set_yticks(positions, list(labels))
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.bar_label(bars, labels=list(value_labels or [f"{v:,.0f}" for v in values]), padding=3, fontsize=8,
                 color="#333")
    ax.margins(x=0.18)


def _bar_height(n: int) -> float:
    return 0.9 + 0.26 * n


def _hbar_chart(labels: Sequence[str], values: Sequence[float], xlabel: str,
                colors: str | Sequence[str] = ACCENT) -> str:
    """A chart of one set of horizontal bars with whole-number values."""
    with _style():
        fig, (ax,) = _figure(_bar_height(len(labels)))
        _hbars(ax, labels, values, colors)
        ax.set_xlabel(xlabel)
        _integer_axis(ax, "x")
        return to_svg(fig)


# --- the crawl ------------------------------------------------------------------------------------
_STEPS = [timedelta(seconds=s) for s in (0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400)]


def capture_timeline(times: Sequence[datetime]) -> str | None:
    """Captures over time (cumulative) and the crawl's rate in pages per minute."""
    if not times:
        return None
    start, end = times[0], times[-1]
    span = max(end - start, timedelta(seconds=1))
    step = next((s for s in _STEPS if span / s <= 40), _STEPS[-1])
    bins: dict[int, int] = {}
    for t in times:
        index = int((t - start) / step)
        bins[index] = bins.get(index, 0) + 1
    last = max(bins)
    lefts = [start + i * step for i in range(last + 1)]
    per_minute = [bins.get(i, 0) * 60 / step.total_seconds() for i in range(last + 1)]
    with _style():
        fig = Figure(figsize=(2 * WIDTH, 3.6), layout="constrained")
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
        # The cumulative curve on the bins' edges: ≤ 41 points whatever the crawl's size.
        edges = [start] + [left + step for left in lefts]
        cumulative = [0, *accumulate(bins.get(i, 0) for i in range(last + 1))]
        top.plot(edges, cumulative, color=ACCENT, linewidth=1.8)
        top.fill_between(edges, cumulative, color=ACCENT, alpha=0.08)
        top.set_ylabel("captures")
        top.set_title(f"{len(times):,} captures", loc="left")
        _integer_axis(top)
        bottom.bar(lefts, per_minute, width=step * 0.9, align="edge", color=SECOND)
        bottom.set_ylabel("pages/min")
        bottom.set_xlabel(f"time (UTC), bars of {_step_words(step)}")
        locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
        bottom.xaxis.set_major_locator(locator)
        bottom.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        return to_svg(fig)


def _step_words(step: timedelta) -> str:
    seconds = int(step.total_seconds())
    if step < timedelta(seconds=1):
        return f"{step.total_seconds():g} s"
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


def _status_color(status: int | None) -> str:
    if status is None:
        return MUTED
    return {2: GOOD, 3: INFO, 4: WARN, 5: BAD}.get(status // 100, MUTED)


def status_codes(rows: Sequence[dict]) -> str | None:
    """Captures per HTTP status (a revisit record apart from a full response; no answer in grey)."""
    if not rows:
        return None
    labels = [("no answer" if r["status"] is None else str(r["status"]))
              + (" revisit" if r["record_type"] == "revisit" and r["status"] != 304 else "")
              + (" (unchanged)" if r["status"] == 304 else "") for r in rows]
    return _hbar_chart(labels, [r["captures"] for r in rows], "captures", [_status_color(r["status"]) for r in rows])


def content_types(rows: Sequence[dict]) -> str | None:
    """Captures and bytes (as received) per content type."""
    if not rows:
        return None
    rows = list(rows)[:MAX_BARS]
    labels = [r["content_type"] or "?" for r in rows]
    with _style():
        fig, (count_ax, bytes_ax) = _figure(_bar_height(len(rows)), columns=2)
        _hbars(count_ax, labels, [r["captures"] for r in rows])
        count_ax.set_xlabel("captures")
        _integer_axis(count_ax, "x")
        _hbars(bytes_ax, [""] * len(rows), [r["bytes"] for r in rows], SECOND,
               [human_bytes(r["bytes"]) for r in rows])
        bytes_ax.set_xlabel("bytes")
        bytes_ax.xaxis.set_major_formatter(_bytes_formatter)
        return to_svg(fig)


# --- the articles ---------------------------------------------------------------------------------
def _months_between(first: str, last: str) -> list[str]:
    """Every "YYYY-MM" from first to last: months without articles show as gaps, not vanish."""
    year, month = int(first[:4]), int(first[5:7])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def articles_per_month(rows: Sequence[dict]) -> str | None:
    """Articles per month of publication."""
    counts = {r["month"]: r["articles"] for r in rows if r["month"] and len(r["month"]) == 7}
    if not counts:
        return None
    months = _months_between(min(counts), max(counts))
    values = [counts.get(m, 0) for m in months]
    with _style():
        fig, (ax,) = _figure(2.8)
        ax.bar(range(len(months)), values, color=ACCENT, width=0.8)
        every = max(1, len(months) // 12)
        ax.set_xticks(range(0, len(months), every), months[::every], rotation=45, ha="right")
        ax.set_xlim(-0.6, max(len(months), 12) - 0.4)  # a few months do not make bars a page wide
        ax.grid(axis="x", visible=False)
        ax.set_ylabel("articles")
        _integer_axis(ax)
        return to_svg(fig)


def named_counts(rows: Sequence[dict], name: str) -> str | None:
    """Articles per author or per category (the top ones; the page's table lists them all)."""
    if not rows:
        return None
    rows = list(rows)[:MAX_BARS]
    return _hbar_chart([r[name] for r in rows], [r["articles"] for r in rows], "articles")


def reached_by(counts: dict[str, int]) -> str | None:
    """How many articles each kind of link led to (an article reached several ways counts under each)."""
    if not counts:
        return None
    kinds = sorted(counts, key=lambda k: -counts[k])
    return _hbar_chart([REACHED_LABELS.get(k, k) for k in kinds], [counts[k] for k in kinds], "articles reached",
                       [MUTED if k == "" else ACCENT for k in kinds])


def date_sources(counts: dict[str, int]) -> str | None:
    """Where the articles' dates came from, and how many have none or one that was not understood."""
    if not counts:
        return None
    kinds = list(counts)
    colors = [BAD if k == "unparsed" else MUTED if k == "none" else GOOD for k in kinds]
    names = {"unparsed": "not understood", "none": "no date"}
    return _hbar_chart([names.get(k, k) for k in kinds], [counts[k] for k in kinds], "articles", colors)


# --- crawl after crawl ----------------------------------------------------------------------------
def _crawl_labels(rows: Sequence[dict]) -> list[str]:
    return [f"#{r['crawl_id']}" for r in rows]


def changes_per_crawl(rows: Sequence[dict]) -> str | None:
    """New, changed and gone articles, crawl by crawl."""
    if not rows:
        return None
    labels = _crawl_labels(rows)
    x = list(range(len(rows)))
    with _style():
        fig, (ax,) = _figure(2.6)
        width = 0.26
        for offset, (kind, color) in zip((-1, 0, 1), (("new", GOOD), ("changed", WARN), ("gone", BAD)), strict=True):
            bars = ax.bar([i + offset * width for i in x], [r[kind] for r in rows], width=width, color=color, label=kind)
            ax.bar_label(bars, padding=2, fontsize=7, color="#333")
        ax.set_xticks(x, labels)
        ax.set_xlabel("crawl")
        ax.set_ylabel("articles")
        ax.grid(axis="x", visible=False)
        ax.margins(y=0.18)
        _integer_axis(ax)
        fig.legend(ncols=3, loc="outside upper left")
        return to_svg(fig)


def dedup_per_crawl(rows: Sequence[dict]) -> str | None:
    """Full responses against revisit records, and the bytes the revisits did not store again."""
    if not rows:
        return None
    labels = _crawl_labels(rows)
    x = list(range(len(rows)))
    with _style():
        fig, (records, volume) = _figure(2.8, columns=2)
        responses = [r["responses"] for r in rows]
        revisits = [r["revisits"] for r in rows]
        records.bar(x, responses, color=ACCENT, label="full response", width=0.6)
        records.bar(x, revisits, bottom=responses, color=SECOND, label="revisit", width=0.6)
        records.set_xticks(x, labels)
        records.set_title("records", loc="left")
        records.grid(axis="x", visible=False)
        _integer_axis(records)
        records.margins(y=0.2)
        stored = [r["response_bytes"] for r in rows]
        saved = [r["saved_bytes"] for r in rows]
        volume.bar(x, stored, color=ACCENT, label="stored", width=0.6)
        bars = volume.bar(x, saved, bottom=stored, color=GOOD, label="saved", width=0.6)
        volume.bar_label(bars, labels=[f"−{human_bytes(s)}" if s else "" for s in saved], padding=2, fontsize=7)
        volume.set_xticks(x, labels)
        volume.set_title("bytes", loc="left")
        volume.yaxis.set_major_formatter(_bytes_formatter)
        volume.grid(axis="x", visible=False)
        volume.margins(y=0.2)
        for ax in (records, volume):
            ax.set_xlabel("crawl")
        fig.legend(handles=[*records.containers, volume.containers[1]], labels=["full response (bytes stored)", "revisit", "bytes saved"],
                   ncols=3, loc="outside upper left")
        return to_svg(fig)


# --- what went wrong ------------------------------------------------------------------------------
def failure_reason(row: dict) -> str:
    """A failed fetch in a few words: its HTTP status, or the kind of error it got."""
    if row.get("status"):
        return f"HTTP {row['status']}"
    return (row.get("error") or "unknown error").split(":", 1)[0]


def failure_reasons(rows: Sequence[dict]) -> str | None:
    """Failed fetches per reason."""
    if not rows:
        return None
    counts = Counter(map(failure_reason, rows))
    reasons = sorted(counts, key=lambda r: (-counts[r], r))[:MAX_BARS]
    return _hbar_chart(reasons, [counts[r] for r in reasons], "failed fetches",
                       [WARN if r.startswith("HTTP 4") else BAD for r in reasons])


# What the health figures of a crawl (``crawls.stats``, ``arshif/health/…``) mean, in words.
HEALTH_LABELS = {"stored": "articles stored", "no_date": "… without a date", "no_author": "… without an author",
                 "no_text": "… without text", "unstored_posts": "posts not understood",
                 "unstored_sitemap_like_posts": "sitemap pages like posts, not stored",
                 "filled_from_feed": "filled from the feed", "feed_disagreements": "disagree with the feed"}


def health(figures: dict[str, int]) -> str | None:
    """The crawl's health figures: articles stored, and how many lack a date, an author, text."""
    keys = [k for k in HEALTH_LABELS if k in figures]
    if not keys:
        return None
    problems = {"no_date", "no_author", "no_text", "unstored_posts", "unstored_sitemap_like_posts", "feed_disagreements"}
    colors = [(BAD if figures[k] else GOOD) if k in problems else ACCENT for k in keys]
    return _hbar_chart([HEALTH_LABELS[k] for k in keys], [figures[k] for k in keys], "pages", colors)
