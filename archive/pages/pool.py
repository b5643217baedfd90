"""The extraction worker processes, shared by the crawl and ``reindex``.

Spawned, not forked (forking a process that runs a reactor and holds open files is asking for
trouble), and tied to their parent: a crawl killed with SIGKILL leaves no orphaned worker behind
(each worker also holds its task queue's write end, so it would never see end-of-file).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor


def extraction_pool(workers: int | None = None) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes (default: one per core)."""
    return ProcessPoolExecutor(workers or os.cpu_count() or 1, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_exit_with_parent, initargs=(os.getpid(),))


def _exit_with_parent(parent: int) -> None:
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="exit-with-parent").start()
