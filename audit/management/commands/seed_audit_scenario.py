"""python manage.py seed_audit_scenario — a realistic answer history with
known inconsistencies (audit.scenario), then the audit job over it.

Progress on stderr, one summary line on stdout; the seeded inconsistencies'
keys are listed with -v 2."""

from __future__ import annotations

from audit import findings, scenario
from config.commands import OneLineErrorsCommand, positive_int, progress_printer


class Command(OneLineErrorsCommand):
    help = "Seed a realistic answer history with known inconsistencies, then run the audit."

    def add_arguments(self, parser):
        parser.add_argument("--per-channel", type=positive_int, default=30, help="consistent customers per channel")
        parser.add_argument("--no-audit", action="store_true", help="seed only; don't run the audit job")

    def handle(self, *args, per_channel: int, no_audit: bool, verbosity: int = 1, **options):
        def progress(label: str):
            return progress_printer(self.stderr, label, every=1) if verbosity >= 1 else None

        manifest = scenario.seed(customers_per_channel=per_channel, progress=progress("seed"))
        if verbosity >= 2:
            for key in manifest.expected:
                self.stderr.write(f"  seeded: {key}")
        summary = f"{manifest.answers} answers written, {len(manifest.expected)} seeded inconsistencies"
        if not no_audit:
            result = findings.run_audit(broadcast=False, progress=progress("audit"))
            summary += f"; audit: {sum(result['found'].values())} findings ({result['created']} new)"
        self.stdout.write(summary + ".")
