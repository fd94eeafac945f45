"""The list's rows, rendered in Python (inbox.rows), read as the template filters would write them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from inbox.models import Channel, Ticket
from inbox.rows import RowRenderer, for_rows
from inbox.selectors import TicketFilters, ticket_list
from tests.factories import CustomerFactory, TicketFactory, UserFactory

pytestmark = pytest.mark.django_db

# What the row's date cells used to be in the template: the reference for the Python version.
DATES = Template(
    "{{ t.updated_at|date:'Uu' }}|{{ t.updated_at|date:'c' }}|{{ t.updated_at|date:'j M Y H:i' }}|"
    "{% load i18n %}{% blocktranslate with since=t.updated_at|timesince %}{{ since }} ago{% endblocktranslate %}"
)


def loaded(ticket: Ticket, user) -> Ticket:
    """The ticket as the list loads it (select_related included)."""
    return for_rows(ticket_list(user=user, filters=TicketFilters())).get(pk=ticket.pk)


def test_a_row_carries_the_tickets_facts_and_links_to_it(queue, agent, django_assert_num_queries):
    ticket = TicketFactory(queue=queue, subject="Router drops", customer=CustomerFactory(name="Ana Lima"))
    ticket = loaded(ticket, agent)

    with django_assert_num_queries(0):  # everything a row reads was loaded (for_rows)
        row = RowRenderer().row(ticket)

    assert row.startswith(f'<tr class="ticket-row" data-ticket="{ticket.pk}" id="ticket-row-{ticket.pk}"')
    assert f'<a href="/inbox/t/{ticket.pk}/">{ticket.reference}</a>' in row
    assert f'<a href="/inbox/t/{ticket.pk}/">Router drops</a>' in row
    assert '<td class="customer">Ana Lima</td>' in row
    assert '<td class="channel">Web</td>' in row
    assert '<span class="badge new">New</span>' in row
    assert '<td class="assignee"><span class="muted">Unassigned</span></td>' in row


@pytest.mark.parametrize("language", ["en", "nl", "da", "nb"])
@pytest.mark.parametrize("age", [timedelta(seconds=20), timedelta(hours=3, minutes=5), timedelta(days=45), timedelta(days=800)])
def test_dates_read_as_djangos_date_and_timesince_filters(queue, agent, language, age):
    ticket = TicketFactory(queue=queue)
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now() - age)
    ticket = loaded(ticket, agent)

    with translation.override(language):
        expected_us, expected_iso, expected_title, expected_ago = DATES.render(Context({"t": ticket})).split("|")
        row = RowRenderer().row(ticket)

    assert f'data-updated="{expected_us}"' in row
    assert f'<time datetime="{expected_iso}" title="{expected_title}">{expected_ago}</time>' in row


def test_labels_follow_the_agents_language(queue, agent):
    ticket = TicketFactory(queue=queue, origin_channel=Channel.PHONE, status=Ticket.Status.PENDING, subject="")
    ticket.customer.name = ""
    ticket.customer.save()
    ticket = loaded(ticket, agent)

    with translation.override("nl"):
        row = RowRenderer().row(ticket)
        labels = [
            str(Ticket.Status.PENDING.label), str(Channel.PHONE.label),
            translation.gettext("Unassigned"), translation.gettext("(no subject)"), translation.gettext("Unknown customer"),
        ]

    assert labels[0] != "Pending", "the nl catalogue should translate the status"
    for label in labels:
        assert label in row


def test_what_customers_and_agents_typed_is_escaped(queue, agent, django_assert_num_queries):
    sneaky = UserFactory(username="mallory", first_name="<b>Mal</b>", last_name="", queues=[queue])
    ticket = TicketFactory(
        queue=queue, assignee=sneaky, subject='<script>alert("x")</script>', customer=CustomerFactory(name="Tom & <i>Jerry</i>")
    )
    ticket = loaded(ticket, agent)

    with django_assert_num_queries(0):
        row = RowRenderer().row(ticket)

    assert "<script>" not in row and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in row
    assert "Tom &amp; &lt;i&gt;Jerry&lt;/i&gt;" in row
    assert '<td class="assignee">&lt;b&gt;Mal&lt;/b&gt;</td>' in row
