"""The README stays honest: every command and every ARSHIF_ setting is documented."""

from __future__ import annotations

import re

import pytest

from archive.cli import cli
from crawler import settings

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def commands(group, prefix=""):
    for name, command in group.commands.items():
        yield f"{prefix}{name}"
        if hasattr(command, "commands"):
            yield from commands(command, f"{prefix}{name} ")


@pytest.mark.parametrize("command", sorted(commands(cli)))
def test_command_is_documented(command):
    assert f"arshif {command}" in README


@pytest.mark.parametrize("name", sorted(n for n in dir(settings) if n.startswith("ARSHIF_")))
def test_setting_is_documented(name):
    assert f"`{name}`" in README


@pytest.mark.parametrize("option", ["--out", "-s NAME=VALUE", "--allow-domain", "--profile", "--contact", "--operator",
                                    "--full", "--no-resume", "--verbose"])
def test_crawl_options_are_documented(option):
    assert re.search(re.escape(f"`{option}"), README)
