"""The ``arshif`` command line. Each command is a thin layer over a library function.

This module sits above both layers: it is the one place under ``archive/`` that may import
``crawler`` (the Scrapy project), and only lazily, inside the commands that crawl.

Flags mean one thing in every command: the archive folder is ``OUT`` (positional where it is the
command's only argument, ``--out DIR`` beside URLs), and ``-o FILE`` is always a file to write.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from . import __version__

if TYPE_CHECKING:
    from .crawl import CrawlSummary
    from .schedule import ScheduleStore


@contextmanager
def _as_user_error(*kinds: type[Exception]) -> Iterator[None]:
    """Errors the user can act on become one ``Error:`` line and exit status 1, never a traceback."""
    try:
        yield
    except kinds as exc:
        raise click.ClickException(str(exc)) from None


def _parse_setting(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}")
        out[name.strip()] = value
    return out


# -h beside --help, and help up to 100 columns wide, in every command (subcommands inherit both).
@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="arshif")
def cli() -> None:
    """Arshif (أرشيف): archive Arabic blogs into WARC files and a SQLite database.

    \b
    Example:
        arshif crawl https://example.blog/ --out example-archive
        arshif serve example-archive
        arshif COMMAND --help
    """


_out_option = click.option("--out", "out", required=True, type=click.Path(file_okay=False), metavar="DIR",
                           help="The archive folder (archive.db, warc/).")


_redis_option = click.option("--redis", "redis_url", metavar="URL",
                             help="Redis of a job shared by several workers: redis://HOST:PORT/DB.")


@cli.command()
@click.argument("urls", nargs=-1, metavar="URL [URL ...]")
@_out_option
@click.option("-s", "--set", "settings", multiple=True, callback=_parse_setting, metavar="NAME=VALUE",
              help="Scrapy or ARSHIF_ setting, as `scrapy crawl -s`. Repeatable.")
@click.option("--allow-domain", multiple=True, metavar="HOST", help="Also crawl this host (and its subdomains). Repeatable.")
@click.option("--profile", type=click.Path(dir_okay=False), help="Per-site profile (TOML) with CSS/XPath overrides.")
@click.option("--contact", metavar="URL", help="Contact URL or mailto: for the User-Agent (ARSHIF_CONTACT).")
@click.option("--operator", metavar="NAME", help="Who runs the crawl, written into warcinfo (ARSHIF_OPERATOR).")
@click.option("--full", is_flag=True, help="Into a folder with earlier crawls: re-walk and re-fetch everything "
              "(default: incremental, with conditional requests).")
@click.option("--no-resume", is_flag=True, help="Keep no frontier on disk (OUT/job) for pause and resume.")
@click.option("--capture-only", is_flag=True, help="Write WARC files, captures and links at the network's pace; "
              "extract the articles later with `arshif extract OUT` (ARSHIF_EXTRACT=False).")
@_redis_option
@click.option("--job", metavar="NAME", help="With --redis: the job's name (default: the first URL's host and port).")
@click.option("--urls", "urls_file", type=click.File(encoding="utf-8"), metavar="FILE",
              help="With --redis: more start URLs, one a line (many blogs in one job).")
@click.option("--verbose", "-v", is_flag=True, help="Show Scrapy's own log lines.")
def crawl(urls: tuple[str, ...], out: str, settings: dict[str, str], allow_domain: tuple[str, ...], profile: str | None,
          contact: str | None, operator: str | None, full: bool, no_resume: bool, capture_only: bool,
          redis_url: str | None, job: str | None, urls_file: TextIO | None, verbose: bool) -> None:
    """Crawl the blog at URL into OUT.

    With --redis, start a job that several workers share (see `arshif worker`): the start URLs
    (several blogs if you like) and the settings go to Redis, and this process works on the job
    as its first worker until the whole job is done.

    \b
    Example:
        arshif crawl https://example.blog/ --out example-archive
        arshif crawl https://example.blog/2025/12/post/ --out out -s DOWNLOAD_DELAY=2
        arshif crawl https://a.blog/ https://b.blog/ --out out --redis redis://127.0.0.1:6379/0
    """
    from crawler.process import crawl as run_crawl

    from .crawl import CrawlError
    from .store import StoreError

    if contact:
        settings["ARSHIF_CONTACT"] = contact
    if operator:
        settings["ARSHIF_OPERATOR"] = operator
    if capture_only:
        settings["ARSHIF_EXTRACT"] = "False"
    starts = list(urls) + ([line.strip() for line in urls_file if line.strip() and not line.startswith("#")]
                           if urls_file else [])
    if not starts:
        raise click.UsageError("give a start URL (or --urls FILE with --redis)")
    if redis_url:
        _crawl_job(starts, out, settings, allow_domain, profile, full, redis_url, job, verbose)
        return
    if len(starts) > 1 or job:
        raise click.UsageError("several start URLs, --urls and --job make a job: add --redis redis://HOST:PORT/DB")
    url = starts[0]
    with _as_user_error(CrawlError, StoreError):
        summary = run_crawl(url, out, settings=settings, allow_domains=allow_domain, profile=profile, verbose=verbose,
                            full=full, resume=not no_resume)
    _print_summary(summary)
    _print_next_steps(Path(out), summary, "arshif", again=f"arshif crawl {url} --out {out}")
    if summary.finish_reason == "shutdown":  # Ctrl-C or SIGTERM: stopped gracefully, resumable
        click.echo("interrupted — run the same command again to resume", err=True)
        sys.exit(130)
    if summary.finish_reason == "redis-failed":  # ARSHIF_REDIS_URL: the job's shared state went away
        raise click.ClickException("the job's Redis could not be reached (see the error above); what was fetched "
                                   "is archived: run the same command again once Redis is back")
    _fail_unless_understood(summary, url)


def _crawl_job(urls: list[str], out: str, settings: dict[str, str], allow_domain: tuple[str, ...],
               profile: str | None, full: bool, redis_url: str, name: str | None, verbose: bool) -> None:
    from crawler.process import crawl_job, job_spec

    from .crawl import CrawlError
    from .jobs import Job, JobError, check_job_name, connect, job_name_for
    from .store import StoreError

    with _as_user_error(CrawlError, StoreError, JobError):
        spec = job_spec(urls, out, settings=settings, allow_domains=allow_domain, profile=profile, full=full)
        name = check_job_name(name or job_name_for(spec["urls"][0]))
        job = Job.create(connect(redis_url), name, spec["urls"], spec)
        click.echo(f"job {name}: {len(spec['urls'])} start URL(s) in {redis_url}; "
                   f"more workers: arshif worker --redis {redis_url} --job {name} --out DIR", err=True)
        summary = crawl_job(job, redis_url, out, seed=True, verbose=verbose)
    _print_job_summary(summary, name)


def _print_job_summary(summary: CrawlSummary, name: str) -> None:
    _print_summary(summary)
    if summary.finish_reason == "shutdown":
        click.echo(f"interrupted — what this worker held went back to the queue; join job {name} again with "
                   "`arshif worker`", err=True)
        sys.exit(130)


@cli.command()
@click.option("--redis", "redis_url", required=True, metavar="URL", help="The job's Redis: redis://HOST:PORT/DB.")
@_out_option
@click.option("--job", metavar="NAME", help="The job to join (default: the only unfinished one).")
@click.option("--verbose", "-v", is_flag=True, help="Show Scrapy's own log lines.")
def worker(redis_url: str, out: str, job: str | None, verbose: bool) -> None:
    """Join a job started by `arshif crawl --redis` as one more worker, on this machine or another.

    The worker crawls with the job's settings, writes WARC files of its own (its id in their
    names) and its rows into OUT/archive.db (OUT may be shared with other workers on this
    machine), and exits 0 once the whole job is done.

    \b
    Example:
        arshif worker --redis redis://10.0.0.5:6379/0 --out archive
    """
    from crawler.process import crawl_job

    from .crawl import CrawlError
    from .jobs import Job, JobError, connect
    from .store import StoreError

    with _as_user_error(CrawlError, StoreError, JobError):
        found = Job.open(connect(redis_url), job)
        summary = crawl_job(found, redis_url, out, seed=False, verbose=verbose)
    _print_job_summary(summary, found.name)


@cli.command()
@click.option("--redis", "redis_url", required=True, metavar="URL", help="Redis: redis://HOST:PORT/DB.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per job instead of a table.")
def jobs(redis_url: str, as_json: bool) -> None:
    """List the jobs in Redis: state, queue, seen URLs, requests in flight, workers alive, pages done.

    \b
    Example:
        arshif jobs --redis redis://127.0.0.1:6379/0
    """
    from dataclasses import asdict

    from .jobs import JobError, connect, list_jobs

    with _as_user_error(JobError):
        found = list_jobs(connect(redis_url))
    if as_json:
        for status in found:
            click.echo(json.dumps(asdict(status), ensure_ascii=False))
        return
    if not found:
        click.echo("no jobs")
        return
    click.echo(f"{'job':<24} {'state':<9} {'queued':>7} {'seen':>7} {'in flight':>9} {'workers':>7} {'pages':>7}")
    for s in found:
        click.echo(f"{s.name:<24} {s.state:<9} {s.queued:>7} {s.seen:>7} {s.in_flight:>9} "
                   f"{len(s.workers_alive):>7} {s.pages:>7}")
        for name in s.workers_alive:
            click.echo(f"  worker {name}: {s.pages_by_worker.get(name, 0)} pages")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _print_summary(summary: CrawlSummary) -> None:
    for line in summary.lines():
        click.echo(line)
    for line in summary.health_lines():
        click.echo(f"warning: {line}", err=True)


def _print_next_steps(out: Path, summary: CrawlSummary, arshif: str, again: str) -> None:
    """Where the output is and what to do with it, after every crawl."""
    made = [name for name in ("archive.db", "warc/", "report.html") if (out / name.rstrip("/")).exists()]
    if summary.log_file:
        made.append(os.path.relpath(summary.log_file, out))
    click.echo(f"\nOutput in {out.resolve()}/ : {', '.join(made)}")
    click.echo("Next steps:")
    steps = []
    if (out / "report.html").exists():
        steps.append(("read the crawl report", f"open {out / 'report.html'}"))
    if summary.deferred:
        steps.append(("extract the articles", f"{arshif} extract {out}"))
    steps += [("search and browse the articles", f"{arshif} serve {out}"),
              ("replay the archived pages", f"{arshif} replay {out}"),
              ("or in ReplayWeb.page, no pywb", f"{arshif} replay {out} --web"),
              ("package it for ReplayWeb.page", f"{arshif} wacz {out} -o {out.name or 'archive'}.wacz"),
              ("crawl again (incremental)", again)]
    if summary.finish_reason == "shutdown":
        steps = [("resume this crawl", again)] + steps[:-1]
    width = max(len(what) for what, _ in steps) + 2
    for what, command in steps:
        click.echo(f"  {what + ':':<{width}}{command}")


NOT_UNDERSTOOD = "the blog was archived in the WARC files but its posts were not understood as articles (see the warning above)"


def _fail_unless_understood(summary: CrawlSummary, url: str) -> None:
    """A crawl that fetched nothing, or captured the blog's posts without understanding them, is
    not a success."""
    if summary.responses == 0:
        raise click.ClickException(f"nothing could be fetched from {url} (see the captures table for the errors)")
    if not summary.understood:
        raise click.ClickException(NOT_UNDERSTOOD)


@cli.command()
@click.option("--out", default="demo-output", show_default=True, type=click.Path(file_okay=False), metavar="DIR",
              help="The archive folder to crawl into.")
@click.option("--theme", type=click.Choice(["classic", "block", "blogger", "custom"]), default="classic", show_default=True,
              help="Markup of the bundled blog.")
@click.option("--port", default=8750, show_default=True, type=click.IntRange(0, 65535),
              help="Port for the demo blog (a free one if taken). The same port each time makes a second "
                   "`arshif demo` an incremental re-crawl of the same URLs.")
@click.option("--verbose", "-v", is_flag=True, help="Show Scrapy's own log lines.")
def demo(out: str, theme: str, port: int, verbose: bool) -> None:
    """Serve the bundled Arabic demo blog on 127.0.0.1 and crawl it into OUT.

    Run it twice: the second run is an incremental re-crawl of the same URLs.

    \b
    Example:
        arshif demo
        arshif demo --theme blogger --out blogger-demo
    """
    from crawler.process import crawl as run_crawl

    from .crawl import CrawlError
    from .demo.server import SiteServer
    from .store import StoreError

    try:
        server = SiteServer(theme, port=port)
    except OSError:
        server = SiteServer(theme)
    with server:
        click.echo(f"Serving the demo blog ({theme} theme) at {server.base_url}/")
        # A local server needs no throttling; on the real web keep the polite defaults.
        local = {"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0, "CONCURRENT_REQUESTS_PER_DOMAIN": 8}
        with _as_user_error(CrawlError, StoreError):
            summary = run_crawl(server.base_url + "/", out, settings=local, verbose=verbose)
    _print_summary(summary)
    _print_next_steps(Path(out), summary, ".venv/bin/arshif", again="make demo")
    _fail_unless_understood(summary, server.base_url + "/")


@cli.command("parse-date")
@click.argument("texts", nargs=-1, metavar="[TEXT]...")
@click.option("--base", metavar="ISO", help="Resolve relative dates (منذ 3 أيام) against this time; default now.")
def parse_date(texts: tuple[str, ...], base: str | None) -> None:
    """Normalize the Arabic dates in each TEXT: prints ISO<TAB>calendar per input (empty ISO when
    there is no date).

    With no TEXT, reads one text per line from standard input.

    \b
    Example:
        arshif parse-date "ديسمبر 25, 2025" "4 رجب 1447 هـ"
        printf 'منذ 3 أيام\\n' | arshif parse-date --base 2025-12-25T10:00:00+03:00
    """
    from .arabic.dates import normalize_date, parse_iso

    if base:
        try:
            base_dt = parse_iso(base)
        except ValueError:
            raise click.BadParameter(f"not an ISO 8601 date-time: {base!r}", param_hint="--base") from None
    else:
        base_dt = datetime.now(timezone.utc)
    inputs = texts if texts else (line.rstrip("\r\n") for line in sys.stdin)
    for text in inputs:
        parsed = normalize_date(text, base=base_dt)
        click.echo(f"{parsed.iso}\t{parsed.calendar}" if parsed else "\t")


def _out_folder(out: str) -> Path:
    path = Path(out)
    if not (path / "warc").is_dir():
        raise click.ClickException(f"{out} is not an Arshif output folder (no warc/ inside)")
    return path


def _whole_folder(out: str) -> Path:
    """An output folder none of whose WARC files that archive.db refers to is missing."""
    from .store import ArchiveDB, StoreError

    path = _out_folder(out)
    if (path / "archive.db").exists():
        with _as_user_error(StoreError), ArchiveDB.existing(path) as db:
            referred = db.warc_filenames()
        missing = sorted(referred - {p.name for p in (path / "warc").glob("*.warc.gz")})
        still_open = [name for name in missing if (path / "warc" / f"{name}.open").exists()]
        if still_open:
            raise click.ClickException(f"{still_open[0]} is still open: a crawl is writing to {out}, or it crashed "
                                       f"(`arshif reindex {out}` repairs it)")
        if missing:
            raise click.ClickException(f"{len(missing)} WARC file(s) that archive.db refers to are missing from "
                                       f"{path / 'warc'}: {', '.join(missing[:3])}{', …' if len(missing) > 3 else ''}")
    return path


@cli.command()
@click.argument("out", type=click.Path(file_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Index file (default OUT/index.cdxj).")
def index(out: str, output: str | None) -> None:
    """Write a sorted CDXJ index of all WARC files in OUT.

    \b
    Example:
        arshif index demo-output
    """
    from .warc import PackageError, write_cdxj

    with _as_user_error(PackageError, OSError):
        dest = write_cdxj(_whole_folder(out), output)
    with open(dest, encoding="utf-8") as fh:
        lines = sum(1 for _ in fh)
    click.echo(f"{dest}: {lines} records indexed")


@cli.command()
@click.argument("out", type=click.Path(file_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The .wacz file to write.")
@click.option("--title", help="Title of the package (default: from the start URL).")
def wacz(out: str, output: str, title: str | None) -> None:
    """Package OUT as a WACZ file (WARCs, CDXJ index, pages list with Arabic titles).

    \b
    Example:
        arshif wacz demo-output -o demo.wacz
    """
    from .store import ArchiveDB, StoreError
    from .warc import PackageError, write_wacz

    with _as_user_error(PackageError, StoreError, OSError):
        folder = _whole_folder(out)
        with ArchiveDB.existing(folder) as db:
            pages, first = db.article_pages(), db.first_crawl()
        title = title or f"Arshif archive of {first['start_url'] if first else out}"
        package = write_wacz(folder, output, pages=pages, title=title)
    size = sum(r["bytes"] for r in package["resources"])
    click.echo(f"{output}: {len(package['resources'])} files, {size:,} bytes")


@cli.command()
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--port", "-p", default=8080, show_default=True, type=click.IntRange(1, 65535),
              help="Port to serve the replay on, on 127.0.0.1.")
@click.option("--web", is_flag=True, help="Serve a ReplayWeb.page viewer of OUT packaged as a WACZ "
              "(OUT/replay/arshif.wacz) instead of pywb; its files are fetched with npm once (`make replay-web`).")
def replay(out: str, port: int, web: bool) -> None:
    """Replay OUT's WARC files on 127.0.0.1 with pywb, or with --web in ReplayWeb.page (Ctrl-C to stop).

    Links to the replay from `arshif serve` and `arshif show` follow the port and viewer last used.

    \b
    Example:
        arshif replay demo-output --port 8080
        arshif replay demo-output --web --port 8090
    """
    if web:
        _replay_web(out, port)
        return
    from .replay import ReplayError, start
    from .replaylinks import newest_links
    from .store import StoreError
    from .warc import PackageError

    with _as_user_error(ReplayError, PackageError, StoreError, OSError):
        base = f"http://127.0.0.1:{port}"
        urls = newest_links(_out_folder(out), "pywb", base)
        proc = start(out, port)
    signal.signal(signal.SIGTERM, _interrupt)  # SIGTERM stops pywb too, as Ctrl-C does
    click.echo(f"pywb is replaying {out} at {base}/arshif/")
    for title, url in urls:
        click.echo(f"  {title}\n    {url}")
    sys.stdout.flush()
    try:
        proc.wait()
    except KeyboardInterrupt:
        pass
    finally:
        proc.terminate()
        proc.wait()


def _replay_web(out: str, port: int) -> None:
    from .replaylinks import newest_links
    from .replayweb import ReplayWebError, serve
    from .store import StoreError
    from .warc import PackageError

    folder = _whole_folder(out)  # a missing WARC file stops packaging with one line

    def ready(base: str) -> None:
        click.echo(f"ReplayWeb.page is replaying {out} at {base}/  (the archive's pages; Ctrl-C to stop)")
        for title, url in newest_links(folder, "web", base):
            click.echo(f"  {title}\n    {url}")
        sys.stdout.flush()

    with _as_user_error(ReplayWebError, PackageError, StoreError, OSError):
        serve(folder, port, on_ready=ready, say=lambda line: click.echo(line, err=True))


@cli.command()
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--workers", type=click.IntRange(1, 64), help="Extraction processes (default: one per core).")
@click.option("--profile", type=click.Path(dir_okay=False),
              help="Per-site profile to extract with (default: the one each crawl recorded).")
@click.option("--replay-url", metavar="PATTERN",
              help="Pattern of articles.replay_url, e.g. http://127.0.0.1:8095/arshif/{timestamp}/{url} "
                   "(default: the one each crawl recorded).")
@click.option("--allow-missing", is_flag=True,
              help="Rebuild even when WARC files are missing or the result holds fewer captures or articles.")
def reindex(out: str, workers: int | None, profile: str | None, replay_url: str | None, allow_missing: bool) -> None:
    """Rebuild OUT/archive.db from OUT/warc/ alone (the old database is kept as archive.db.bak.N).

    Each crawl's pages are extracted with the settings that crawl recorded (its profile, its
    replay URL pattern); --profile and --replay-url override them. Refused while a crawl writes to
    OUT, when a WARC file archive.db refers to is missing, or when the result would hold fewer
    captures or articles than archive.db (unless --allow-missing).

    \b
    Example:
        arshif reindex demo-output
    """
    from .pages.profile import Profile, ProfileError
    from .reindex import ReindexError
    from .reindex import reindex as run_reindex
    from .warc import PackageError

    with _as_user_error(PackageError, ProfileError, ReindexError, OSError):
        selectors = Profile.load(profile).selectors if profile else None
        summary = run_reindex(_out_folder(out), workers=workers, profile=selectors, replay_pattern=replay_url,
                              allow_missing=allow_missing)
    click.echo(f"{summary.records} WARC records read, {summary.captures} captures, {summary.articles} articles "
               f"in {summary.seconds:.1f} s" + (f"; the old database is {summary.backup}" if summary.backup else ""))
    if summary.missing:
        click.echo(f"rebuilt without {len(summary.missing)} missing WARC file(s): {', '.join(summary.missing)}", err=True)
    for kind, count in summary.lost.items():
        click.echo(f"the rebuilt database holds {count} {kind} fewer than the old one", err=True)
    for line in summary.latest.health_lines() if summary.latest else []:  # judged again on the rebuilt rows
        click.echo(f"warning: {line}", err=True)
    _redraw_report(Path(out))


@cli.command()
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--workers", type=click.IntRange(1, 64), help="Extraction processes (default: one per core).")
def extract(out: str, workers: int | None) -> None:
    """Extract the articles a `crawl --capture-only` left in OUT (only what is not extracted yet).

    Each page is decided and extracted with the settings its crawl recorded; stopped half-way, the
    next run takes up what is still missing.

    \b
    Example:
        arshif crawl https://example.blog/ --out example --capture-only
        arshif extract example
    """
    from .extraction import ExtractError, extract_missing
    from .store import StoreError

    with _as_user_error(ExtractError, StoreError, OSError):
        summary = extract_missing(_whole_folder(out), workers=workers)
    skipped = f" ({summary.skipped:,} read before and not articles: skipped)" if summary.skipped else ""
    click.echo(f"{summary.pages} pages not extracted yet looked at{skipped}, {summary.articles} articles extracted "
               f"in {summary.seconds:.1f} s")
    latest = summary.latest  # the latest crawl's health, judged again now that its articles are in
    for line in latest.health_lines() if latest else []:
        click.echo(f"warning: {line}", err=True)
    _redraw_report(Path(out))
    if latest and not latest.understood:  # as the crawl itself would have ended
        raise click.ClickException(NOT_UNDERSTOOD)


@cli.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(file_okay=False), metavar="DIR...")
@click.option("--into", required=True, type=click.Path(file_okay=False), metavar="DIR",
              help="The merged archive folder to create (new, or an empty folder).")
def merge(sources: tuple[str, ...], into: str) -> None:
    """Merge the archive folders DIR... into one new archive folder.

    For the workers of one job that ran on different machines, or separate crawls of the same or
    different blogs. The WARC files are hard-linked into INTO/warc/ (copied from another file
    system), keeping their names; archive.db gets every crawl, capture, link and feed entry of the
    sources, each article once (its newest capture, with its history from every source) and a
    crawls row recording the merge. The sources are only read. Refused, with nothing written, when
    INTO is not empty, a DIR is not an archive folder, a WARC file a DIR's archive.db refers to is
    missing, or two DIRs hold a WARC file of the same name.

    \b
    Example:
        arshif merge worker-a worker-b worker-c --into job-archive
    """
    from .merge import MergeError
    from .merge import merge as run_merge

    with _as_user_error(MergeError):
        summary = run_merge(list(sources), into)
    how = ", ".join(f"{n} {what}" for n, what in ((summary.linked, "hard-linked"), (len(summary.copied), "copied")) if n)
    click.echo(f"{summary.sources} folders merged into {into} in {summary.seconds:.1f} s: {summary.warc_files} WARC "
               f"files ({summary.warc_bytes:,} bytes; {how}), {summary.captures} "
               f"captures, {summary.articles} articles, {summary.crawls} crawls")
    _redraw_report(Path(into))


@cli.command()
@click.argument("out", type=click.Path(file_okay=False))
def profile(out: str) -> None:
    """Show the site profile of OUT: the rules learned from the blog's feed (OUT/profile.toml) and
    the --profile ones, how many of the archive's article pages each matches, how well each agreed
    with the feed, and how many feed items disagree with their pages, by field.

    Learned rules fill only what the heuristics missed; a --profile rule always wins.

    \b
    Example:
        arshif profile example-archive
        arshif crawl https://example.blog/ --out example-archive --profile example-archive/profile.toml
    """
    from .calibration import ProfileReportError, profile_report

    with _as_user_error(ProfileReportError, OSError):
        report = profile_report(out)
    for line in report.lines():
        click.echo(line)


def _redraw_report(out: Path) -> None:
    """After the database changed outside a crawl: the report shows what it now holds."""
    from .crawl import CrawlError
    from .report import write_report
    from .store import StoreError

    try:
        click.echo(f"report         : {write_report(out)}")
    except (CrawlError, StoreError, OSError) as exc:
        click.echo(f"warning: the crawl report was not redrawn: {exc}", err=True)


@cli.command()
@click.argument("url")
@_out_option
@click.option("--body", is_flag=True, help="Also print the archived body (decoded).")
def show(url: str, out: str, body: bool) -> None:
    """Print the archived record of URL, read from its WARC file by offset, and its extracted text.

    URL may be in any form: Arabic or percent-encoded (either case), with or without the trailing
    slash, with tracking parameters or a fragment, or a form the article was fetched under.

    \b
    Example:
        arshif show https://example.blog/2025/12/post/ --out example-archive
        arshif show 'https://example.blog/2025/12/مقال/?utm_source=x' --out example-archive
    """
    from .inspect import ShowError, show_capture
    from .store import StoreError

    with _as_user_error(ShowError, StoreError):
        click.echo(show_capture(_out_folder(out), url, with_body=body))


@cli.command()
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True,
              help="JSON lines, one article a line, or CSV.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File to write (default: standard output).")
def export(out: str, fmt: str, output: str | None) -> None:
    """Export the articles of OUT as JSON lines or CSV (UTF-8; CSV with a BOM for spreadsheet tools).

    \b
    Example:
        arshif export demo-output --format csv -o articles.csv
    """
    from .inspect import export_articles
    from .store import ArchiveDB, StoreError

    with _as_user_error(StoreError):
        ArchiveDB.existing(out).close()
    try:
        stream = open(output, "w", encoding="utf-8", newline="") if output else sys.stdout
        count = export_articles(Path(out), stream, fmt)
        if output:
            stream.close()
            click.echo(f"{output}: {count} articles", err=True)
        else:
            stream.flush()
    except BrokenPipeError:  # `arshif export OUT | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to flush at exit
        sys.exit(0)
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror}") from None


@cli.command()
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True, metavar="ADDRESS",
              help="Address to listen on; anything but loopback lets other machines read the archive (a warning says so).")
@click.option("--port", "-p", default=8001, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--open", "open_browser", is_flag=True, help="Open the articles table in the web browser once Datasette answers.")
def serve(out: str, host: str, port: int, open_browser: bool) -> None:
    """Explore OUT/archive.db in Datasette: Arabic search, facets, canned queries (Ctrl-C to stop).

    OUT is the archive folder of a crawl.

    \b
    Example:
        arshif serve demo-output
        arshif serve demo-output --port 8002 --open
    """
    from .serve import ServeError, run_datasette

    with _as_user_error(ServeError):
        run_datasette(Path(out), port, host, open_browser)


@cli.command()
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--since", metavar="DATE", help="ISO date or date-time (default: the start of the latest crawl).")
def changes(out: str, since: str | None) -> None:
    """List the articles of OUT that are new, changed or removed since a time, with a short word diff
    of changed texts.

    \b
    Example:
        arshif changes demo-output --since 2025-12-01
    """
    from .changes import changes as find_changes
    from .changes import parse_time
    from .store import StoreError

    try:
        since_dt = parse_time(since) if since else None
    except ValueError:
        raise click.BadParameter(f"not an ISO date: {since!r}", param_hint="--since") from None
    with _as_user_error(StoreError):
        since_dt, found = find_changes(Path(out), since_dt)
    for change in found:
        click.echo(f"{change.kind:8} {change.url}  {change.title or ''}")
        for line in change.diff:
            click.echo(f"           {line}")
    counts = {k: sum(c.kind == k for c in found) for k in ("new", "changed", "removed")}
    click.echo(f"{counts['new']} new, {counts['changed']} changed, {counts['removed']} removed"
               + (f" since {since_dt.isoformat(timespec='seconds')}" if since_dt else ""))


@cli.command()
@click.argument("out", type=click.Path(file_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), metavar="FILE",
              help="The HTML file to write (default: OUT/report.html).")
def report(out: str, output: str | None) -> None:
    """Write the crawl report of OUT: one self-contained HTML page (right-to-left, charts inline,
    nothing fetched to view it) about the latest crawl and the archive. Every crawl writes
    OUT/report.html when it ends; this rebuilds it from archive.db at any time.

    \b
    Example:
        arshif report demo-output
        arshif report demo-output -o /tmp/demo-report.html
    """
    from .crawl import CrawlError
    from .report import write_report
    from .store import StoreError

    folder = Path(out)
    if not folder.is_dir():
        raise click.ClickException(f"no folder {out}")
    with _as_user_error(CrawlError, StoreError):
        try:
            written = write_report(folder, output)
        except OSError as exc:
            raise click.ClickException(f"cannot write {output or folder / 'report.html'}: {exc.strerror or exc}") from None
    click.echo(f"{written}")


_db_option = click.option("--db", type=click.Path(dir_okay=False),
                          help="Schedules file (default: schedules.db in the user's data folder).")


@cli.group()
def schedule() -> None:
    """Recurring crawls: add, list, remove, print them as crontab lines, list their past runs.

    `arshif scheduler` runs them.

    \b
    Example:
        arshif schedule add https://example.blog/ --out example --every 6h
        arshif schedule list
        arshif schedule runs
    """


def _store(db: str | None) -> ScheduleStore:
    from .schedule import ScheduleStore

    try:
        return ScheduleStore(db)
    except (OSError, sqlite3.Error) as exc:
        raise click.ClickException(f"cannot open the schedules file: {exc}") from None


@schedule.command("add")
@click.argument("url")
@_out_option
@click.option("--every", metavar="INTERVAL", help="Interval between crawls: a number and s, m, h, d or w (30m, 6h, 1d).")
@click.option("--cron", metavar="EXPR", help='A cron expression instead, e.g. "0 3 * * *" (03:00 every day).')
@click.option("-s", "--set", "settings", multiple=True, callback=_parse_setting, metavar="NAME=VALUE",
              help="Setting passed to each crawl, as `arshif crawl -s`. Repeatable.")
@_db_option
def schedule_add(url: str, out: str, every: str | None, cron: str | None, settings: dict[str, str],
                 db: str | None) -> None:
    """Crawl URL into OUT on a schedule (--every or --cron); the first run is due at once with --every.

    \b
    Example:
        arshif schedule add https://example.blog/ --out example --every 6h
        arshif schedule add https://example.blog/ --out example --cron "0 3 * * *"
    """
    from crawler.process import check_settings

    from .crawl import CrawlError, check_url
    from .schedule import ScheduleError

    with _as_user_error(ScheduleError, CrawlError):
        check_url(url)
        for warning in check_settings(settings):  # checked now, as `crawl -s` does: not at every run
            click.echo(f"warning: {warning}", err=True)
        args = [part for name, value in settings.items() for part in ("-s", f"{name}={value}")]
        created = _store(db).add(url, out, every=every, cron=cron, args=args)
    click.echo(f"schedule {created.id}: {created.url} → {created.out}, {created.describe()}, next run {created.next_run}")


@schedule.command("list")
@_db_option
def schedule_list(db: str | None) -> None:
    """List schedules: id, URL, OUT, interval as written or cron expression, next run.

    \b
    Example:
        arshif schedule list
    """
    for s in _store(db).all():
        click.echo(f"{s.id}\t{s.url}\t{s.out}\t{s.describe()}\tnext {s.next_run}")


@schedule.command("remove")
@click.argument("schedule_id", type=int)
@_db_option
def schedule_remove(schedule_id: int, db: str | None) -> None:
    """Remove the schedule SCHEDULE_ID (its past runs stay recorded).

    \b
    Example:
        arshif schedule remove 2
    """
    if not _store(db).remove(schedule_id):
        raise click.ClickException(f"no schedule {schedule_id}")
    click.echo(f"schedule {schedule_id} removed")


@schedule.command("cron")
@_db_option
def schedule_cron(db: str | None) -> None:
    """Print crontab lines for the schedules, for use with the system's cron instead of `arshif scheduler`.

    \b
    Example:
        arshif schedule cron | crontab -
    """
    import shutil as _shutil

    from .schedule import cron_lines

    arshif = _shutil.which("arshif") or str(Path(sys.executable).parent / "arshif")
    for line in cron_lines(_store(db), arshif):
        click.echo(line)


@schedule.command("runs")
@click.argument("schedule_id", type=int, required=False)
@click.option("-n", "--last", "last", default=20, show_default=True, type=click.IntRange(1),
              help="Show at most this many runs, the newest last.")
@_db_option
def schedule_runs(schedule_id: int | None, last: int, db: str | None) -> None:
    """List past runs of scheduled crawls (of SCHEDULE_ID, or of all schedules) with their status.

    Status is ok, interrupted (stopped gracefully, resumable), failed (exit status) with the
    crawl's error line, running, or lost (the scheduler was killed during the run).

    \b
    Example:
        arshif schedule runs
        arshif schedule runs 2 --last 5
    """
    from .schedule import run_status, written_time

    runs = _store(db).runs(schedule_id)[-last:]
    if not runs:
        click.echo("no runs yet" + (f" of schedule {schedule_id}" if schedule_id is not None else ""), err=True)
        return
    header = ("run", "schedule", "started", "ended", "status", "pages", "articles", "out")
    rows = [header]
    for run in runs:
        stats = json.loads(run["stats"] or "{}")
        count = 0 if stats else ""  # a count that stayed 0 is left out of the stats; no stats: no crawl recorded
        # pages as the crawl summary and the report count them: captures
        rows.append((str(run["id"]), str(run["schedule_id"]), written_time(run["started_at"]),
                     written_time(run["finished_at"]), run_status(run), str(stats.get("arshif/captures", count)),
                     str(stats.get("arshif/articles", count)), run["out"]))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]  # the last column, OUT, runs on
    errors = [None] + [run["error"] for run in runs]
    for row, error in zip(rows, errors, strict=True):
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1])
        if error:
            click.echo(f"    Error: {error}")


@cli.command()
@_db_option
@click.option("--poll", default=5.0, show_default=True, type=click.FloatRange(0.1, 3600), help="Seconds between checks.")
@click.option("--max-runs", type=click.IntRange(1), help="Stop after this many crawls have run (for testing).")
def scheduler(db: str | None, poll: float, max_runs: int | None) -> None:
    """Run scheduled crawls in the foreground (Ctrl-C to stop; running crawls stop gracefully).

    Each due crawl runs as its own process, never two into the same OUT at once; every run is
    recorded (`arshif schedule runs`).

    \b
    Example:
        arshif scheduler
        arshif scheduler --db ~/archives/schedules.db
    """
    import logging

    from .schedule import Scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    store = _store(db)
    click.echo(f"arshif scheduler: {len(store.all())} schedules in {store.path}")
    Scheduler(store, poll=poll).run(max_runs=max_runs)


def main() -> None:
    cli(prog_name="arshif")  # also under `python -m archive.cli`


if __name__ == "__main__":
    main()
