"""What the generator modules share: where `make site-tools` installs the blog software, front
matter, and running a generator so that a failure shows its own output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NODE_PREFIX = ROOT / ".sites"            # npm install --prefix .sites (Hexo)
SITES_VENV = ROOT / ".venv-sites"        # Nikola, MkDocs Material


class ToolMissing(AssertionError):
    """The generator is not installed: `make site-tools` installs it (a test fails, never skips)."""


def need(path: Path | str | None, what: str) -> Path:
    found = Path(path) if path and Path(path).exists() else None
    if found is None:
        raise ToolMissing(f"{what} is not installed: run `make site-tools`")
    return found


def which(name: str) -> Path:
    return need(shutil.which(name), name)


def yaml_value(value: object) -> str:
    """JSON is YAML: strings quoted (titles hold colons), lists inline, Arabic kept as is."""
    return json.dumps(value, ensure_ascii=False)


def front_matter(fields: dict[str, object]) -> str:
    lines = ["---"]
    for key, value in fields.items():
        if value is None:
            continue
        lines.append(f"{key}: {value if isinstance(value, RawYaml) else yaml_value(value)}")
    lines.append("---")
    return "\n".join(lines) + "\n\n"


class RawYaml(str):
    """A value written as is (a YAML timestamp, a nested mapping)."""


def run(cmd: Sequence[str | Path], cwd: Path, env: dict[str, str] | None = None, timeout: int = 300) -> None:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} failed ({proc.returncode}) in {cwd}:\n"
                             f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def fresh(folder: Path) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder
