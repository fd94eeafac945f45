"""The inbox list's rows, rendered in Python.

The list is the page agents reload most, and 50 rows through the template
engine (an include per row, ``{% url %}``, ``|date``, ``|timesince``, a
translated label per cell) cost about 0.4 ms a row: most of the page's time.
Here a row is one string format: every label is translated once per page,
ticket URLs are built from one reversed prefix, and dates are formatted from
one local-time conversion. The markup is the same as the template it
replaced; the list page and the live client's row endpoint both use it, so a
row looks the same whether it came with the page or over the socket.

Everything that comes from a customer or an agent (subject, names) is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince
from django.utils.translation import gettext

from inbox.models import Channel, Ticket

_ROW = (
    '<tr class="ticket-row{urgency}" data-ticket="{pk}" id="ticket-row-{pk}" data-updated="{updated_us}" data-due="{due_us}">\n'
    '  <td class="reference"><a href="{url}">{reference}</a></td>\n'
    '  <td class="subject"><a href="{url}">{subject}</a></td>\n'
    '  <td class="customer">{customer}</td>\n'
    '  <td class="channel">{channel}</td>\n'
    '  <td class="status"><span class="badge {status}">{status_label}</span></td>\n'
    '  <td class="assignee">{assignee}</td>\n'
    '  <td class="updated"><time datetime="{updated_iso}" title="{updated_title}">{updated_ago}</time></td>\n'
    "</tr>"
)
_URGENCY = {"breached": " sla-breached", "at_risk": " sla-at-risk"}


# What a row reads: the list loads only these (a row's tickets carry no queue,
# no password hash, no SLA due times), so building 50 rows' objects stays cheap.
ROW_FIELDS = (
    "id", "subject", "status", "origin_channel", "updated_at", "customer__name",
    "assignee__first_name", "assignee__last_name", "assignee__username", "care_sla__urgency",
    "care_sla__due_at",
)


def for_rows(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """``tickets`` loading just what rows show (keeps filters and ordering)."""
    return tickets.select_related(None).select_related("customer", "assignee", "care_sla").only(*ROW_FIELDS)


class RowRenderer:
    """Renders rows for one request: labels and the URL prefix are looked up once."""

    def __init__(self, *, now: datetime | None = None) -> None:
        self.now = now or timezone.now()
        # str() first: escape() of a lazy label stays lazy and would translate again in every row.
        self.status_labels = {value: escape(str(label)) for value, label in Ticket.Status.choices}
        self.channel_labels = {value: escape(str(label)) for value, label in Channel.choices}
        self.no_subject = escape(gettext("(no subject)"))
        self.unknown_customer = escape(gettext("Unknown customer"))
        self.unassigned = '<span class="muted">' + escape(gettext("Unassigned")) + "</span>"
        self.ago = gettext("%(since)s ago")
        self.months = {number: str(name).title() for number, name in MONTHS_3.items()}
        # reverse() once; a ticket's URL is the prefix with its id swapped in.
        self.url_template = reverse("inbox:ticket", args=[987654321]).replace("987654321", "{pk}")

    def row(self, ticket: Ticket) -> SafeString:
        updated = ticket.updated_at
        local = timezone.localtime(updated)
        assignee = ticket.assignee
        sla = _sla_of(ticket)
        return mark_safe(
            _ROW.format(
                urgency=_URGENCY.get(sla.urgency, "") if sla is not None else "",
                pk=ticket.pk,
                updated_us=_sort_key(updated),
                due_us=_sort_key(_due_of(sla)),
                url=self.url_template.format(pk=ticket.pk),
                reference=ticket.reference,
                subject=escape(ticket.subject) if ticket.subject else self.no_subject,
                customer=escape(ticket.customer.name) if ticket.customer.name else self.unknown_customer,
                channel=self.channel_labels.get(ticket.origin_channel, escape(ticket.origin_channel)),
                status=escape(ticket.status),
                status_label=self.status_labels.get(ticket.status, escape(ticket.status)),
                assignee=escape(assignee.get_full_name() or assignee.get_username()) if assignee else self.unassigned,
                updated_iso=local.isoformat(),
                updated_title=f"{local.day} {self.months[local.month]} {local.year} {local:%H:%M}",
                updated_ago=escape(self.ago % {"since": timesince(updated, self.now)}),
            )
        )

    def rows(self, tickets: Iterable[Ticket]) -> list[SafeString]:
        return [self.row(ticket) for ticket in tickets]


def _sort_key(moment: datetime | None) -> str:
    """A moment as the digit string live.js orders rows by (epoch seconds + microseconds); "" for none."""
    return f"{int(moment.timestamp())}{moment.microsecond:06d}" if moment is not None else ""


def _due_of(sla) -> datetime | None:
    """When an urgent ticket's next target is due (the band's order, see
    inbox.selectors.urgent_band); None for a calm one."""
    return sla.due_at if sla is not None and sla.urgency else None


def _sla_of(ticket: Ticket):
    """The ticket's SLA state (care.TicketSLA, select_related by the list), or None."""
    try:
        return ticket.care_sla
    except ObjectDoesNotExist:
        return None
