"""How fast are the agent inbox pages as the ticket table grows?

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/unisono_bench SECRET_KEY=x \
        python bench/inbox_list.py [--tickets 100000] [--messages-per-ticket 3]

Migrates the (dedicated!) database, empties the inbox tables, seeds 1,000
tickets with PostgreSQL COPY and measures; then grows the same data set to
``--tickets`` and measures again. For each size it times, with Django's test
Client signed in as a supervisor who is also a member of every queue:

* ``list first``   ``/inbox/`` (the default filter: active = new, open, pending)
* ``list deep``    ``/inbox/?after=<cursor>`` with the cursor of the ticket 90 %
                   down the default (active) ordering
* ``list deep all`` the same with ``status=all`` (another index serves it)
* ``ticket``       ``/inbox/t/<id>/``

Server time is time.perf_counter() around client.get (the whole Django stack:
middleware, session, view, template), 50 runs after 5 warm-ups; the query
count comes from one more run under CaptureQueriesContext. When a view misses
a target, the slowest query of that run is shown with EXPLAIN ANALYZE.

Targets (issue): p95 <= 25 ms, <= 8 queries, the large size within 1.5x of 1k.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _stack  # noqa: E402

SMALL = 1_000
PAGE_ROWS = 50  # inbox.views.PAGE_SIZE
RUNS = 50
WARMUPS = 5
TARGET_P95_MS = 25.0
TARGET_QUERIES = 8
TARGET_RATIO = 1.5
QUEUES = [("general", "General"), ("billing", "Billing"), ("technical", "Technical"), ("complaints", "Complaints")]
# Statuses follow age, as in a real inbox: the last two weeks are a working
# mix, older tickets are almost all done, with a few forgotten ones still open.
# So the active backlog is a few percent of the table, and history is what grows.
RECENT_DAYS = 14
# Of the backlog's SLA rows: the share breached, and about to breach.
SLA_BREACHED, SLA_AT_RISK = 0.04, 0.04
RECENT_STATUS_WEIGHTS = [("new", 15), ("open", 30), ("pending", 15), ("solved", 30), ("closed", 10)]
OLD_STATUS_WEIGHTS = [("new", 0.2), ("open", 0.5), ("pending", 0.3), ("solved", 9), ("closed", 90)]
CHANNELS = ["web", "email", "phone", "sms", "x"]
PRIORITIES: list[tuple[str, float]] = [("low", 20), ("normal", 60), ("high", 15), ("urgent", 5)]
SUBJECTS = [
    "My bill shows huge data charges",
    "Internet keeps dropping in the evening",
    "Please call me back about my contract",
    "Refund for the double payment",
    "Mijn rekening klopt niet",
    "The engineer never showed up",
    "How do I port my number?",
    "Roaming charges in Norway",
]
REPLIES = [
    "Hi {name}, thank you for telling us. I've looked into it and refunded the difference.",
    "Hi {name}, sorry for the trouble. An engineer will call you tomorrow between 9 and 11.",
    "Hi {name}, I've checked your line and reset the port; let me know if it happens again.",
]
FOLLOW_UPS = ["Thanks, that works now.", "It happened again this morning.", "When will I see the refund?"]


# --- seeding -----------------------------------------------------------------------


def _weighted(rng: random.Random, choices: list[tuple[str, float]]) -> str:
    return rng.choices([value for value, _ in choices], weights=[weight for _, weight in choices])[0]


def customers_for(tickets: int) -> int:
    # Two tickets per customer on average, so the ticket page has history to show.
    return (tickets + 1) // 2


def seed(*, start: int, end: int, messages_per_ticket: int, queue_ids: list[int], agent_id: int) -> None:
    """Append tickets start+1..end (and their customers, identities and
    messages) with COPY. Ids are explicit so growth continues where the
    previous seed stopped; sequences are moved past them afterwards."""
    from django.db import connection, transaction
    from django.utils import timezone

    rng = random.Random(end)
    now = timezone.now()
    year = 365 * 24 * 3600
    first_customer, last_customer = customers_for(start) + 1, customers_for(end)
    n_customers = last_customer - first_customer + 1
    n_tickets = end - start
    progress = _stack.Progress(f"seed {start:,}->{end:,}", n_customers + n_tickets * (1 + messages_per_ticket))

    with transaction.atomic():
        connection.ensure_connection()
        with connection.connection.cursor() as cursor:
            with cursor.copy(
                "COPY inbox_customer (id, name, language, consent_follow_up, created_at, updated_at) FROM STDIN"
            ) as copy:
                for customer_id in range(first_customer, last_customer + 1):
                    created = now - timedelta(seconds=rng.randrange(year))
                    copy.write_row((customer_id, f"Customer {customer_id}", "en", customer_id % 3 == 0, created, created))
                    progress.advance()
            with cursor.copy("COPY inbox_identity (id, customer_id, kind, value, handle, created_at) FROM STDIN") as copy:
                # Identity ids are derived from the customer id (two slots each).
                for customer_id in range(first_customer, last_customer + 1):
                    copy.write_row((2 * customer_id - 1, customer_id, "email", f"customer{customer_id}@example.com", "", now))
                    if customer_id % 3 == 0:
                        copy.write_row((2 * customer_id, customer_id, "phone", f"+3161{customer_id:07d}", "", now))

            ticket_rows = []
            with cursor.copy(
                "COPY inbox_ticket (id, customer_id, queue_id, assignee_id, subject, status, priority, origin_channel,"
                " created_at, updated_at, first_response_at, solved_at) FROM STDIN"
            ) as copy:
                for ticket_id in range(start + 1, end + 1):
                    updated = now - timedelta(seconds=rng.randrange(year))
                    created = updated - timedelta(seconds=rng.randrange(3 * 24 * 3600))
                    recent = now - updated < timedelta(days=RECENT_DAYS)
                    status = _weighted(rng, RECENT_STATUS_WEIGHTS if recent else OLD_STATUS_WEIGHTS)
                    subject = SUBJECTS[ticket_id % len(SUBJECTS)]
                    customer_id = (ticket_id + 1) // 2
                    channel = CHANNELS[ticket_id % len(CHANNELS)]
                    answered = status != "new"
                    copy.write_row(
                        (
                            ticket_id,
                            customer_id,
                            queue_ids[ticket_id % len(queue_ids)],
                            agent_id if answered and ticket_id % 4 == 0 else None,
                            subject,
                            status,
                            _weighted(rng, PRIORITIES),
                            channel,
                            created,
                            updated,
                            created + (updated - created) / 3 if answered else None,
                            updated if status in ("solved", "closed") else None,
                        )
                    )
                    ticket_rows.append((ticket_id, customer_id, channel, subject, created, updated, status))
                    progress.advance()

            with cursor.copy(
                "COPY inbox_message (id, ticket_id, direction, channel, author_id, body, provider_id, in_reply_to,"
                " conversation, status, status_detail, idempotency_key, delivery_attempts, language, meta, created_at, sent_at)"
                " FROM STDIN"
            ) as copy:
                for ticket_id, customer_id, channel, subject, created, updated, _status in ticket_rows:
                    step = (updated - created) / max(messages_per_ticket - 1, 1)
                    for n in range(messages_per_ticket):
                        message_id = (ticket_id - 1) * messages_per_ticket + n + 1
                        at = created + step * n
                        inbound = n % 2 == 0
                        if n == 0:
                            body = f"{subject}.\n\nI noticed this on my last invoice, can you help?"
                        elif inbound:
                            body = FOLLOW_UPS[message_id % len(FOLLOW_UPS)]
                        else:
                            body = REPLIES[message_id % len(REPLIES)].format(name=f"Customer {customer_id}")
                        copy.write_row(
                            (
                                message_id,
                                ticket_id,
                                "in" if inbound else "out",
                                channel,
                                None if inbound else agent_id,
                                body,
                                f"bench:{message_id}" if inbound else None,
                                "",
                                "",
                                "received" if inbound else "delivered",
                                "",
                                uuid.uuid4(),
                                0 if inbound else 1,
                                "en",
                                "{}",
                                at,
                                None if inbound else at,
                            )
                        )
                        progress.advance()

            # The SLA state the care check keeps for every ticket in the backlog:
            # a few are breached or about to breach, so the list's urgent band
            # (and its exclusion from the pages below) has real rows to find.
            with cursor.copy(
                "COPY care_ticketsla (ticket_id, first_response_due, resolution_due, paused_minutes, paused, urgency,"
                " first_response_breached, resolution_breached, first_response_warned, first_response_alerted,"
                " resolution_warned, resolution_alerted, cycle_started_at, awaiting_first_response, due_at, checked_at) FROM STDIN"
            ) as copy:
                for ticket_id, _customer, _channel, _subject, created, _updated, status in ticket_rows:
                    if status not in ("new", "open", "pending"):
                        continue
                    roll = rng.random()
                    urgency = "breached" if roll < SLA_BREACHED else "at_risk" if roll < SLA_BREACHED + SLA_AT_RISK else ""
                    breached = urgency == "breached"
                    copy.write_row(
                        (
                            ticket_id, created + timedelta(hours=4), created + timedelta(days=3), 0, status == "pending",
                            urgency, breached and status == "new", breached and status != "new",
                            urgency != "", breached, urgency != "" and status != "new", breached and status != "new",
                            created, status == "new",
                            created + (timedelta(hours=4) if status == "new" else timedelta(days=3)), now,
                        )
                    )
        progress.finish()

    with connection.cursor() as cursor:
        for table in ("inbox_customer", "inbox_identity", "inbox_ticket", "inbox_message"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 1))"
            )
        started = time.perf_counter()
        # VACUUM too, not only ANALYZE: a table this size in production has
        # been through autovacuum, whose visibility map lets the backlog's
        # partial indexes answer the counters index-only; freshly COPYed rows
        # would send every counter to the heap.
        cursor.execute("VACUUM (ANALYZE) inbox_customer, inbox_identity, inbox_ticket, inbox_message, care_ticketsla")
        print(f"VACUUM ANALYZE in {time.perf_counter() - started:.1f} s", file=sys.stderr)


# --- the agent -----------------------------------------------------------------------


def bench_agent():
    """A supervisor who is also a member of every queue (idempotent)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from inbox.models import Queue
    from inbox.permissions import SUPERVISORS

    user, _ = get_user_model().objects.get_or_create(
        username="bench-agent", defaults={"first_name": "Bench", "last_name": "Agent", "email": "bench@example.com"}
    )
    user.groups.add(Group.objects.get_or_create(name=SUPERVISORS)[0])
    queues = [Queue.objects.get_or_create(slug=slug, defaults={"name": name})[0] for slug, name in QUEUES]
    for queue in queues:
        queue.members.add(user)
    return user, [queue.pk for queue in queues]


# --- measuring -----------------------------------------------------------------------


@dataclass
class Result:
    size: int
    view: str
    url: str
    p50: float
    p95: float
    cpu_p50: float
    queries: int
    db_ms: float
    slowest_sql: str
    slowest_ms: float


def target_urls(user, size: int) -> list[tuple[str, str]]:
    from inbox import selectors

    active = selectors.ticket_list(user=user, filters=selectors.TicketFilters(status="active"))
    everything = selectors.ticket_list(user=user, filters=selectors.TicketFilters())
    # Offsets are fine here: this picks a cursor once, it is not what the page does.
    # 90 % deep, but never so deep that the page is not full: sizes compare
    # like for like only if both render 50 rows.
    def deep(count: int) -> int:
        return max(0, min(int(count * 0.9), count - PAGE_ROWS - 2))

    deep_active = active[deep(active.count())]
    deep_all = everything[deep(size)]
    middle = everything[size // 2]
    return [
        ("list first", "/inbox/"),
        ("list deep", f"/inbox/?after={selectors.encode_cursor(deep_active)}"),
        ("list deep all", f"/inbox/?status=all&after={selectors.encode_cursor(deep_all)}"),
        ("ticket", f"/inbox/t/{middle.pk}/"),
    ]


def measure(client, size: int, view: str, url: str) -> Result:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get() -> None:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"bench: GET {url} answered {response.status_code}")

    for _ in range(WARMUPS):
        get()
    timings, cpu = [], []
    for _ in range(RUNS):
        started, cpu_started = time.perf_counter(), time.process_time()
        get()
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    # Counted on a separate run: capturing queries costs time of its own.
    with CaptureQueriesContext(connection) as captured:
        get()
    slowest = max(captured.captured_queries, key=lambda query: float(query["time"]), default={"sql": "", "time": "0"})
    return Result(
        size=size,
        view=view,
        url=url,
        p50=_stack.percentile(timings, 50),
        p95=_stack.percentile(timings, 95),
        cpu_p50=_stack.percentile(cpu, 50),
        queries=len(captured.captured_queries),
        db_ms=sum(float(query["time"]) for query in captured.captured_queries) * 1000,
        slowest_sql=slowest["sql"],
        slowest_ms=float(slowest["time"]) * 1000,
    )


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000, help="the large size (default 100000)")
    parser.add_argument("--messages-per-ticket", type=int, default=3)
    args = parser.parse_args()
    if args.tickets < SMALL:
        parser.error(f"--tickets must be at least {SMALL}")

    url = _stack.require_postgres()
    _stack.ensure_database(url)
    _stack.setup_django(extra_hosts=["testserver"])
    _stack.migrate()
    _stack.wipe_inbox_tables()

    from django.test import Client

    user, queue_ids = bench_agent()
    client = Client()
    client.force_login(user)

    results: list[Result] = []
    seeded = 0
    for size in dict.fromkeys([SMALL, args.tickets]):
        seed(start=seeded, end=size, messages_per_ticket=args.messages_per_ticket, queue_ids=queue_ids, agent_id=user.pk)
        seeded = size
        for view, path in target_urls(user, size):
            results.append(measure(client, size, view, path))
            print(f"measured {size:,} {view}", file=sys.stderr)

    print()
    print(f"Inbox pages, PostgreSQL, {args.messages_per_ticket} messages/ticket; list filter = the page's default "
          f"(active: new, open, pending) unless the view says 'all'; {RUNS} runs after {WARMUPS} warm-ups; "
          f"load avg {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(_stack.table(
        ["size", "view", "p50 ms", "p95 ms", "queries", "db ms (1 run)", "p50 cpu ms (Django)"],
        [(f"{r.size:,}", r.view, f"{r.p50:.1f}", f"{r.p95:.1f}", r.queries, f"{r.db_ms:.0f}", f"{r.cpu_p50:.1f}")
         for r in results],
    ))
    by_key = {(r.size, r.view): r for r in results}
    ratios = []
    for r in results:
        if r.size == args.tickets and (SMALL, r.view) in by_key and args.tickets != SMALL:
            ratios.append(f"{r.view} {r.p95 / by_key[(SMALL, r.view)].p95:.2f}x")
    if ratios:
        print(f"p95 ratio {args.tickets:,}/{SMALL:,}: " + ", ".join(ratios))

    misses = [
        r for r in results
        if r.p95 > TARGET_P95_MS or r.queries > TARGET_QUERIES
        or (r.size == args.tickets and (SMALL, r.view) in by_key and r.size != SMALL
            and r.p95 > TARGET_RATIO * by_key[(SMALL, r.view)].p95)
    ]
    print(f"targets: p95 <= {TARGET_P95_MS:g} ms, <= {TARGET_QUERIES} queries, "
          f"{args.tickets:,} within {TARGET_RATIO:g}x of {SMALL:,}: "
          + ("all met" if not misses else "missed by " + ", ".join(f"{r.size:,} {r.view}" for r in misses)))
    for r in misses:
        if r.size != args.tickets:
            continue
        print(f"\n--- {r.view} at {r.size:,}: slowest query ({r.slowest_ms:.1f} ms) ---\n{r.slowest_sql}\n")
        print(explain(r.slowest_sql))


if __name__ == "__main__":
    main()
