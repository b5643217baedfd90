"""`make bench`'s last step (benchmarks/summary.py): one table read back from the JSON files the
benchmarks wrote. Two real benchmarks run small (dates, extract); the crawl benchmark's record is
built from its own Run rows, as bench_crawl.py saves them (it needs nginx and minutes)."""

import json
import os
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import pytest

from benchmarks.bench_crawl import Run, headline
from benchmarks.record import save_results

ROOT = Path(__file__).resolve().parent.parent


def bench(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def crawl_runs() -> list[Run]:
    """Two rounds on 5,000 articles (bare Scrapy twice as fast as the capture in each) and one
    capture-only crawl of 50,000 whose largest process is 10% bigger."""
    runs = []
    for rnd, scrapy_seconds in ((1, 10.0), (2, 12.0)):
        runs.append(Run("capture", rnd, 5000, 5500, 2 * scrapy_seconds, 40.0, 100.0, 200.0))
        runs.append(Run("scrapy", rnd, 5000, 5500, scrapy_seconds, 7.0, 80.0, 80.0))
        runs.append(Run("full", rnd, 5000, 5500, 4 * scrapy_seconds, 70.0, 150.0, 260.0))
    runs.append(Run("capture", 1, 50000, 51000, 200.0, 400.0, 110.0, 230.0))
    return runs


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("results")
    started = time.time()
    stale = save_results("bench_merge", "an earlier run's ratio", {}, 1.0, folder / "bench_merge.json")
    record = json.loads(stale.read_text())
    stale.write_text(json.dumps(record | {"finished": started - 3600}))
    for args in (["benchmarks/bench_dates.py", "--n", "300", "--json", str(folder / "bench_dates.json")],
                 ["benchmarks/bench_extract.py", "--rounds", "1", "--repeat", "1", "--json", str(folder / "bench_extract.json")]):
        done = bench(*args)
        assert done.returncode == 0, done.stderr
        assert f"raw results: {folder}" in done.stdout
    runs = crawl_runs()
    save_results("bench_crawl", headline(runs, 5000, 50000),
                 {"pages": 5000, "big": 50000, "rounds": 2, "against": "", "runs": [asdict(r) for r in runs]},
                 300.0, folder / "bench_crawl.json")
    return folder, started


def test_the_crawl_table_gives_each_rounds_ratio_and_the_memory_growth(results):
    folder, started = results
    done = bench("benchmarks/summary.py", "--results", str(folder), "--since", str(started))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    capture = next(line for line in lines if line.startswith("arshif crawl --capture-only"))
    assert capture.split()[5] == "0.50"  # label (3 words), pages, pages/s, then × Scrapy
    full = next(line for line in lines if line.startswith("arshif crawl (full)"))
    assert full.split()[5] == "0.25"
    assert any("100 → 110 MB (+10%)" in line and "tree 200 → 230 MB (+15%)" in line for line in lines)
    assert "Crawl (bench_crawl, 300 s): 5,000-article blog" in done.stdout


def test_one_line_per_other_benchmark_with_its_ratio_and_where_the_files_are(results):
    folder, started = results
    done = bench("benchmarks/summary.py", "--results", str(folder), "--since", str(started))
    dates = json.loads((folder / "bench_dates.json").read_text())
    assert dates["correct_ours"] == 300 and dates["rate_ours"] > dates["rate_dateparser"]
    dates_line = next(line for line in done.stdout.splitlines() if line.strip().startswith("bench_dates"))
    assert f"normalize_date {dates['rate_ours'] / dates['rate_dateparser']:.0f}x dateparser" in dates_line
    extract_line = next(line for line in done.stdout.splitlines() if line.strip().startswith("bench_extract"))
    assert "x trafilatura's extract() on the same 4 pages (golden)" in extract_line
    # the earlier run's merge result is left out, and said to be
    assert "an earlier run's ratio" not in done.stdout
    assert "older results left out: bench_merge" in done.stdout
    raw = next(line for line in done.stdout.splitlines() if line.startswith("raw results"))
    assert raw.startswith(f"raw results in {folder}/: ")
    assert all(f"bench_{name}.json" in raw for name in ("crawl", "dates", "extract"))
    assert "make bench:" in done.stdout.splitlines()[-1]


def test_no_results_is_one_line_and_a_failure(tmp_path):
    done = bench("benchmarks/summary.py", "--results", str(tmp_path))
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [f"summary: no benchmark results in {tmp_path}"]
    assert "Traceback" not in done.stderr
