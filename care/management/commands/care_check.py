"""Recompute every open ticket's SLA (a backfill after changing policies or
hours) and send the surveys and follow-ups that are due: what the periodic
task does, on demand, with progress."""

from __future__ import annotations

from care import actions, sla
from config.commands import OneLineErrorsCommand, positive_int, progress_printer


class Command(OneLineErrorsCommand):
    help = "Recompute SLAs (and alert breaches once), then send due surveys and follow-ups."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--sla-only", action="store_true", help="Only recompute SLAs; send nothing to customers.")
        parser.add_argument("--every", type=positive_int, default=100, help="Print progress every N records.")

    def handle(self, *args, sla_only: bool, every: int, **options) -> None:
        result = sla.check_all(progress=progress_printer(self.stderr, "SLA", every=every))
        sent = {"surveys": 0, "follow_ups": 0}
        if not sla_only:
            sent = actions.send_due(progress=progress_printer(self.stderr, "surveys/follow-ups", every=every))
        self.stdout.write(
            f"care check: {result['checked']} tickets checked, {result['alerts']} new alerts, "
            f"{sent['surveys']} surveys and {sent['follow_ups']} follow-ups sent."
        )
