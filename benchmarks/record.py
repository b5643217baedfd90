"""Where each benchmark leaves its figures: benchmarks/results/NAME.json, which `make bench` reads
back at the end (benchmarks/summary.py) to print one table. Each file says what was measured
(``figures``), the one line that sums it up (``headline``, a ratio against the baseline of the same
run), how long the benchmark took and how busy the machine was (a shared machine slows everything).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def save_results(name: str, headline: str, figures: dict[str, Any], seconds: float, path: Path | None = None) -> Path:
    """Write one benchmark's results as JSON and say where; return the path."""
    path = path or RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"benchmark": name, "headline": headline, "seconds": round(seconds, 1), "finished": time.time(),
              "cores": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()], **figures}
    path.write_text(json.dumps(record, indent=1, ensure_ascii=False))
    print(f"raw results: {path}", flush=True)
    return path
