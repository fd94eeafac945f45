"""What Unisono's management commands share: progress on standard error while
they work through many records, and bad input answered in one line.

A command that processes many records prints ``label: done/total (pct%)``
lines to stderr (every N records and at the end) and finishes with one summary
line on stdout; scripts read stdout, people watch stderr. A bad option or
argument exits non-zero with one line that says what is wrong, not argparse's
usage dump.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from django.core.management.base import BaseCommand, CommandError, CommandParser

Progress = Callable[[int, int], None]


def progress_printer(stream, label: str, *, every: int = 100) -> Progress:
    """A progress callback ``(done, total)`` that prints every ``every`` records and at the end."""

    def report(done: int, total: int) -> None:
        if done == total or done % every == 0:
            # A command's OutputWrapper adds no second newline; a plain stream needs this one.
            stream.write(f"{label}: {done}/{total} ({100 * done // max(total, 1)}%)\n")

    return report


def positive_int(raw: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {raw!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


class OneLineErrorsCommand(BaseCommand):
    """A command whose bad options exit 2 with one line on the command line
    (and raise CommandError when called from code, as Django's do)."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)

        def error(message: str) -> None:
            if not parser.called_from_command_line:
                raise CommandError(f"Error: {message}")
            sys.stderr.write(f"{subcommand}: {message} (see: manage.py {subcommand} --help)\n")
            sys.exit(2)

        parser.error = error  # type: ignore[method-assign]
        return parser
