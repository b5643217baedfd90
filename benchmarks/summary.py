"""The one table `make bench` ends with: read back what every benchmark wrote to
benchmarks/results/*.json (benchmarks/record.py) and print the crawl benchmark's table (contenders ×
pages/s, ratio to bare Scrapy, CPU ms per page, peak RSS, memory growth to the big blog), then one
line per other benchmark with its key ratio, each benchmark's seconds, and where the raw files are.

    python benchmarks/summary.py [--since EPOCH] [--results DIR]

--since (the Makefile passes the time `make bench` started) leaves out results older than this run
and prints the whole run's wall time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.bench_crawl import Run, table
from benchmarks.record import RESULTS

# The order the lines are printed in; any other results file follows.
ORDER = ("bench_crawl", "bench_politeness", "bench_jobs", "bench_extract", "bench_dates", "bench_merge", "bench_calibrate")


def load(folder: Path, since: float) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """This run's results by benchmark name, and the names of results left out as older."""
    results, stale = {}, []
    for path in sorted(folder.glob("*.json")):
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            sys.exit(f"summary: cannot read {path}: {error}")
        name = record.get("benchmark", path.stem)
        if record.get("finished", 0) < since:
            stale.append(name)
            continue
        results[name] = record | {"path": str(path)}
    return results, stale


def crawl_table(record: dict[str, Any]) -> str:
    runs = [Run(**{k: v for k, v in run.items() if k != "rate"}) for run in record["runs"]]
    return table(runs, record["pages"], record["big"], record.get("against") or "--against")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--since", type=float, default=0.0, help="leave out results finished before this Unix time")
    parser.add_argument("--results", type=Path, default=RESULTS, help="the results folder (default benchmarks/results)")
    args = parser.parse_args()
    results, stale = load(args.results, args.since)
    if not results:
        sys.exit(f"summary: no benchmark results in {args.results}")
    names = [n for n in ORDER if n in results] + sorted(set(results) - set(ORDER))
    first = results[names[0]]
    print()
    print("=" * 100)
    print(f"Arshif benchmarks: {first.get('cores')} cores; load average (1 min) as each ended: "
          + ", ".join(f"{n.removeprefix('bench_')} {results[n]['load_average'][0]:.1f}" for n in names if "load_average" in results[n])
          + " (on a shared machine read the ratios, not the absolute figures)")
    if crawl := results.get("bench_crawl"):
        print(f"\nCrawl (bench_crawl, {crawl['seconds']:.0f} s): {crawl['pages']:,}-article blog on nginx, "
              f"{crawl['rounds']} alternating rounds, medians; × Scrapy is the median of each round's ratio")
        print(crawl_table(crawl))
    others = [n for n in names if n != "bench_crawl"]
    if others:
        print("\nThe other benchmarks, each against its baseline in the same run:")
        width = max(len(n) for n in others)
        for name in others:
            print(f"  {name:{width}} {results[name]['seconds']:5.0f} s  {results[name]['headline']}")
    missing = [n for n in ORDER if n not in results]
    if missing:
        print(f"\nnot run{' in this make bench' if args.since else ''}: {', '.join(missing)}"
              + (f" (older results left out: {', '.join(stale)})" if stale else ""))
    folders = {str(Path(results[n]["path"]).parent) for n in names}
    where = f" in {folders.pop()}/" if len(folders) == 1 else ""
    print(f"\nraw results{where}: {', '.join(results[n]['path'] if not where else Path(results[n]['path']).name for n in names)}")
    total = time.time() - args.since if args.since else sum(results[n]["seconds"] for n in names)
    print(f"{'make bench' if args.since else 'benchmarks'}: {total:.0f} s in all ({total / 60:.1f} min)")


if __name__ == "__main__":
    main()
