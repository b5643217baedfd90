"""Every command follows the CLI's conventions (sqlite-utils / Datasette style): -h and --help,
help text on every option, each argument described, an Example: block kept line by line."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from archive.cli import cli


def all_commands(group: click.Group, path: tuple[str, ...] = ()):
    yield path, group
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from all_commands(command, (*path, name))
        else:
            yield (*path, name), command


COMMANDS = {" ".join(path) or "(arshif)": (path, command) for path, command in all_commands(cli)}


def help_text(path: tuple[str, ...], flag: str = "--help") -> str:
    result = CliRunner().invoke(cli, [*path, flag], prog_name="arshif", terminal_width=100)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_dash_h_and_dash_dash_help(name):
    path, _ = COMMANDS[name]
    assert help_text(path, "-h") == help_text(path, "--help")
    assert help_text(path).startswith(f"Usage: arshif {' '.join(path)}".rstrip())
    assert "-h, --help" in help_text(path)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_option_has_help(name):
    _, command = COMMANDS[name]
    bare = [p.opts[0] for p in command.params if isinstance(p, click.Option) and not p.help]
    assert not bare, f"arshif {name}: options without help text: {bare}"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_argument_is_described(name):
    path, command = COMMANDS[name]
    described = (command.help or "").split("\b")[0]  # the prose, not the examples
    for argument in (p for p in command.params if isinstance(p, click.Argument)):
        metavar = (argument.metavar or argument.name or "").upper().strip("[].").split()[0]  # URL [URL ...]: URL
        assert metavar in described, f"arshif {name}: {metavar} is not described in the help"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_example_block_is_kept_line_by_line(name):
    path, command = COMMANDS[name]
    source = (command.help or "").split("Example:", 1)
    assert len(source) == 2 and source[0].rstrip().endswith("\b"), f"arshif {name}: no \\b Example: block"
    examples = [line.strip() for line in source[1].strip().splitlines() if line.strip()]
    assert examples and all(line.startswith("arshif ") or line.startswith("printf ") for line in examples), examples
    shown = help_text(path)
    for line in examples:
        assert f"\n    {line.replace(chr(92) * 2, chr(92))}\n" in shown.replace("\n  ", "\n"), line
