"""The architecture, enforced: ``archive/`` is the Scrapy-free library, ``crawler/`` the Scrapy
project on top of it, and ``archive.store`` the one door to archive.db."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from archive.demo.server import SiteServer

from .conftest import ROOT, run_arshif

LIBRARY = ROOT / "archive"
# The command-line entry point sits above both layers: the one module that may reach into crawler/.
ENTRY_POINT = LIBRARY / "cli.py"


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in a file, relative ones resolved."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                found.append((node.lineno, ".".join(base + ([node.module] if node.module else []))))
            else:
                found.append((node.lineno, node.module or ""))
    return found


def library_files() -> list[Path]:
    return sorted(p for p in LIBRARY.rglob("*.py") if p != ENTRY_POINT)


def test_the_library_never_imports_the_crawler_or_scrapy():
    offending = [f"{path.relative_to(ROOT)}:{line} imports {module}"
                 for path in library_files() for line, module in imported_modules(path)
                 if module.split(".")[0] in ("crawler", "scrapy", "twisted")]
    assert len(library_files()) > 20 and offending == []


def test_importing_every_library_module_loads_no_scrapy():
    modules = [".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__") for p in library_files()]
    code = ("import importlib, sys\n"
            f"for name in {modules!r}: importlib.import_module(name)\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'scrapy', 'twisted', 'crawler'}))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


def test_only_the_store_opens_the_archive_database():
    """No module outside archive/store/ connects to SQLite (the scheduler's own schedules.db aside)."""
    allowed = {LIBRARY / "schedule.py"} | set((LIBRARY / "store").glob("*.py"))
    offending = []
    for path in [*library_files(), ENTRY_POINT, *sorted((ROOT / "crawler").rglob("*.py"))]:
        if path in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and ast.unparse(node.func) in ("sqlite3.connect", "sqlite_utils.Database"):
                offending.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offending == []


def test_scrapy_crawl_without_an_output_folder_writes_nothing(tmp_path):
    """`scrapy crawl blog` needs ARSHIF_OUT: no archive lands silently in the working folder."""
    (tmp_path / "scrapy.cfg").write_text("[settings]\ndefault = crawler.settings\n")
    env = {"PYTHONPATH": str(ROOT), "PATH": str(Path(sys.executable).parent)}
    proc = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "blog", "-a", "url=http://127.0.0.1:9/"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "ARSHIF_OUT is not set" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scrapy.cfg"]


def test_another_spider_in_the_project_archives_nothing_into_the_working_folder(tmp_path):
    """A spider of the user's own, run with this project's settings (as `scrapy runspider` in the
    project does), fetches as Scrapy would: Arshif's capture and storage stand aside without ARSHIF_OUT."""
    (tmp_path / "scrapy.cfg").write_text("[settings]\ndefault = crawler.settings\n")
    (tmp_path / "mine.py").write_text(
        "import scrapy\n\n"
        "class Mine(scrapy.Spider):\n"
        "    name = 'mine'\n\n"
        "    async def start(self):\n"
        "        yield scrapy.Request(self.url)\n\n"
        "    def parse(self, response):\n"
        "        print('FETCHED', response.status, response.css('title::text').get(), flush=True)\n")
    env = {"PYTHONPATH": str(ROOT), "PATH": str(Path(sys.executable).parent)}
    with SiteServer("classic") as blog:
        proc = subprocess.run([sys.executable, "-m", "scrapy", "runspider", "mine.py", "-a", f"url={blog.base_url}/",
                               "-s", "ROBOTSTXT_OBEY=False"], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "FETCHED 200" in proc.stdout
    assert "Disabled crawler.middlewares.WarcCaptureMiddleware: ARSHIF_OUT is not set" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "__pycache__") == ["mine.py", "scrapy.cfg"]


def test_the_archive_folder_is_out_and_o_is_always_a_file():
    """--out DIR names the archive beside URLs; -o is never a folder."""
    for command in ("crawl", "show", "demo"):
        usage = run_arshif(command, "--help").stdout
        assert "--out DIR" in usage, command
        assert "-o," not in usage, command
    for command in ("index", "wacz", "export"):
        assert "-o, --output" in run_arshif(command, "--help").stdout, command


def test_the_crawl_and_the_extraction_workers_do_not_load_the_reports_charts():
    """matplotlib (the report's charts, ≈ 30 MB) is loaded where a report is drawn, never by what a
    crawl and its reader and extraction processes import: importing it there raised a 5,000-page
    crawl's peak from 127 to 157 MB."""
    code = ("import sys, crawler.run, crawler.spiders.blog, crawler.reading, crawler.pipelines, archive.reindex, "
            "archive.extraction, archive.pages.pool, archive.pages.archived; "
            "print(sorted(m for m in ('matplotlib', 'jinja2') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[]"
