"""Benchmark: Arshif's Arabic date normalization vs bare dateparser, on the same realistic mix.

Arabic blogs print the same few formats over and over; the mix below is shaped like a crawl of a
few blogs: mostly WordPress "F j, Y" dates, some day-first and weekday forms, Levantine and Maghreb
month names, times, numeric dates, Hijri dates, relative dates and bidi/tatweel noise.

    .venv/bin/python benchmarks/bench_dates.py [--n 20000]

Prints parses/s for both, their ratio, and how many inputs each got right.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import dateparser

from archive.arabic.dates import normalize_date
from benchmarks.record import save_results

EG = ["يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"]
LEV = ["كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران", "تموز", "آب", "أيلول", "تشرين الأول",
       "تشرين الثاني", "كانون الأول"]
MAG = ["جانفي", "فيفري", "مارس", "أفريل", "ماي", "جوان", "جويلية", "أوت", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"]
WEEKDAYS = ["الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"]
EASTERN = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
BASE = datetime(2025, 12, 25, 12, 0, tzinfo=timezone.utc)


def sample(rng: random.Random) -> tuple[str, str]:
    """One (text, expected ISO date) pair."""
    d = date(2023, 1, 1) + timedelta(days=rng.randrange(3 * 365))
    kind = rng.random()
    if kind < 0.45:
        return f"{EG[d.month - 1]} {d.day}, {d.year}", d.isoformat()
    if kind < 0.60:
        return f"{d.day} {EG[d.month - 1]}، {d.year}", d.isoformat()
    if kind < 0.68:
        return f"{WEEKDAYS[d.weekday()]} {d.day} {EG[d.month - 1]} {d.year}", d.isoformat()
    if kind < 0.74:
        return f"{d.day} {LEV[d.month - 1]} {d.year}", d.isoformat()
    if kind < 0.78:
        return f"{MAG[d.month - 1]} {d.day}, {d.year}", d.isoformat()
    if kind < 0.84:
        return f"{d.day}/{d.month}/{d.year}", d.isoformat()
    if kind < 0.89:
        return f"{d.day} {EG[d.month - 1]} {d.year}".translate(EASTERN), d.isoformat()
    if kind < 0.93:
        return f"نُشر في: {EG[d.month - 1][:2]}ـ{EG[d.month - 1][2:]} {d.day}, {d.year}", d.isoformat()
    if kind < 0.97:
        n = rng.randrange(2, 10)
        return f"منذ {n} أيام", (BASE.date() - timedelta(days=n)).isoformat()
    return f"\u200f{d.day} {EG[d.month - 1]} {d.year}\u200f", d.isoformat()


def run(fn, texts) -> tuple[float, list]:
    start = time.perf_counter()
    results = [fn(t) for t in texts]
    return time.perf_counter() - start, results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--json", type=Path, help="where the results go (default benchmarks/results/bench_dates.json)")
    args = parser.parse_args()
    started = time.perf_counter()
    rng = random.Random(2025)
    pairs = [sample(rng) for _ in range(args.n)]
    texts = [t for t, _ in pairs]

    def ours(text):
        p = normalize_date(text, base=BASE)
        return p.iso[:10] if p else None

    settings = {"RELATIVE_BASE": BASE.replace(tzinfo=None)}

    def bare(text):
        v = dateparser.parse(text, languages=["ar"], settings=settings)
        return v.date().isoformat() if v else None

    # bare dateparser is slow: time it on a slice and report per-second rates
    k = min(len(texts), 3000)
    t_bare, r_bare = run(bare, texts[:k])
    from archive.arabic.dates import _parse_absolute

    distinct = list(dict.fromkeys(texts))
    _parse_absolute.cache_clear()
    t_cold, _ = run(ours, distinct)  # every string seen for the first time: no cache help
    _parse_absolute.cache_clear()
    t_ours, r_ours = run(ours, texts)
    ok_ours = sum(r == e for r, (_, e) in zip(r_ours, pairs, strict=True))
    ok_ours_slice = sum(r == e for r, (_, e) in zip(r_ours[:k], pairs[:k], strict=True))
    ok_bare = sum(r == e for r, (_, e) in zip(r_bare, pairs[:k], strict=True))
    rate_ours, rate_bare = len(texts) / t_ours, k / t_bare
    print(f"inputs: {len(texts)} ({len(set(texts))} distinct strings); dateparser timed on the first {k}")
    print(f"arshif.normalize_date : {rate_ours:10.0f} parses/s, correct {ok_ours}/{len(texts)} "
          f"({100 * ok_ours / len(texts):.1f}%); on the slice {ok_ours_slice}/{k}")
    print(f"  uncached (each distinct string once): {len(distinct) / t_cold:10.0f} parses/s")
    print(f"dateparser.parse (ar) : {rate_bare:10.0f} parses/s, correct {ok_bare}/{k} ({100 * ok_bare / k:.1f}%)")
    print(f"speed ratio (arshif / dateparser): {rate_ours / rate_bare:.1f}x")
    save_results("bench_dates", f"normalize_date {rate_ours / rate_bare:.0f}x dateparser's parses/s; correct "
                 f"{100 * ok_ours / len(texts):.1f}% vs {100 * ok_bare / k:.1f}% ({len(texts)} dates)",
                 {"inputs": len(texts), "dateparser_inputs": k, "rate_ours": rate_ours, "rate_uncached": len(distinct) / t_cold,
                  "rate_dateparser": rate_bare, "correct_ours": ok_ours, "correct_dateparser": ok_bare},
                 time.perf_counter() - started, args.json)


if __name__ == "__main__":
    main()
