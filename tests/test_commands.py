"""The shared command helpers (config.commands) and what every command that
processes many records promises: progress lines, one summary line, and bad
input refused in one line with a non-zero exit."""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.commands import positive_int, progress_printer

REPO = Path(__file__).resolve().parents[1]


def test_progress_prints_every_n_records_and_the_last():
    stream = io.StringIO()
    report = progress_printer(stream, "export", every=2)
    for done in range(1, 6):
        report(done, 5)
    assert stream.getvalue().splitlines() == ["export: 2/5 (40%)", "export: 4/5 (80%)", "export: 5/5 (100%)"]


def test_positive_int_refuses_zero_and_words():
    assert positive_int("3") == 3
    for raw, message in (("0", "at least 1"), ("-2", "at least 1"), ("ten", "whole number")):
        with pytest.raises(argparse.ArgumentTypeError, match=message):
            positive_int(raw)


def _manage(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "UNISONO_DATA_DIR": str(tmp_path)}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("args", "code", "line"),
    [
        (["seed_audit_scenario", "--per-channel", "0"],
         2, "seed_audit_scenario: argument --per-channel: must be at least 1, got 0 (see: manage.py seed_audit_scenario --help)"),
        (["care_check", "--every", "lots"],
         2, "care_check: argument --every: must be a whole number, got 'lots' (see: manage.py care_check --help)"),
        (["import_playbook", "/nonexistent/playbook.yaml"],
         1, "CommandError: /nonexistent/playbook.yaml: cannot read the file (No such file or directory)"),
        (["export_playbook", "/nonexistent/dir/playbook.yaml", "--every", "0"],
         2, "export_playbook: argument --every: must be at least 1, got 0 (see: manage.py export_playbook --help)"),
    ],
)
def test_bad_input_exits_non_zero_with_one_line(tmp_path, args, code, line):
    result = _manage(tmp_path, *args)

    assert result.returncode == code
    assert result.stderr.strip().splitlines() == [line]
    assert result.stdout == ""
