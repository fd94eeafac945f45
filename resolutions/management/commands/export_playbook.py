"""python manage.py export_playbook [FILE] — write the playbook in its canonical YAML form.

Exporting, importing that file unchanged and exporting again gives the same
bytes (see resolutions/playbook_file.py for the canonical form).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError

from config.commands import OneLineErrorsCommand, positive_int, progress_printer

from resolutions import selectors
from resolutions.playbook_file import dump


class Command(OneLineErrorsCommand):
    help = "Export the playbook as YAML to FILE (or standard output)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", nargs="?", help="where to write; standard output when left out")
        parser.add_argument("--every", type=positive_int, default=10, help="Print progress every N topics.")

    def handle(self, *args, file: str | None = None, every: int = 10, verbosity: int = 1, **options) -> None:
        # Progress goes to stderr: with no FILE, stdout is the YAML itself.
        progress = progress_printer(self.stderr, "export", every=every) if verbosity >= 1 else None
        specs = selectors.export_specs(progress=progress)
        text = dump(specs)
        if not file:
            self.stdout.write(text, ending="")
            return
        try:
            Path(file).write_text(text, encoding="utf-8", newline="")
        except OSError as error:
            raise CommandError(f"{file}: cannot write the file ({error.strerror or error})") from None
        resolutions = sum(len(spec.resolutions) for spec in specs)
        self.stdout.write(f"Exported {len(specs)} topics and {resolutions} resolutions to {file}.")
