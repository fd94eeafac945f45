"""Export customers' data (JSON lines, one customer a line) to a file, audited
like an export from the supervisor page."""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from care import actions
from config.commands import OneLineErrorsCommand, positive_int, progress_printer
from inbox.models import Customer


class Command(OneLineErrorsCommand):
    help = "Export customers' data as JSON lines (all customers, or --customer ID ...)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("output", help="File to write (JSON lines).")
        parser.add_argument("--customer", type=positive_int, action="append", default=[], help="Customer id (repeatable).")
        parser.add_argument("--by", required=True, help="Username of the supervisor doing the export (for the audit trail).")
        parser.add_argument("--every", type=positive_int, default=100, help="Print progress every N customers.")

    def handle(self, *args, output: str, customer: list[int], by: str, every: int, **options) -> None:
        actor = get_user_model().objects.filter(username=by).first()
        if actor is None:
            raise CommandError(f"No user {by!r}.")
        customers = Customer.objects.order_by("pk")
        if customer:
            customers = customers.filter(pk__in=customer)
            missing = set(customer) - set(customers.values_list("pk", flat=True))
            if missing:
                raise CommandError(f"No customer with id {', '.join(map(str, sorted(missing)))}.")
        total = customers.count()
        report = progress_printer(self.stderr, "export", every=every)
        with open(output, "w", encoding="utf-8") as handle:
            for index, record in enumerate(customers.iterator(), 1):
                handle.write(json.dumps(actions.export_customer(customer=record, actor=actor, via="command"), ensure_ascii=False) + "\n")
                report(index, total)
        self.stdout.write(f"exported {total} customers to {output}.")
