"""Worker processes: the extraction pool of ``reindex`` and ``extract``, and the loop of the crawl's readers.

Spawned, not forked (forking a process that runs a reactor and holds open files is asking for
trouble), and tied to their parent: a crawl killed with SIGKILL leaves no orphaned worker behind
(each worker also holds its task queue's write end, so it would never see end-of-file).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.connection import Connection


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


def serve_tasks(conn: Connection) -> None:
    """A worker on one pipe (crawler/reading.py's readers): run each task it is sent, a callable
    with no arguments, and send back (task number, ok, result or error). The parent's death closes
    the pipe, which ends the loop: no orphan outlives its crawl. Ctrl-C reaches the whole process
    group: the crawl stops gracefully on it, and needs its readers for the pages still in hand."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            number, task = conn.recv()
        except (EOFError, OSError):
            return
        try:
            outcome = (number, True, task())
        except Exception as exc:  # noqa: BLE001 - the task's error goes back to its caller
            outcome = (number, False, RuntimeError(f"{type(exc).__name__}: {exc}"))
        conn.send(outcome)
