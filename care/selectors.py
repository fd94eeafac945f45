"""Reads of the care loop shared by pages, the API and commands: the customer
export and the report figures."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count

from care.models import CsatSurvey, CustomerCare, ExitReason, TicketSla, Tier
from inbox.models import Channel, Customer, Message, Ticket


def customer_export(customer: Customer) -> dict:
    care = CustomerCare.objects.filter(customer=customer).first()
    tickets = []
    for ticket in Ticket.objects.filter(customer=customer).select_related("queue").order_by("created_at", "id"):
        survey = CsatSurvey.objects.filter(ticket=ticket).first()
        exit_reason = ExitReason.objects.filter(ticket=ticket).first()
        tickets.append(
            {
                "reference": ticket.reference,
                "subject": ticket.subject,
                "status": ticket.status,
                "channel": ticket.origin_channel,
                "queue": ticket.queue.name,
                "created_at": ticket.created_at.isoformat(),
                "solved_at": ticket.solved_at.isoformat() if ticket.solved_at else None,
                "messages": [
                    {
                        "direction": message.direction,
                        "channel": message.channel,
                        "body": message.body,
                        "status": message.status,
                        "created_at": message.created_at.isoformat(),
                    }
                    # Internal notes are the team's working notes, not the customer's data.
                    for message in ticket.messages.exclude(direction=Message.Direction.NOTE).order_by("created_at", "id")
                ],
                "satisfaction": (
                    {"rating": survey.rating, "comment": survey.comment, "channel": survey.channel} if survey else None
                ),
                "exit_reason": (
                    {"reason": exit_reason.reason, "detail": exit_reason.detail} if exit_reason else None
                ),
            }
        )
    return {
        "customer": {
            "id": customer.pk,
            "name": customer.name,
            "language": customer.language,
            "consent_follow_up": customer.consent_follow_up,
            "tier": care.tier if care else "standard",
            "opted_out_at": care.opted_out_at.isoformat() if care and care.opted_out_at else None,
            "created_at": customer.created_at.isoformat(),
        },
        "identities": [
            {"kind": identity.kind, "value": identity.value, "handle": identity.handle}
            for identity in customer.identities.order_by("created_at", "id")
        ],
        "tickets": tickets,
    }


# --- reports -------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile (median = 0.5); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-int(round(fraction * len(ordered) * 1000)) // 1000))
    return ordered[min(len(ordered), rank) - 1]


@dataclass
class TimeRow:
    label: str
    count: int
    median: float | None
    p90: float | None


def _times(pairs: list[tuple[str, float]]) -> list[TimeRow]:
    groups: dict[str, list[float]] = defaultdict(list)
    for label, minutes in pairs:
        groups[label].append(minutes)
    return [
        TimeRow(label=label, count=len(values), median=percentile(values, 0.5), p90=percentile(values, 0.9))
        for label, values in sorted(groups.items())
    ]


def report(*, since: datetime | None = None, until: datetime | None = None) -> dict:
    tickets = Ticket.objects.all()
    if since:
        tickets = tickets.filter(created_at__gte=since)
    if until:
        tickets = tickets.filter(created_at__lt=until)
    channel_names = dict(Channel.choices)
    volume = [
        {"channel": str(channel_names.get(row["origin_channel"], row["origin_channel"])), "key": row["origin_channel"], "tickets": row["n"]}
        for row in tickets.values("origin_channel").annotate(n=Count("id")).order_by("-n", "origin_channel")
    ]
    inbound = dict(
        Message.objects.filter(ticket__in=tickets, direction=Message.Direction.IN)
        .values_list("channel").annotate(n=Count("id")).values_list("channel", "n")
    )
    for row in volume:
        row["inbound_messages"] = inbound.get(row["key"], 0)
    rows = list(tickets.values("origin_channel", "queue__name", "created_at", "first_response_at", "solved_at"))
    first_pairs_channel, first_pairs_queue, res_pairs_channel, res_pairs_queue = [], [], [], []
    for row in rows:
        channel = str(channel_names.get(row["origin_channel"], row["origin_channel"]))
        if row["first_response_at"]:
            minutes = (row["first_response_at"] - row["created_at"]).total_seconds() / 60
            first_pairs_channel.append((channel, minutes))
            first_pairs_queue.append((row["queue__name"], minutes))
        if row["solved_at"]:
            minutes = (row["solved_at"] - row["created_at"]).total_seconds() / 60
            res_pairs_channel.append((channel, minutes))
            res_pairs_queue.append((row["queue__name"], minutes))
    slas = TicketSla.objects.filter(ticket__in=tickets)
    measured = slas.count()
    met = slas.filter(first_response_breached=False, resolution_breached=False).count()
    surveys = CsatSurvey.objects.filter(ticket__in=tickets)
    answered = surveys.filter(rating__isnull=False)

    def csat_by(field: str, label_of) -> list[dict]:
        groups: dict[str, list[int]] = defaultdict(list)
        for key, rating in answered.values_list(field, "rating"):
            groups[label_of(key)].append(rating)
        return [
            {"label": label, "answers": len(values), "average": round(sum(values) / len(values), 2),
             "satisfied_pct": round(100 * sum(1 for v in values if v >= 4) / len(values))}
            for label, values in sorted(groups.items())
        ]

    from django.contrib.auth import get_user_model

    from resolutions.models import Topic

    users = {user.pk: (user.get_full_name() or user.get_username()) for user in get_user_model().objects.filter(pk__in=answered.values("agent"))}
    topics = {topic.pk: topic.name_in("en") for topic in Topic.objects.filter(pk__in=answered.values("topic"))}
    exits = [
        {"reason": str(ExitReason.Reason(row["reason"]).label), "key": row["reason"], "count": row["n"]}
        for row in ExitReason.objects.filter(ticket__in=tickets).values("reason").annotate(n=Count("id")).order_by("-n", "reason")
    ]
    return {
        "tickets": len(rows),
        "volume": volume,
        "first_response_by_channel": _times(first_pairs_channel),
        "first_response_by_queue": _times(first_pairs_queue),
        "resolution_by_channel": _times(res_pairs_channel),
        "resolution_by_queue": _times(res_pairs_queue),
        "sla": {"measured": measured, "met": met, "pct": round(100 * met / measured) if measured else None},
        "csat": {
            "sent": surveys.count(),
            "answered": answered.count(),
            "by_channel": csat_by("channel", lambda key: str(channel_names.get(key, key))),
            "by_agent": csat_by("agent", lambda key: users.get(key, "—")),
            "by_topic": csat_by("topic", lambda key: topics.get(key, "—")),
        },
        "exit_reasons": exits,
    }


def bars(items: list[tuple[str, float]], *, width: int = 420, bar_height: int = 18) -> dict:
    """Geometry for an inline SVG bar chart (the template draws it; no JS)."""
    top = max((value for _, value in items), default=0) or 1
    label_width = 120
    return {
        "width": width,
        "height": max(1, len(items)) * (bar_height + 6),
        "bars": [
            {
                "label": label,
                "value": value,
                "y": index * (bar_height + 6),
                "text_y": index * (bar_height + 6) + bar_height - 4,
                "x": label_width,
                "w": max(1, int((width - label_width - 50) * value / top)),
                "value_x": label_width + max(1, int((width - label_width - 50) * value / top)) + 4,
                "h": bar_height,
            }
            for index, (label, value) in enumerate(items)
        ],
    }


def preferences(customer: Customer) -> dict:
    """A customer's care preferences as the privacy page and the API show them
    (no CustomerCare row: standard tier, not opted out)."""
    care = CustomerCare.objects.filter(customer=customer).first()
    return {
        "customer": customer.pk,
        "tier": care.tier if care else Tier.STANDARD,
        "opted_out": bool(care and care.opted_out_at),
        "opted_out_at": care.opted_out_at if care else None,
        "consent_follow_up": customer.consent_follow_up,
    }
