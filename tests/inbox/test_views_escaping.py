"""Message bodies (and everything else a customer types) are text, never HTML."""

from __future__ import annotations

import pytest
from django.urls import reverse

from channels_app.base import Sender
from inbox import actions
from inbox.models import Channel
from tests.factories import MessageFactory, TicketFactory, inbound

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("x")</script>'
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"


@pytest.fixture
def hostile_ticket(queue):
    # Through the real ingest: the subject is derived from the body's first line.
    received = actions.receive(
        inbound(
            channel=Channel.WEB,
            body=f"{SCRIPT}\nsecond line <img src=x onerror=alert(1)>",
            name='Eve <b onmouseover="steal()">Hacker</b>',
            senders=(Sender(kind="email", value="eve@example.org"),),
        )
    )
    return received.message.ticket


def test_customer_script_is_escaped_in_the_list(client, agent, hostile_ticket):
    assert hostile_ticket.subject == SCRIPT
    client.force_login(agent)

    content = client.get(reverse("inbox:list")).content.decode()

    assert ESCAPED in content
    assert "<script>alert" not in content
    assert "<b onmouseover" not in content
    assert "Eve &lt;b onmouseover=&quot;steal()&quot;&gt;Hacker&lt;/b&gt;" in content


def test_customer_script_is_escaped_on_the_ticket_page(client, agent, hostile_ticket):
    client.force_login(agent)

    content = client.get(reverse("inbox:ticket", args=[hostile_ticket.pk])).content.decode()

    assert ESCAPED in content
    assert "&lt;img src=x onerror=alert(1)&gt;" in content
    assert "<script>alert" not in content
    assert "<img src=x" not in content
    assert "<b onmouseover" not in content


def test_other_tickets_notes_and_failure_reasons_are_escaped_too(client, agent, queue, hostile_ticket):
    TicketFactory(customer=hostile_ticket.customer, queue=queue, origin_channel=Channel.SMS, subject=SCRIPT)
    MessageFactory(ticket=hostile_ticket, direction="note", author=agent, body=f"quoting: {SCRIPT}")
    MessageFactory(
        ticket=hostile_ticket, direction="out", author=agent, status="failed", status_detail=f"provider said {SCRIPT}",
        body="Hello",
    )
    client.force_login(agent)

    content = client.get(reverse("inbox:ticket", args=[hostile_ticket.pk])).content.decode()

    assert f"quoting: {ESCAPED}" in content
    assert f"provider said {ESCAPED}" in content
    assert "<script>alert" not in content


def test_a_stale_draft_with_markup_is_kept_as_text(client, agent, hostile_ticket):
    seen = hostile_ticket.messages.last().pk
    MessageFactory(ticket=hostile_ticket, channel=Channel.WEB, body="newer")
    client.force_login(agent)

    response = client.post(
        reverse("inbox:reply", args=[hostile_ticket.pk]),
        {"body": f"</textarea>{SCRIPT}", "channel": "web", "last_seen_message_id": seen},
    )

    content = response.content.decode()
    assert response.status_code == 409
    assert f"&lt;/textarea&gt;{ESCAPED}</textarea>" in content
    assert "<script>alert" not in content
