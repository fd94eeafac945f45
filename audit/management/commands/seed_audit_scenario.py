from __future__ import annotations

from django.core.management.base import BaseCommand

from audit import findings, scenario


class Command(BaseCommand):
    help = "Seed a realistic answer history with known inconsistencies, then run the audit."

    def add_arguments(self, parser):
        parser.add_argument("--per-channel", type=int, default=30, help="consistent customers per channel")
        parser.add_argument("--no-audit", action="store_true", help="seed only; don't run the audit job")

    def handle(self, *args, per_channel: int, no_audit: bool, **options):
        manifest = scenario.seed(customers_per_channel=per_channel)
        self.stdout.write(f"{manifest.answers} answers written; {len(manifest.expected)} seeded inconsistencies:")
        for key in manifest.expected:
            self.stdout.write(f"  {key}")
        if not no_audit:
            result = findings.run_audit(broadcast=False)
            self.stdout.write(f"audit: {result['found']} ({result['created']} new findings)")
