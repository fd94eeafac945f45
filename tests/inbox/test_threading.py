"""Which ticket an inbound message lands on: each rule, and their order."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from channels_app.base import Sender
from inbox import actions
from inbox.models import Ticket
from tests.factories import inbound

pytestmark = pytest.mark.django_db

ANNA = (Sender(kind="phone", value="+31612345678"),)
BOB = (Sender(kind="phone", value="+31687654321"),)


def _ticket_of(result) -> Ticket:
    return result.message.ticket


def test_explicit_reference_in_the_text_wins_over_everything(agent):
    old = _ticket_of(actions.receive(inbound(senders=ANNA, channel="sms")))
    actions.set_status(ticket=old, status=Ticket.Status.CLOSED, by=agent)
    recent = _ticket_of(actions.receive(inbound(senders=ANNA, channel="sms", body="New question")))
    assert recent.pk != old.pk

    result = actions.receive(inbound(senders=ANNA, channel="sms", body=f"About {old.reference.lower()} again"))

    assert _ticket_of(result).pk == old.pk
    assert Ticket.objects.get(pk=old.pk).status == Ticket.Status.OPEN


def test_reference_to_someone_elses_ticket_is_ignored():
    annas = _ticket_of(actions.receive(inbound(senders=ANNA)))

    result = actions.receive(inbound(senders=BOB, body=f"Re {annas.reference}"))

    assert _ticket_of(result).pk != annas.pk
    assert _ticket_of(result).customer != annas.customer


def test_signed_link_reference_from_the_adapter_wins(agent):
    first = _ticket_of(actions.receive(inbound(senders=ANNA, channel="web")))
    actions.set_status(ticket=first, status=Ticket.Status.CLOSED, by=agent)

    result = actions.receive(inbound(senders=ANNA, channel="web", ticket_reference=first.reference, body="Thanks!"))

    assert _ticket_of(result).pk == first.pk


def test_reply_to_a_known_message_threads_into_its_ticket_even_outside_the_window():
    tweet = actions.receive(inbound(senders=(Sender("x", "42"),), channel="x", provider_id="1001"))
    with override_settings(UNISONO_THREAD_WINDOW_HOURS=0):
        result = actions.receive(
            inbound(senders=(Sender("x", "42"),), channel="x", provider_id="1002", thread_hint="1001")
        )

    assert _ticket_of(result).pk == _ticket_of(tweet).pk


def test_reply_to_a_known_message_wins_over_a_more_recent_open_ticket():
    x = (Sender("x", "42"),)
    answered = _ticket_of(actions.receive(inbound(senders=x, channel="x", provider_id="2001", body="My bill is wrong")))
    with override_settings(UNISONO_THREAD_WINDOW_HOURS=0):
        newer = _ticket_of(actions.receive(inbound(senders=x, channel="x", provider_id="2002", body="Also, no signal")))
    assert newer.pk != answered.pk

    # Both are open; the newer one is inside the window. The reply names the older one's tweet.
    result = actions.receive(inbound(senders=x, channel="x", provider_id="2003", thread_hint="2001", body="Still wrong"))

    assert _ticket_of(result).pk == answered.pk
    assert Ticket.objects.get(pk=newer.pk).messages.count() == 1


def test_open_ticket_on_the_same_channel_within_the_window_is_continued():
    first = actions.receive(inbound(senders=ANNA, channel="sms"))

    second = actions.receive(inbound(senders=ANNA, channel="sms", body="And another thing"))

    assert _ticket_of(second).pk == _ticket_of(first).pk
    assert _ticket_of(second).messages.count() == 2


def test_open_ticket_on_another_channel_is_not_continued_implicitly():
    sms = actions.receive(inbound(senders=ANNA, channel="sms"))

    call = actions.receive(inbound(senders=ANNA, channel="phone"))

    assert _ticket_of(call).pk != _ticket_of(sms).pk
    assert _ticket_of(call).customer_id == _ticket_of(sms).customer_id


@override_settings(UNISONO_THREAD_WINDOW_HOURS=24)
def test_a_message_after_the_window_opens_a_new_ticket():
    first = actions.receive(inbound(senders=ANNA, channel="sms"))
    Ticket.objects.filter(pk=_ticket_of(first).pk).update(updated_at=timezone.now() - timedelta(hours=25))

    later = actions.receive(inbound(senders=ANNA, channel="sms"))

    assert _ticket_of(later).pk != _ticket_of(first).pk


def test_a_closed_ticket_is_not_continued_implicitly(agent):
    first = actions.receive(inbound(senders=ANNA, channel="sms"))
    actions.set_status(ticket=_ticket_of(first), status=Ticket.Status.CLOSED, by=agent)

    later = actions.receive(inbound(senders=ANNA, channel="sms"))

    assert _ticket_of(later).pk != _ticket_of(first).pk


ANNA_ON_X = (Sender("x", "1234567890"),)


def test_the_same_customers_conversation_comes_before_her_open_ticket_and_after_a_reply_to(agent):
    # Given Anna's thread C on ticket A (closed), and a newer open ticket B of hers on X
    in_c = actions.receive(inbound(senders=ANNA_ON_X, channel="x", provider_id="100", conversation="100"))
    ticket_a = _ticket_of(in_c)
    actions.set_status(ticket=ticket_a, status=Ticket.Status.CLOSED, by=agent)
    ticket_b = _ticket_of(actions.receive(inbound(senders=ANNA_ON_X, channel="x", provider_id="200", conversation="200")))
    assert ticket_b.pk != ticket_a.pk

    # A message deeper in C goes to A, not to the open B
    deeper = actions.receive(inbound(senders=ANNA_ON_X, channel="x", provider_id="300", thread_hint="299", conversation="100"))
    assert _ticket_of(deeper).pk == ticket_a.pk

    # ... but a reply to a message we know on B goes to B, whatever the conversation says
    reply = actions.receive(inbound(senders=ANNA_ON_X, channel="x", provider_id="301", thread_hint="200", conversation="100"))
    assert _ticket_of(reply).pk == ticket_b.pk


def test_another_customer_in_the_same_conversation_does_not_join_the_ticket():
    annas = _ticket_of(actions.receive(inbound(senders=ANNA_ON_X, channel="x", provider_id="100", conversation="100")))

    bobs = actions.receive(inbound(senders=(Sender("x", "42"),), channel="x", provider_id="101", conversation="100"))

    assert _ticket_of(bobs).pk != annas.pk
