"""Micro-benchmark: ``extract_article`` CPU time per page, against trafilatura's bare ``extract()``.

Runs on the golden pages (tests/golden/: real theme markup, Arabic text). Absolute figures are
noisy on a shared machine, so each round times trafilatura's ``extract()`` and ``extract_article``
on the same pages back to back, and the ratio of the two is the figure to compare.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_extract.py [--rounds 30] [--against /path/to/checkout] [--pages DIR]

``--against`` also times the ``extract_article`` of another checkout (say the main branch, for a
before/after), in a subprocess whose rounds alternate with this one's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

from benchmarks.record import save_results

GOLDEN = Path(__file__).resolve().parent.parent / "tests" / "golden"
# url and base date of each golden page (relative dates resolve against the base)
BASE_DATE = "2025-12-26T09:00:00Z"


def pages(folder: Path = GOLDEN) -> list[tuple[str, str]]:
    return [(p.read_text(encoding="utf-8"), f"https://golden.example/{p.stem}/") for p in sorted(folder.glob("*.html"))]


def cpu_ms_per_page(fn: Callable[[str, str], object], docs: list[tuple[str, str]], repeat: int) -> float:
    start = time.process_time()
    for _ in range(repeat):
        for html, url in docs:
            fn(html, url)
    return (time.process_time() - start) * 1000 / (repeat * len(docs))


def measurer(folder: Path) -> Callable[[int], dict[str, float]]:
    """One round: mean CPU ms per page of trafilatura's extract() and of extract_article."""
    import trafilatura

    from archive.pages.extract import extract_article

    docs = pages(folder)
    for html, url in docs:  # warm caches and imports
        trafilatura.extract(html, url=url)
        extract_article(html, url, base_date=BASE_DATE)

    def one_round(repeat: int) -> dict[str, float]:
        return {"trafilatura": cpu_ms_per_page(lambda h, u: trafilatura.extract(h, url=u), docs, repeat),
                "arshif": cpu_ms_per_page(lambda h, u: extract_article(h, u, base_date=BASE_DATE), docs, repeat)}

    return one_round


def serve_rounds(folder: Path) -> None:
    """Child mode (--against): read a repeat count per line, answer one JSON round per line."""
    one_round = measurer(folder)
    for line in sys.stdin:
        print(json.dumps(one_round(int(line))), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5, help="passes over the pages per round")
    parser.add_argument("--against", type=Path, help="another checkout whose extract_article to time as well")
    parser.add_argument("--pages", type=Path, default=GOLDEN, help="a folder of article pages (*.html, UTF-8)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help="where the results go (default benchmarks/results/bench_extract.json)")
    args = parser.parse_args()
    started = time.perf_counter()
    if args.serve:
        return serve_rounds(args.pages)
    one_round = measurer(args.pages)
    other = None
    if args.against:
        env = {**os.environ, "PYTHONPATH": str(args.against.resolve())}
        other = subprocess.Popen([sys.executable, __file__, "--serve", "--pages", str(args.pages.resolve())],
                                 cwd=args.against, env=env,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    rows: dict[str, list[float]] = {"trafilatura": [], "arshif": [], "against/trafilatura": [], "against/arshif": []}
    for _ in range(args.rounds):
        for name, value in one_round(args.repeat).items():
            rows[name].append(value)
        if other:
            assert other.stdin and other.stdout
            other.stdin.write(f"{args.repeat}\n")
            other.stdin.flush()
            for name, value in json.loads(other.stdout.readline()).items():
                rows[f"against/{name}"].append(value)
    if other:
        assert other.stdin
        other.stdin.close()
        other.wait()
    print(f"{len(pages(args.pages))} pages of {args.pages}, {args.rounds} rounds × {args.repeat} passes, CPU ms per page")
    figures: dict[str, dict[str, float]] = {}
    print(f"{'':22s} {'mean':>7s} {'median':>7s}  ratio to trafilatura extract()")
    for name, values in rows.items():
        if not values:
            continue
        base = rows["against/trafilatura" if name.startswith("against") else "trafilatura"]
        ratio = statistics.median(v / b for v, b in zip(values, base, strict=True))
        print(f"{name:22s} {statistics.mean(values):7.2f} {statistics.median(values):7.2f}  {ratio:.2f}×")
        figures[name] = {"mean_ms": statistics.mean(values), "median_ms": statistics.median(values), "ratio": ratio}
    arshif = figures["arshif"]
    save_results("bench_extract", f"extract_article {arshif['median_ms']:.2f} ms/page, {arshif['ratio']:.2f}x trafilatura's "
                 f"extract() on the same {len(pages(args.pages))} pages ({args.pages.name})",
                 {"pages": str(args.pages), "rounds": args.rounds, "repeat": args.repeat, "figures": figures},
                 time.perf_counter() - started, args.json)


if __name__ == "__main__":
    main()
