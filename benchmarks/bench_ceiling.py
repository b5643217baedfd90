"""How fast could `arshif crawl --capture-only` go, built as it is? A ladder, in the same run.

    python benchmarks/bench_ceiling.py                 # 3 rounds on 5,000 articles, ≈ 5 min

Each round runs, alternating: bare Scrapy on the URLs Arshif captured (the ratios' baseline, as in
bench_crawl.py), Arshif capture-only, and Arshif capture-only with its writes stubbed out
(benchmarks/writing_nothing.py: no WARC record, no captures row, no link rows). The last one still
fetches, reads every page in the reader processes, follows links and keeps its frontier on disk:
its ratio is the ceiling of this design, what capture-only would reach if writing the archive
cost nothing. Medians over the rounds, ratios within each round.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from archive.demo.server import free_port  # noqa: E402
from benchmarks.bench_crawl import ARSHIF, SETTINGS, Bench, Run, found, measure, median, serve, site_folder  # noqa: E402
from benchmarks.blogsite import write_site  # noqa: E402

LABELS = {"scrapy": "bare Scrapy (same URLs)", "capture": "arshif crawl --capture-only",
          "nothing": "  the same, writing nothing"}


def writing_nothing(bench: Bench, rnd: int, articles: int) -> Run:
    out = bench.tmp / f"nothing-{rnd}"
    shutil.rmtree(out, ignore_errors=True)
    wall, cpu, largest, tree, text = measure(
        [sys.executable, str(HERE / "writing_nothing.py"), "crawl", f"{bench.base}/", "--out", str(out),
         "--capture-only", *SETTINGS, *ARSHIF], bench.tmp)
    shutil.rmtree(out, ignore_errors=True)
    return Run("nothing", rnd, articles, found(r"STUB_PAGES=(\d+)", text), wall, cpu, largest, tree)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="arshif-ceiling-"))
    site_root = site_folder(tmp, args.articles)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    write_site(site_root / "site", base, args.articles)
    server = serve(tmp, site_root / "site", port)
    bench, runs = Bench(tmp, base), []
    try:
        for rnd in range(1, args.rounds + 1):
            runs.append(bench.crawl("capture", rnd, args.articles, "--capture-only"))  # writes the URL list first
            runs.append(bench.scrapy(rnd, args.articles))
            runs.append(writing_nothing(bench, rnd, args.articles))
            print(f"round {rnd}: " + ", ".join(f"{r.name} {r.rate:.0f}/s" for r in runs[-3:]), flush=True)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(tmp, ignore_errors=True)
        if site_root != tmp:
            shutil.rmtree(site_root, ignore_errors=True)
    print(f"\n{'':30} {'pages':>6} {'pages/s':>8} {'× Scrapy':>9} {'CPU ms/page':>12}")
    for name, label in LABELS.items():
        mine = [r for r in runs if r.name == name]
        scrapy = {r.round: r.rate for r in runs if r.name == "scrapy"}
        ratio = median([r.rate / scrapy[r.round] for r in mine])
        print(f"{label:30} {median([r.pages for r in mine]):6.0f} {median([r.rate for r in mine]):8.1f} "
              f"{ratio:9.2f} {median([r.cpu_ms_per_page for r in mine]):12.2f}")


if __name__ == "__main__":
    main()
