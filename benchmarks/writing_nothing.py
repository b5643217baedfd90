"""`arshif` with the archive's writes stubbed out, for benchmarks/bench_ceiling.py (not for use).

The WARC records, the ``captures`` rows and the link rows (with the outlinks metadata record) are
not written: the payload digest is still computed and the crawl gets a capture row of its own making.
Everything else runs as in a real crawl: fetching, the reader processes, following, scheduling on
disk. Prints ``STUB_PAGES=N``, the responses it would have archived.

    python benchmarks/writing_nothing.py crawl URL --out OUT --capture-only …
"""

import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def stub_the_writes() -> itertools.count:
    from archive.warc.records import payload_digest, warc_date
    from crawler.pipelines import StorePipeline
    from crawler.run import ArchiveRun

    ids = itertools.count(1)

    def capture(self, request, response):  # noqa: ANN001, ANN202 - ArchiveRun.capture's own
        payload_digest(response.body)
        number = next(ids)
        return {"id": number, "url": request.url, "status": response.status, "warc_date": warc_date(),
                "warc_record_id": f"<urn:uuid:stub-{number}>"}

    ArchiveRun.capture = capture  # type: ignore[method-assign]
    StorePipeline._store = lambda self, item: None  # type: ignore[method-assign]
    return ids


if __name__ == "__main__":  # the reader processes import this module again: only the crawl stubs and runs
    import atexit
    import runpy

    counter = stub_the_writes()
    atexit.register(lambda: print(f"STUB_PAGES={next(counter) - 1}", flush=True))
    sys.argv = ["arshif", *sys.argv[1:]]
    runpy.run_module("archive.cli", run_name="__main__")
