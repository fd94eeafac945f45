"""inbox.actions.reply / assign / set_status / add_note."""

from __future__ import annotations

import pytest

from channels_app.base import Sender
from inbox import actions
from inbox.models import Event, Message, Ticket
from tests.factories import UserFactory, inbound

pytestmark = pytest.mark.django_db

ANNA = (Sender(kind="email", value="anna@example.org"), Sender(kind="phone", value="+31612345678"))


@pytest.fixture
def ticket(queue):
    ticket = actions.receive(inbound(channel="web", senders=ANNA)).message.ticket
    Ticket.objects.filter(pk=ticket.pk).update(queue=queue)
    ticket.refresh_from_db()
    return ticket


def test_reply_is_stored_queued_and_delivery_waits_for_commit(ticket, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = actions.reply(ticket=ticket, author=agent, body="Hi Anna, we've refunded the charge.")

    assert message.status == Message.Status.QUEUED
    assert message.channel == "web"  # the channel the customer last wrote on
    # Two callbacks: the broadcast of the events, the delivery task. Neither ran yet.
    assert len(callbacks) == 2
    assert Message.objects.get(pk=message.pk).status == Message.Status.QUEUED


def test_a_reply_on_a_channel_that_cannot_send_is_refused_and_nothing_stored(ticket, agent):
    # No Twilio credentials in the test settings: SMS cannot send.
    with pytest.raises(actions.ActionError, match="isn't set up for sending"):
        actions.reply(ticket=ticket, author=agent, body="Hi Anna", channel="sms")
    with pytest.raises(actions.ActionError, match="log the call"):
        actions.reply(ticket=ticket, author=agent, body="Hi Anna", channel="phone")

    assert ticket.messages.filter(direction="out").count() == 0
    assert not Event.objects.filter(type="message.created", payload__direction="out").exists()


def test_first_reply_opens_the_ticket_and_records_first_response(ticket, agent):
    actions.reply(ticket=ticket, author=agent, body="Hi")

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.first_response_at is not None


def test_empty_reply_is_refused_and_nothing_stored(ticket, agent):
    with pytest.raises(actions.ActionError):
        actions.reply(ticket=ticket, author=agent, body="   ")

    assert ticket.messages.filter(direction="out").count() == 0


def test_unknown_channel_is_refused(ticket, agent):
    with pytest.raises(actions.ActionError, match="Unknown channel"):
        actions.reply(ticket=ticket, author=agent, body="Hi", channel="fax")

    assert ticket.messages.filter(direction="out").count() == 0


def test_stale_reply_is_refused_with_the_newer_messages(ticket, agent):
    seen = ticket.messages.latest("id").pk
    newer = actions.receive(inbound(channel="web", senders=ANNA, body="Also, my invoice is wrong")).message

    with pytest.raises(actions.StaleReply) as refused:
        actions.reply(ticket=ticket, author=agent, body="Hi", last_seen_message_id=seen)

    assert [message.pk for message in refused.value.newer] == [newer.pk]
    assert ticket.messages.filter(direction="out").count() == 0


def test_own_earlier_replies_and_notes_do_not_make_a_reply_stale(ticket, agent):
    seen = ticket.messages.latest("id").pk
    actions.reply(ticket=ticket, author=agent, body="First part")
    actions.add_note(ticket=ticket, author=agent, body="Checked billing")

    message = actions.reply(ticket=ticket, author=agent, body="Second part", last_seen_message_id=seen)

    assert message.pk


def test_assign_writes_an_event_and_refuses_someone_outside_the_queue(ticket, agent, outsider):
    actions.assign(ticket=ticket, assignee=agent, by=agent)
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    assert Event.objects.filter(type="ticket.updated", payload__assignee=agent.pk).exists()

    with pytest.raises(actions.ActionError, match="not in the General queue"):
        actions.assign(ticket=ticket, assignee=outsider, by=agent)
    ticket.refresh_from_db()
    assert ticket.assignee == agent


def test_set_status_validates_and_writes_an_event(ticket, agent):
    with pytest.raises(actions.ActionError, match="Unknown status"):
        actions.set_status(ticket=ticket, status="done", by=agent)

    actions.set_status(ticket=ticket, status=Ticket.Status.SOLVED, by=agent)

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.SOLVED
    assert ticket.solved_at is not None
    assert Event.objects.filter(type="ticket.updated", payload__status="solved").exists()


def test_note_is_never_delivered(ticket, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        note = actions.add_note(ticket=ticket, author=agent, body="Customer is a VIP")

    assert note.direction == Message.Direction.NOTE
    assert len(callbacks) == 1  # the broadcast only
    assert Message.objects.get(pk=note.pk).status == Message.Status.RECEIVED


def test_status_only_moves_forward(ticket, agent):
    message = actions.reply(ticket=ticket, author=agent, body="Hi")
    actions.message_set_status(message_id=message.pk, status=Message.Status.DELIVERED)

    actions.message_set_status(message_id=message.pk, status=Message.Status.SENT)

    assert Message.objects.get(pk=message.pk).status == Message.Status.DELIVERED


def test_a_replayed_delivery_claim_is_a_no_op(ticket, agent):
    message = actions.reply(ticket=ticket, author=agent, body="Hi")

    first = actions.message_claim_for_delivery(message_id=message.pk)
    second = actions.message_claim_for_delivery(message_id=message.pk)

    assert first is not None and second is None
    assert Message.objects.get(pk=message.pk).delivery_attempts == 1


def test_retry_requeues_a_failed_message(ticket, agent):
    message = actions.reply(ticket=ticket, author=agent, body="Hi")
    actions.message_set_status(message_id=message.pk, status=Message.Status.FAILED, detail="boom")

    actions.message_retry(message=message, by=UserFactory(queues=[ticket.queue]))

    assert Message.objects.get(pk=message.pk).status == Message.Status.QUEUED
    with pytest.raises(actions.ActionError):
        actions.message_retry(message=message, by=agent)
