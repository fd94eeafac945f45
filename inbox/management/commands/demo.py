"""``manage.py demo``: a working inbox on a fresh machine in one command.

Migrates, creates the demo agent and supervisor (fresh random passwords on
every run, printed), loads the starter playbook and seeds a handful of tickets
once, then serves the app with Daphne on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError, CommandParser
from django.test import override_settings

from config.commands import OneLineErrorsCommand, progress_printer
from inbox import demo_data
from inbox.models import Ticket
from resolutions.models import Topic

STARTER_PLAYBOOK = Path(settings.BASE_DIR) / "resolutions" / "playbooks" / "telecom.yaml"


def _port(raw: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be a number, got {raw!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 1 and 65535, got {port}")
    return port


class Command(OneLineErrorsCommand):
    help = "Set up a demo inbox (users, sample tickets) and serve it on http://127.0.0.1:PORT."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-serve", action="store_true", help="Set up and print the logins, don't start the server.")
        parser.add_argument("--port", type=_port, default=8000, help="Port for the server on 127.0.0.1 (default 8000).")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete ALL tickets and customers and the demo users, then set everything up again.",
        )

    def handle(self, *args, no_serve: bool, port: int, reset: bool, **options) -> None:
        if not no_serve and not _port_is_free(port):
            raise CommandError(f"Port {port} on 127.0.0.1 is in use; pick another with --port.")

        url = f"http://127.0.0.1:{port}"
        # Links in the demo's mails and pages point at the port it serves on, unless PUBLIC_BASE_URL is set.
        public = {} if "PUBLIC_BASE_URL" in os.environ else {"PUBLIC_BASE_URL": url}
        call_command("migrate", interactive=False, verbosity=0)
        with override_settings(**public):
            if reset:
                demo_data.delete_tickets_and_customers()
                demo_data.delete_demo_users()
            logins = demo_data.ensure_demo_users()

            if Topic.objects.exists():
                self.stdout.write("A playbook is already loaded: not importing the starter playbook.")
            else:
                # The starter playbook: suggestions and playbook answers in the composer from the first ticket on.
                call_command("import_playbook", str(STARTER_PLAYBOOK), stdout=self.stdout, stderr=self.stderr,
                             verbosity=options.get("verbosity", 1))

            if Ticket.objects.exists():
                self.stdout.write("Tickets already exist: not seeding (use --reset to start over).")
            else:
                agent = demo_data.get_agent()
                count = demo_data.seed_tickets(agent=agent, progress=progress_printer(self.stderr, "seed", every=1))
                self.stdout.write(f"Seeded {count} demo tickets.")

        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Unisono demo logins (new passwords on every run):"))
        self.stdout.write(_table([("role", "username", "password"), *((l.role, l.username, l.password) for l in logins)]))
        self.stdout.write("")
        self.stdout.write(f"  Inbox          {url}/inbox/   (sign in at {url}/accounts/login/)")
        self.stdout.write(f"  Contact form   {url}/contact/")
        self.stdout.write(f"  API docs       {url}/api/docs/")
        self.stdout.write("")
        if no_serve:
            self.stdout.write(f"Not serving (--no-serve). Start it with: python manage.py demo --port {port}")
            return
        # WhiteNoise warns at every start when STATIC_ROOT is missing; the demo
        # serves from the source folders, an empty directory is all it needs.
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
        self.stdout.write(self.style.SUCCESS(f"Serving Unisono on {url}/  (Ctrl+C to stop)"))
        self.stdout.flush()
        sys.stderr.flush()
        # Replace this process with Daphne: Ctrl+C and exit codes go straight to it.
        os.execve(
            sys.executable,
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            {**os.environ, **public},
        )


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = ["  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  " + "  ".join("-" * width for width in widths))
    return "\n".join(lines)
