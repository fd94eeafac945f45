"""python manage.py import_playbook FILE.yaml — bring the playbook in line with a file.

Idempotent: an unchanged file changes nothing; changed wording makes one new
version per resolution and retires the old one. A bad file changes nothing and
exits non-zero with one line saying where the problem is.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError

from config.commands import OneLineErrorsCommand, positive_int, progress_printer

from inbox.actions import ActionError
from resolutions import actions
from resolutions.playbook_file import PlaybookError, parse


class Command(OneLineErrorsCommand):
    help = "Import a playbook YAML file (topics, resolutions, answers per channel and language)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="path to the playbook YAML file")
        parser.add_argument("--every", type=positive_int, default=10, help="Print progress every N topics.")

    def handle(self, *args, file: str, every: int = 10, verbosity: int = 1, **options) -> None:
        path = Path(file)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{file}: cannot read the file ({getattr(error, 'strerror', None) or error})") from None
        try:
            topics = parse(text)
        except PlaybookError as error:
            raise CommandError(f"{file}: {error}") from None

        progress = progress_printer(self.stderr, "import", every=every) if verbosity >= 1 else None
        try:
            summary = actions.playbook_import(topics=topics, source=path.name, progress=progress)
        except ActionError as error:
            raise CommandError(f"{file}: {error}") from None
        self.stdout.write(f"Imported {path.name}: {summary.line()}.")
