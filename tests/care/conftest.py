"""Care-loop fixtures: tickets on web (email delivery), SMS and phone (Twilio's
REST API intercepted at the HTTP layer with ``responses``, as the phone tests
do) and X (tweepy's HTTP intercepted the same way, as the social tests do)."""

from __future__ import annotations

import json
import uuid

import pytest
import responses

from channels_app.base import Sender
from inbox import actions
from inbox.models import Ticket
from tests.channels_app.phone.conftest import API_MESSAGES, CUSTOMER, FIXTURES, post_twilio, twilio_settings  # noqa: F401
from tests.channels_app.social.conftest import x_api, x_settings  # noqa: F401
from tests.factories import inbound

CREATED = json.loads((FIXTURES / "api_message_created.json").read_text())


@pytest.fixture
def twilio_api(twilio_settings):  # noqa: F811
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        # A fresh MessageSid per message, as Twilio gives (provider ids are unique per channel).
        mock.add_callback(
            responses.POST, API_MESSAGES,
            callback=lambda request: (201, {}, json.dumps({**CREATED, "sid": "SM" + uuid.uuid4().hex})),
            content_type="application/json",
        )
        yield mock


def web_ticket(queue, *, email: str = "anna@example.org", name: str = "Anna de Vries", body: str = "My router keeps rebooting.") -> Ticket:
    ticket = actions.receive(
        inbound(channel="web", senders=(Sender(kind="email", value=email),), name=name, body=body)
    ).message.ticket
    Ticket.objects.filter(pk=ticket.pk).update(queue=queue)
    return Ticket.objects.select_related("customer").get(pk=ticket.pk)


def sms_ticket(queue, *, phone: str = CUSTOMER) -> Ticket:
    ticket = actions.receive(
        inbound(channel="sms", senders=(Sender(kind="phone", value=phone),), name="Piet Jansen")
    ).message.ticket
    Ticket.objects.filter(pk=ticket.pk).update(queue=queue)
    return Ticket.objects.select_related("customer").get(pk=ticket.pk)


def solve(ticket: Ticket, by) -> Ticket:
    return actions.set_status(ticket=ticket, status=Ticket.Status.SOLVED, by=by)


def answer(ticket: Ticket, agent, capture, body: str = "We reset your line; it should work now.") -> None:
    """An agent's answer, delivered (on-commit callbacks run)."""
    with capture(execute=True):
        actions.reply(ticket=ticket, author=agent, body=body)
