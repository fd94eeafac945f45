"""What both benchmarks need before they measure anything: a dedicated
PostgreSQL database, Django set up against it and migrated, a progress line,
percentiles and a plain-text table.

Benchmarks are scripts, not tests: they print numbers for a person to read.
"""

from __future__ import annotations

import os
import sys
import time
import urllib.parse
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def require_postgres() -> str:
    """The DATABASE_URL, or one line on stderr and exit 2: the numbers only
    mean something on the database production runs on."""
    url = os.environ.get("DATABASE_URL", "")
    if urllib.parse.urlsplit(url).scheme not in ("postgres", "postgresql", "pgsql"):
        print("bench: DATABASE_URL must be a postgresql:// URL (got %r)" % (url or ""), file=sys.stderr)
        raise SystemExit(2)
    return url


def ensure_database(url: str) -> None:
    """Create the database named in ``url`` if it does not exist yet, by
    connecting to the ``postgres`` maintenance database on the same server."""
    import psycopg
    from psycopg import sql

    parts = urllib.parse.urlsplit(url)
    name = urllib.parse.unquote(parts.path.lstrip("/"))
    if not name:
        print("bench: DATABASE_URL names no database", file=sys.stderr)
        raise SystemExit(2)
    maintenance = urllib.parse.urlunsplit(parts._replace(path="/postgres", query=""))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"bench: created database {name}", file=sys.stderr)


def setup_django(*, extra_hosts: Sequence[str] = ()) -> None:
    """django.setup() with config.settings, the repo importable, and any hosts
    the benchmark's client needs added to ALLOWED_HOSTS (read at import)."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    hosts = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
    hosts += [h for h in extra_hosts if h not in hosts]
    os.environ["ALLOWED_HOSTS"] = ",".join(hosts)
    import django

    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def wipe_inbox_tables() -> None:
    """Empty customers, identities, tickets, messages and events (and whatever
    references them, e.g. answer records) and restart their ids."""
    from django.db import connection

    from inbox.models import Customer, Event, Identity, Message, Ticket

    tables = ", ".join(model._meta.db_table for model in (Event, Message, Ticket, Identity, Customer))
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


class Progress:
    """A one-line percentage on stderr, redrawn at most ten times a second."""

    def __init__(self, label: str, total: int) -> None:
        self.label = label
        self.total = max(total, 1)
        self.done = 0
        self._drawn = 0.0
        self._started = time.perf_counter()

    def advance(self, count: int = 1) -> None:
        self.done += count
        now = time.perf_counter()
        if now - self._drawn >= 0.1 or self.done >= self.total:
            self._drawn = now
            pct = 100.0 * self.done / self.total
            sys.stderr.write(f"\r{self.label}: {pct:5.1f}% ({self.done:,}/{self.total:,})")
            sys.stderr.flush()

    def finish(self) -> None:
        elapsed = time.perf_counter() - self._started
        sys.stderr.write(f"\r{self.label}: 100.0% ({self.total:,}/{self.total:,}) in {elapsed:.1f} s\n")
        sys.stderr.flush()


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation): the value a reader can find in the data."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-pct * len(ordered) // 100))))
    return ordered[rank - 1]


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(cell.rjust(width) if i else cell.ljust(width) for i, (cell, width) in enumerate(zip(row, widths))) + " |"

    rule = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])
