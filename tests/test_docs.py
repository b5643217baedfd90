"""The README stays honest: every command and every ARSHIF_ setting is documented, and its CLI
reference is the commands' own --help."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from archive.cli import cli
from crawler import settings

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
PROSE = README.split("\n## CLI reference\n", 1)[0]  # the generated reference documents nothing by itself


def commands(group, prefix=""):
    for name, command in group.commands.items():
        yield f"{prefix}{name}"
        if hasattr(command, "commands"):
            yield from commands(command, f"{prefix}{name} ")


@pytest.mark.parametrize("command", sorted(commands(cli)))
def test_command_is_documented(command):
    assert f"arshif {command}" in PROSE


def test_cli_reference_is_up_to_date():
    """The section between the cog markers equals what `make docs` writes now."""
    proc = subprocess.run([sys.executable, "-m", "cogapp", "-I", str(ROOT), "--check", "--diff", "README.md"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, ("the README's CLI reference is out of date: run `make docs` "
                                  f"(or `.venv/bin/cog -I . -r README.md`)\n{proc.stdout[-4000:]}{proc.stderr[-2000:]}")
    assert "\n### arshif schedule runs\n" in README and README.count("\n### arshif") == len(list(commands(cli))) + 1


@pytest.mark.parametrize("name", sorted(n for n in dir(settings) if n.startswith("ARSHIF_")))
def test_setting_is_documented(name):
    assert f"`{name}`" in README


@pytest.mark.parametrize("option", ["--out", "-s NAME=VALUE", "--allow-domain", "--profile", "--contact", "--operator",
                                    "--full", "--no-resume", "--verbose"])
def test_crawl_options_are_documented(option):
    assert re.search(re.escape(f"`{option}"), README)
