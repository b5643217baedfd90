"""The CLI's contract: clear one-line errors on bad input, and the demo end to end."""

from __future__ import annotations

import os

import pytest

from .conftest import query, run_arshif


@pytest.mark.parametrize("url", ["not a url", "ftp://example.org/", "http://", "http://example.org:notaport/"])
def test_malformed_url_is_a_one_line_error(url, tmp_path):
    proc = run_arshif("crawl", url, "--out", tmp_path / "out", check=False)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().startswith("Error:") and len(proc.stderr.strip().splitlines()) == 1


def test_unwritable_output_folder_is_a_one_line_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    proc = run_arshif("crawl", "http://127.0.0.1:9/", "--out", blocker / "out", check=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "cannot write to output folder" in proc.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_read_only_folder(tmp_path):
    tmp_path.chmod(0o500)
    proc = run_arshif("crawl", "http://127.0.0.1:9/", "--out", tmp_path / "out", check=False)
    assert proc.returncode != 0 and "cannot write" in proc.stderr


def test_unreachable_site_is_recorded_and_reported(tmp_path):
    proc = run_arshif("crawl", "http://127.0.0.1:9/", "--out", tmp_path, "-s", "RETRY_ENABLED=False",
                      "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", check=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "nothing could be fetched" in proc.stderr
    errors = query(tmp_path, "select url, error from captures where error is not null")
    assert any(r["url"] == "http://127.0.0.1:9/" and "Connection" in r["error"] for r in errors)


def test_bad_profile_is_a_one_line_error(tmp_path):
    profile = tmp_path / "site.toml"
    profile.write_text('titel = "h1"\n')
    proc = run_arshif("crawl", "http://127.0.0.1:9/", "--out", tmp_path / "o", "--profile", profile, check=False)
    assert proc.returncode != 0 and "unknown keys titel" in proc.stderr and "Traceback" not in proc.stderr


def test_bad_setting_syntax(tmp_path):
    proc = run_arshif("crawl", "http://127.0.0.1:9/", "--out", tmp_path, "-s", "NOEQUALS", check=False)
    assert proc.returncode == 2 and "NAME=VALUE" in proc.stderr


def test_demo_runs_end_to_end(tmp_path):
    proc = run_arshif("demo", "--out", tmp_path / "demo-output")
    assert "articles       : 42" in proc.stdout
    assert "pages/s" in proc.stdout and "arshif serve" in proc.stdout
    assert query(tmp_path / "demo-output", "select count(*) n from articles")[0]["n"] == 42


def test_every_command_answers_dash_h():
    from archive.cli import cli

    names = [name for name, command in cli.commands.items() if not hasattr(command, "commands")]
    for name in [*names, "schedule add"]:
        proc = run_arshif(*name.split(), "-h")
        assert proc.stdout.startswith("Usage:") and "-h, --help" in proc.stdout, name
