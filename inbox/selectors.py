"""Read paths shared by the inbox pages, the API and the other apps.

Lists are keyset-paginated on (updated_at, id) descending: the cost of a page
does not grow with how deep it is, and a ticket that moves while you page is
neither skipped nor shown twice within one direction.

The backlog views of the inbox page lift urgent tickets (breached or about to
breach their SLA, care.TicketSla.urgency) into a band above the first page,
most urgent first, and leave them out of the pages below: see urgent_band.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, F, Max, OuterRef, Prefetch, Q, QuerySet, Subquery

from inbox.models import CallbackTask, Customer, Event, Identity, Message, Ticket
from inbox.permissions import is_supervisor


class BadCursor(ValueError):
    pass


@dataclass(frozen=True)
class TicketFilters:
    status: str = ""
    queue: int | None = None
    channel: str = ""
    assignee: str = ""  # "", "me", "none" or a user id
    urgency: str = ""  # "" or a key of URGENCY_FILTERS


# The SLA marks that make a ticket urgent (care.sla sets them), and the list filters on them.
URGENT = ("breached", "at_risk")
URGENCY_FILTERS = {"urgent": URGENT, "breached": ("breached",), "at_risk": ("at_risk",)}
URGENT_BAND_SIZE = 10  # the most urgent; "Show all urgent tickets" lists the rest


def tickets_visible_to(user) -> QuerySet[Ticket]:
    tickets = Ticket.objects.all()
    if not is_supervisor(user):
        tickets = tickets.filter(queue__members=user)
    return tickets


def ticket_list(*, user, filters: TicketFilters) -> QuerySet[Ticket]:
    tickets = tickets_visible_to(user).select_related("customer", "queue", "assignee", "care_sla")
    if filters.status == "active":
        tickets = tickets.filter(status__in=Ticket.WORK_STATUSES)
    elif filters.status:
        tickets = tickets.filter(status=filters.status)
    if filters.queue:
        tickets = tickets.filter(queue_id=filters.queue)
    if filters.channel:
        tickets = tickets.filter(origin_channel=filters.channel)
    if filters.assignee == "me":
        tickets = tickets.filter(assignee=user)
    elif filters.assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif filters.assignee.isdigit():
        tickets = tickets.filter(assignee_id=int(filters.assignee))
    if filters.urgency:
        tickets = tickets.filter(_urgent(URGENCY_FILTERS[filters.urgency]))
    return tickets.order_by("-updated_at", "-id")


def has_urgent_band(filters: TicketFilters) -> bool:
    """Whether the list shows urgent tickets in a band above its pages: the
    backlog views (work still to do, or every status). A view of solved work
    or of urgency itself keeps plain time order."""
    return not filters.urgency and filters.status in ("", "active", *Ticket.WORK_STATUSES)


def _urgent(marks: tuple[str, ...] = URGENT) -> Q:
    # A solved ticket keeps its mark until the next check: only work counts.
    return Q(status__in=Ticket.WORK_STATUSES, care_sla__urgency__in=marks)


def urgent_band(tickets: QuerySet[Ticket], *, size: int = URGENT_BAND_SIZE) -> tuple[list[Ticket], bool]:
    """The urgent tickets among ``tickets``: breached first, then by the due
    time that makes them urgent (the most overdue first), at most ``size``;
    and whether there are more. Few rows, found through the urgency index."""
    # "breached" sorts after "at_risk": descending puts it first.
    order = ("-care_sla__urgency", F("care_sla__due_at").asc(nulls_last=True), "id")
    # Pick the band's ids first (SLA rows and ticket ids only), then join the
    # customer and assignee for those few: a busy backlog has hundreds of urgent tickets.
    band = tickets.filter(_urgent()).order_by(*order).values("pk")[: size + 1]
    rows = list(tickets.filter(pk__in=Subquery(band)).order_by(*order))
    return rows[:size], len(rows) > size


def without_urgent(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """``tickets`` minus those the urgent band shows. The band's tickets are
    few, so the keyset pages still walk the (updated_at, id) index and only
    skip them (the SLA row is one join by its unique ticket id)."""
    return tickets.exclude(_urgent())


@dataclass(frozen=True)
class WorkCounts:
    by_status: dict[str, int]
    latest_event_id: int | None  # None: not read (no active ticket visible)


def work_counts(user) -> WorkCounts:
    """Active tickets per status among those the user may see and, in the same
    statement, the newest event id (see latest_event_id): the list page reads
    both before its rows, and the urgent band's query fits in the page's query
    budget. Without any active ticket there is no row to carry the id."""
    rows = list(
        tickets_visible_to(user)
        .filter(status__in=Ticket.WORK_STATUSES)
        .order_by()
        .values_list("status")
        .annotate(count=Count("*"), latest_event=Max(Subquery(Event.objects.order_by("-id").values("id")[:1])))
    )
    return WorkCounts(
        by_status={status: count for status, count, _latest in rows},
        latest_event_id=(rows[0][2] or 0) if rows else None,
    )


def encode_cursor(ticket: Ticket) -> str:
    raw = json.dumps([ticket.updated_at.isoformat(), ticket.pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        updated_at, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return datetime.fromisoformat(updated_at), int(pk)
    except (ValueError, TypeError):
        raise BadCursor("This page link is not valid; start from the first page.") from None


def ticket_page(tickets: QuerySet[Ticket], *, after: str = "", size: int = 50) -> tuple[list[Ticket], str]:
    """One page of ``tickets`` (ordered newest first) after the cursor, and the
    cursor of the next page ("" when this is the last)."""
    if after:
        updated_at, pk = decode_cursor(after)
        # The redundant "updated_at <= X" is what lets PostgreSQL use the
        # (updated_at, id) index as a range; the OR alone makes it a filter
        # over every newer row (measured: 152 ms -> 0.6 ms at 100k tickets).
        tickets = tickets.filter(updated_at__lte=updated_at).filter(Q(updated_at__lt=updated_at) | Q(pk__lt=pk))
    rows = list(tickets[: size + 1])
    next_cursor = encode_cursor(rows[size - 1]) if len(rows) > size else ""
    return rows[:size], next_cursor


def ticket_detail(*, user, pk: int) -> Ticket | None:
    """The ticket page's ticket with its thread and the customer's identities.

    ``latest_event_id`` is annotated: read in the same statement (the same
    snapshot) as the ticket and before its thread, so the page's websocket
    resumes from exactly what the page shows (see latest_event_id)."""
    return (
        tickets_visible_to(user)
        .select_related("customer", "queue", "assignee", "care_sla")
        .annotate(latest_event_id=Subquery(Event.objects.order_by("-id").values("id")[:1]))
        .prefetch_related(
            Prefetch("messages", queryset=Message.objects.select_related("author").order_by("created_at", "id")),
            Prefetch("customer__identities", queryset=Identity.objects.order_by("kind", "value")),
        )
        .filter(pk=pk)
        .first()
    )


def customer_other_tickets(
    *, customer: Customer, exclude_ticket_id: int | None = None, limit: int = 20, visible_to=None
) -> list[Ticket]:
    """The customer's tickets on every channel, newest first, for whoever answers.

    With ``visible_to``, each ticket carries ``visible``: whether that user may
    open it (its queue is theirs), asked in the same query."""
    tickets = customer.tickets.select_related("queue", "assignee").order_by("-updated_at", "-id")
    if visible_to is not None:
        # The one visibility rule (tickets_visible_to), asked per row in the same query.
        tickets = tickets.annotate(visible=Exists(tickets_visible_to(visible_to).filter(pk=OuterRef("pk"))))
    if exclude_ticket_id is not None:
        tickets = tickets.exclude(pk=exclude_ticket_id)
    return list(tickets[:limit])


def customers_visible_to(user) -> QuerySet[Customer]:
    customers = Customer.objects.all()
    if not is_supervisor(user):
        customers = customers.filter(tickets__queue__members=user).distinct()
    return customers.prefetch_related(Prefetch("identities", queryset=Identity.objects.order_by("kind", "value")))


# --- customer-facing reads (the web forms and the customer's ticket link) ------------


def message_by_provider_id(channel: str, provider_id: str) -> Message | None:
    """The message a provider delivery (or a form submission) already became,
    if any: a form resubmitted by a double click is spotted before throttling."""
    return Message.objects.filter(channel=channel, provider_id=provider_id).select_related("ticket").first()


def message_started_ticket(message: Message) -> bool:
    """Whether ``message`` opened its ticket rather than joining an existing
    conversation (primary keys follow insertion order within a ticket)."""
    return not Message.objects.filter(ticket_id=message.ticket_id, pk__lt=message.pk).exists()


def customer_ticket(ticket_id: int) -> Ticket | None:
    return Ticket.objects.select_related("customer").filter(pk=ticket_id).first()


def customer_thread(ticket: Ticket) -> list[Message]:
    """What the customer may read of their ticket: what they wrote and what we
    answered. Internal notes never leave the inbox."""
    return list(
        ticket.messages.filter(direction__in=[Message.Direction.IN, Message.Direction.OUT])
        .select_related("author")
        .order_by("created_at", "id")
    )


def customer_identity(customer: Customer, kind: str | None = None) -> Identity | None:
    """The customer's oldest identity (of ``kind``, when given)."""
    identities = customer.identities.all()
    if kind is not None:
        identities = identities.filter(kind=kind)
    return identities.order_by("created_at", "id").first()


# --- the live inbox (partials re-rendered on websocket events) -----------------------


def latest_event_id() -> int:
    """The newest Event id: a freshly rendered page is in sync up to here, so
    its websocket resumes after it. Read before the page's data, so an event
    committed in between is replayed (applying one twice is harmless)."""
    return Event.objects.order_by("-id").values_list("id", flat=True).first() or 0


def visible_ticket(*, user, pk: int) -> Ticket | None:
    """One ticket the user may see, without its thread (for partials)."""
    return tickets_visible_to(user).select_related("customer", "queue", "assignee").filter(pk=pk).first()


def ticket_messages(*, ticket: Ticket, ids: list[int] | None = None, after_id: int | None = None) -> list[Message]:
    """Messages of ``ticket`` (by id, or newer than ``after_id``), in thread order."""
    messages = ticket.messages.select_related("author")
    if ids is not None:
        messages = messages.filter(pk__in=ids)
    if after_id is not None:
        messages = messages.filter(pk__gt=after_id)
    return list(messages.order_by("created_at", "id"))


# --- phone: callbacks and delivery reports --------------------------------------------


def callback_queue(*, user, after_id: int | None = None, size: int = 50) -> tuple[list, int | None]:
    """Open callback tasks the user may work, the most urgent first (by the
    moment we promised to call), one keyset page after task ``after_id``; and
    the id to continue after (None on the last page)."""
    tasks = (
        CallbackTask.objects.filter(status=CallbackTask.Status.OPEN, ticket__in=tickets_visible_to(user))
        .select_related("ticket__customer", "ticket__queue", "ticket__assignee", "request_message")
        .order_by("due_at", "id")
    )
    if after_id is not None:
        anchor = CallbackTask.objects.filter(pk=after_id).values_list("due_at", flat=True).first()
        if anchor is not None:
            tasks = tasks.filter(Q(due_at__gt=anchor) | Q(due_at=anchor, pk__gt=after_id))
    rows = list(tasks[: size + 1])
    return rows[:size], (rows[size - 1].pk if len(rows) > size else None)


def ticket_open_callbacks(ticket: Ticket) -> list:
    return list(ticket.callback_tasks.filter(status=CallbackTask.Status.OPEN).order_by("due_at", "id"))


def visible_callback(*, user, pk: int):
    return CallbackTask.objects.filter(pk=pk, ticket__in=tickets_visible_to(user)).select_related("ticket").first()


def outbound_message_for_report(*, channel: str, provider_id: str, idempotency_key: str = "") -> Message | None:
    """The outbound message a provider's delivery report is about: by the
    provider's id, or (when the worker died before storing that id) by the
    idempotency key we put in the report's URL."""
    messages = Message.objects.filter(channel=channel, direction=Message.Direction.OUT)
    if provider_id:
        found = messages.filter(provider_id=provider_id).first()
        if found is not None:
            return found
    if idempotency_key:
        try:
            return messages.filter(idempotency_key=idempotency_key).first()
        except (ValueError, TypeError, ValidationError):
            return None
    return None


# --- for the playbook (resolutions reads inbox data through these) ---------------------


def latest_inbound_message(ticket: Ticket) -> Message | None:
    """The customer's newest message on ``ticket``: what suggestions answer.
    Taken from the thread when it was prefetched (the ticket page), else asked."""
    thread = getattr(ticket, "_prefetched_objects_cache", {}).get("messages")
    if thread is not None:
        inbound = [message for message in thread if message.direction == Message.Direction.IN]
        return max(inbound, key=lambda message: (message.created_at, message.pk), default=None)
    return ticket.messages.filter(direction=Message.Direction.IN).order_by("-created_at", "-id").first()
