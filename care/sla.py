"""SLA targets, due times and the periodic breach check.

``evaluate`` is pure (a ticket's facts + a calendar + ``now`` -> due times and
urgency); ``check_ticket`` stores the result and fires each alert once, as an
Event row of type ``ticket.sla`` on the ticket: the live inbox and resume carry
it to the queue's agents and to supervisors (who see every queue).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from care.clock import Calendar, add_business_minutes, business_minutes_between, cycle_start, pauses_from_statuses
from care.models import AgentAway, BusinessHours, CustomerCare, Holiday, SlaPolicy, TicketSla, Tier
from inbox import realtime
from inbox.models import Channel, Event, Message, Ticket

# Targets in business minutes when no SlaPolicy row says otherwise:
# (first response, resolution) per priority; VIP customers get half.
DEFAULT_TARGETS = {
    Ticket.Priority.URGENT: (30, 240),
    Ticket.Priority.HIGH: (60, 480),
    Ticket.Priority.NORMAL: (240, 1440),
    Ticket.Priority.LOW: (480, 2880),
}
OPEN_STATUSES = Ticket.WORK_STATUSES  # the clocks run while there is work to do
DONE_STATUSES = (Ticket.Status.SOLVED, Ticket.Status.CLOSED)


@dataclass(frozen=True)
class Facts:
    """What the clock needs to know about one ticket."""

    created_at: datetime
    status: str
    # The first answer of the current round of work (see cycle_started_at).
    first_response_at: datetime | None
    solved_at: datetime | None
    status_changes: list[tuple[datetime, str]]
    # The oldest inbound message not answered yet (None: nothing waits).
    waiting_message_id: int | None = None
    waiting_since: datetime | None = None
    assignee_away: bool = False
    # When the current round of work began: creation, or the last reopen of a
    # solved ticket (None = created_at). The first-response clock starts here.
    cycle_started_at: datetime | None = None


@dataclass(frozen=True)
class SlaState:
    first_response_due: datetime | None
    resolution_due: datetime | None
    paused: bool
    paused_minutes: int
    first_response_breached: bool
    resolution_breached: bool
    # Within the warning time of a target, not yet past it: one flag per
    # target, so each warns once (check_ticket).
    first_response_at_risk: bool
    resolution_at_risk: bool
    unanswered: bool
    urgency: str

    @property
    def at_risk(self) -> bool:
        return self.first_response_at_risk or self.resolution_at_risk


def targets(*, priority: str, tier: str) -> tuple[int, int]:
    policy = SlaPolicy.objects.filter(priority=priority, tier=tier).first()
    if policy is not None:
        return policy.first_response_minutes, policy.resolution_minutes
    first, resolution = DEFAULT_TARGETS.get(priority, DEFAULT_TARGETS[Ticket.Priority.NORMAL])
    if tier == Tier.VIP:
        return first // 2, resolution // 2
    return first, resolution


def calendar_for(queue_id: int) -> Calendar:
    hours: dict[int, list] = {}
    for row in BusinessHours.objects.filter(queue_id=queue_id):
        hours.setdefault(row.weekday, []).append((row.opens, row.closes))
    holidays = frozenset(
        Holiday.objects.filter(queue_id=queue_id).values_list("date", flat=True)
    ) | frozenset(Holiday.objects.filter(queue__isnull=True).values_list("date", flat=True))
    return Calendar(
        tz=ZoneInfo(settings.TIME_ZONE), hours={day: tuple(spans) for day, spans in hours.items()}, holidays=holidays
    )


def evaluate(
    facts: Facts,
    *,
    first_response_minutes: int,
    resolution_minutes: int,
    calendar: Calendar,
    now: datetime,
    warn_minutes: int,
    unanswered_minutes: int,
) -> SlaState:
    # The resolution clock stops while we wait on the customer (pending) and
    # while a ticket that was reopened later sat solved: only time the ball
    # was with us counts. A ticket solved now has no end to that pause yet;
    # it is not a pause, its clock simply stopped at solved_at.
    pauses = pauses_from_statuses(facts.status_changes) + [
        pause for pause in pauses_from_statuses(facts.status_changes, paused_statuses=DONE_STATUSES) if pause[1] is not None
    ]
    pauses.sort(key=lambda pause: pause[0])
    first_due = add_business_minutes(facts.cycle_started_at or facts.created_at, first_response_minutes, calendar)
    resolution_due = add_business_minutes(facts.created_at, resolution_minutes, calendar, pauses=pauses, now=now)
    paused = facts.status == Ticket.Status.PENDING
    paused_minutes = sum(
        business_minutes_between(start, end or now, calendar) for start, end in pauses
    )
    open_ticket = facts.status in OPEN_STATUSES
    awaiting_first = facts.first_response_at is None
    if first_due is None:
        first_breached = False
    elif not awaiting_first:
        first_breached = facts.first_response_at > first_due
    else:
        first_breached = open_ticket and now > first_due
    resolution_breached = resolution_due is not None and (
        (facts.solved_at if not open_ticket and facts.solved_at else now) > resolution_due
    )
    warn = timedelta(minutes=warn_minutes)
    # The target that comes next warns: the first answer until it is given, then the resolution.
    first_at_risk = open_ticket and awaiting_first and first_due is not None and not first_breached and now >= first_due - warn
    resolution_at_risk = (
        open_ticket and not awaiting_first and not paused and resolution_due is not None
        and not resolution_breached and now >= resolution_due - warn
    )
    unanswered = False
    # A ticket's first message is the first-response target's business; the
    # watch covers what the customer writes after we answered (or anything
    # waiting on an assignee who is away).
    if open_ticket and facts.waiting_since is not None and (not awaiting_first or facts.assignee_away):
        # Nobody is there to answer: no point waiting for the target.
        unanswered = facts.assignee_away or (
            business_minutes_between(facts.waiting_since, now, calendar) >= unanswered_minutes
        )
    urgency = ""
    if open_ticket:
        if (first_breached and awaiting_first) or (resolution_breached and not paused) or unanswered:
            urgency = "breached"
        elif first_at_risk or resolution_at_risk:
            urgency = "at_risk"
    return SlaState(
        first_response_due=first_due,
        resolution_due=resolution_due,
        paused=paused,
        paused_minutes=int(paused_minutes),
        first_response_breached=bool(first_breached),
        resolution_breached=bool(resolution_breached),
        first_response_at_risk=bool(first_at_risk),
        resolution_at_risk=bool(resolution_at_risk),
        unanswered=unanswered,
        urgency=urgency,
    )


def facts_for(ticket: Ticket, *, now: datetime) -> Facts:
    changes = [
        (created_at, payload.get("status"))
        for created_at, payload in Event.objects.filter(
            ticket=ticket, type__in=(Event.Type.TICKET_CREATED, Event.Type.TICKET_UPDATED)
        ).order_by("id").values_list("created_at", "payload")
        if payload.get("status")
    ]
    if not changes or changes[-1][1] != ticket.status:
        changes.append((now, ticket.status))
    started = cycle_start(changes, created_at=ticket.created_at, done_statuses=DONE_STATUSES)
    first_response_at = ticket.first_response_at
    if started != ticket.created_at:
        # Reopened: the round's first answer is our first message since the
        # reopen (a call counts when the customer was reached, as in log_call).
        first_response_at = (
            ticket.messages.filter(direction=Message.Direction.OUT, created_at__gte=started)
            .filter(~Q(channel=Channel.PHONE) | Q(meta__call__outcome="answered"))
            .order_by("created_at", "id").values_list("created_at", flat=True).first()
        )
    last_out = (
        ticket.messages.filter(direction=Message.Direction.OUT).order_by("-created_at", "-id").values_list("created_at", flat=True).first()
    )
    waiting = ticket.messages.filter(direction=Message.Direction.IN)
    if last_out is not None:
        waiting = waiting.filter(created_at__gt=last_out)
    waiting_message = waiting.order_by("created_at", "id").first()
    away = False
    if ticket.assignee_id is not None:
        away_row = AgentAway.objects.filter(user_id=ticket.assignee_id).first()
        away = away_row is not None and (away_row.until is None or away_row.until > now)
    return Facts(
        created_at=ticket.created_at,
        status=ticket.status,
        first_response_at=first_response_at,
        solved_at=ticket.solved_at,
        status_changes=changes,
        waiting_message_id=waiting_message.pk if waiting_message else None,
        waiting_since=waiting_message.created_at if waiting_message else None,
        assignee_away=away,
        cycle_started_at=started,
    )


def tier_of(customer_id: int) -> str:
    care = CustomerCare.objects.filter(customer_id=customer_id).first()
    return care.tier if care else Tier.STANDARD


def state_for(ticket: Ticket, *, now: datetime, facts: Facts | None = None) -> SlaState:
    first, resolution = targets(priority=ticket.priority, tier=tier_of(ticket.customer_id))
    return evaluate(
        facts or facts_for(ticket, now=now),
        first_response_minutes=first,
        resolution_minutes=resolution,
        calendar=calendar_for(ticket.queue_id),
        now=now,
        warn_minutes=settings.UNISONO_SLA_WARN_MINUTES,
        unanswered_minutes=settings.UNISONO_UNANSWERED_MINUTES,
    )


# Each alert, the TicketSla flag that makes it fire once, and the flags it
# settles with it (a target already missed is not "about to be missed" later).
_TARGET_ALERTS = (
    ("first_response_at_risk", "first_response_warned", ()),
    ("first_response_breached", "first_response_alerted", ("first_response_warned",)),
    ("resolution_at_risk", "resolution_warned", ()),
    ("resolution_breached", "resolution_alerted", ("resolution_warned",)),
)
_CYCLE_FLAGS = ("first_response_warned", "first_response_alerted", "resolution_warned", "resolution_alerted")


@transaction.atomic
def check_ticket(ticket_id: int, *, now: datetime | None = None) -> list[str]:
    """Recompute one ticket's SLA and fire what is newly due. Returns the
    alerts fired: each target warns once and alerts its breach once per round
    of work (a reopened ticket starts a new round); "unanswered" once per
    waiting message. Any change of the row's urgency is broadcast, alert or not."""
    now = now or timezone.now()
    ticket = Ticket.objects.select_related("customer", "assignee").get(pk=ticket_id)
    TicketSla.objects.get_or_create(ticket=ticket)
    # The row lock serialises two checkers (beat + a "check now"): one alert, not two.
    sla = TicketSla.objects.select_for_update().get(ticket=ticket)
    facts = facts_for(ticket, now=now)
    state = state_for(ticket, now=now, facts=facts)
    if sla.cycle_started_at is not None and sla.cycle_started_at != facts.cycle_started_at:
        # Reopened since the last check: the targets are new, so are their alerts.
        for flag in _CYCLE_FLAGS:
            setattr(sla, flag, False)
    due = {
        "first_response_at_risk": state.first_response_at_risk,
        "first_response_breached": state.first_response_breached and facts.first_response_at is None,
        "resolution_at_risk": state.resolution_at_risk,
        "resolution_breached": state.resolution_breached and ticket.status in OPEN_STATUSES and not state.paused,
    }
    alerts: list[str] = []
    for alert, flag, settled in _TARGET_ALERTS:
        if due[alert] and not getattr(sla, flag):
            alerts.append(alert)
            for name in (flag, *settled):
                setattr(sla, name, True)
    if state.unanswered and sla.unanswered_alerted_message_id != facts.waiting_message_id:
        sla.unanswered_alerted_message_id = facts.waiting_message_id
        alerts.append("unanswered")
    urgency_changed = sla.urgency != state.urgency
    sla.cycle_started_at = facts.cycle_started_at
    sla.awaiting_first_response = facts.first_response_at is None
    sla.first_response_due = state.first_response_due
    sla.resolution_due = state.resolution_due
    sla.due_at = state.first_response_due if sla.awaiting_first_response and state.first_response_due else state.resolution_due
    sla.paused = state.paused
    sla.paused_minutes = state.paused_minutes
    sla.first_response_breached = state.first_response_breached
    sla.resolution_breached = state.resolution_breached
    sla.urgency = state.urgency
    sla.checked_at = now
    sla.save()
    if alerts or urgency_changed:
        # The live list moves the row in or out of its urgent band on this frame.
        payload = {
            "reference": ticket.reference,
            "alerts": alerts,
            "urgency": state.urgency,
            "first_response_due": state.first_response_due.isoformat() if state.first_response_due else None,
            "resolution_due": state.resolution_due.isoformat() if state.resolution_due else None,
            "assignee": ticket.assignee_id,
            "assignee_away": facts.assignee_away,
        }
        events = Event.objects.bulk_create(
            [Event(type=Event.Type.TICKET_SLA, ticket=ticket, queue_id=ticket.queue_id, payload=payload, created_at=now)]
        )
        realtime.broadcast_on_commit(events)
    return alerts


def tickets_to_check():
    """Open tickets, and those still marked urgent (so the mark clears once solved)."""
    return Ticket.objects.filter(status__in=OPEN_STATUSES) | Ticket.objects.filter(care_sla__urgency__gt="")


def check_all(*, now: datetime | None = None, progress=None) -> dict:
    now = now or timezone.now()
    ids = list(tickets_to_check().order_by("pk").values_list("pk", flat=True).distinct())
    fired = 0
    for index, ticket_id in enumerate(ids, 1):
        fired += len(check_ticket(ticket_id, now=now))
        if progress is not None:
            progress(index, len(ids))
    return {"checked": len(ids), "alerts": fired}
