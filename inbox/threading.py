"""Which ticket an inbound message belongs to.

Order of evidence, strongest first:
1. an explicit ticket reference ("T-1042" in the text, or the customer's signed link);
2. a reply to a message we know (the provider says which one);
3. the customer's earlier message in the same public conversation (an X
   thread: replying to a tweet deeper in it, not to ours directly);
4. the customer's active ticket on the same channel, updated within the window;
5. otherwise a new ticket.
A reference, reply-to or conversation only counts when the ticket is the same
customer's: nobody can post into someone else's conversation by quoting its
number, and a different customer joining a public thread is a new matter with
its own ticket (as Zendesk treats it), not a message on the first customer's.
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.conf import settings

from inbox.models import Customer, Message, Ticket

TICKET_REFERENCE = re.compile(r"\bT-(\d{1,12})\b", re.IGNORECASE)


def find_ticket(*, customer: Customer, channel: str, body: str, thread_hint: str, ticket_reference: str,
                received_at, conversation: str = "") -> Ticket | None:
    references = [ticket_reference] if ticket_reference else []
    references += [f"T-{digits}" for digits in TICKET_REFERENCE.findall(body[:2000])]
    for reference in references:
        pk = Ticket.pk_from_reference(reference)
        if pk is not None:
            ticket = Ticket.objects.filter(pk=pk, customer=customer).first()
            if ticket is not None:
                return ticket

    if thread_hint:
        known = (
            Message.objects.filter(channel=channel, provider_id=thread_hint, ticket__customer=customer)
            .select_related("ticket")
            .first()
        )
        if known is not None:
            return known.ticket

    if conversation:
        earlier = (
            Message.objects.filter(channel=channel, conversation=conversation, ticket__customer=customer)
            .select_related("ticket")
            .order_by("-created_at", "-id")
            .first()
        )
        if earlier is not None:
            return earlier.ticket

    window_start = received_at - timedelta(hours=settings.UNISONO_THREAD_WINDOW_HOURS)
    return (
        Ticket.objects.filter(
            customer=customer,
            origin_channel=channel,
            status__in=Ticket.ACTIVE_STATUSES,
            updated_at__gte=window_start,
        )
        .order_by("-updated_at", "-id")
        .first()
    )
