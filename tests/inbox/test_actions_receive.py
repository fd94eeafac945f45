"""inbox.actions.receive: idempotent ingest, identities, events after commit."""

from __future__ import annotations

import asyncio
import json
import queue
import threading

import pytest
from channels.layers import get_channel_layer
from django.db import transaction

from channels_app.base import Sender
from inbox import actions, realtime
from inbox.identities import InvalidIdentity
from inbox.models import Customer, Event, Identity, Message, Ticket
from tests.factories import inbound

pytestmark = pytest.mark.django_db


def test_first_message_creates_customer_identity_ticket_message_and_events():
    result = actions.receive(inbound(body="Hello, my router keeps dropping.", name="Anna de Vries"))

    assert result.created
    message = result.message
    assert message.direction == Message.Direction.IN
    assert message.ticket.status == Ticket.Status.NEW
    assert message.ticket.customer.name == "Anna de Vries"
    assert Identity.objects.get().value == "+31612345678"
    assert [event.type for event in Event.objects.order_by("id")] == ["ticket.created", "message.created"]
    assert Event.objects.first().payload["reference"] == message.ticket.reference


def test_same_provider_id_three_times_is_one_message_and_one_set_of_events():
    delivery = inbound(provider_id="SM0001")

    results = [actions.receive(delivery) for _ in range(3)]

    assert [result.created for result in results] == [True, False, False]
    assert {result.message.pk for result in results} == {results[0].message.pk}
    assert Message.objects.count() == 1
    assert Ticket.objects.count() == 1
    assert Event.objects.count() == 2


def test_a_duplicate_the_caller_did_not_see_still_comes_back_as_the_stored_message():
    # Given a delivery already stored (say it arrived between the caller's lookup and its call)
    delivery = inbound(provider_id="SM0002")
    first = actions.receive(delivery)

    # When the caller says it looked and found nothing
    again = actions.receive(delivery, unseen=True)

    # Then the unique constraint still makes it the stored message, nothing added
    assert not again.created
    assert again.message.pk == first.message.pk
    assert Message.objects.count() == 1
    assert Ticket.objects.count() == 1
    assert Event.objects.count() == 2


def test_same_provider_id_on_another_channel_is_another_message():
    actions.receive(inbound(provider_id="123", channel="sms"))
    actions.receive(inbound(provider_id="123", channel="x", senders=(Sender(kind="x", value="42", handle="anna"),)))

    assert Message.objects.count() == 2


def test_phone_numbers_are_normalised_so_one_person_is_one_customer():
    actions.receive(inbound(senders=(Sender(kind="phone", value="06 1234 5678"),)))
    actions.receive(inbound(senders=(Sender(kind="phone", value="+31 6 12345678"),)))

    assert Customer.objects.count() == 1
    assert Identity.objects.get().value == "+31612345678"


def test_emails_are_lowercased():
    actions.receive(inbound(channel="web", senders=(Sender(kind="email", value="Anna@Example.ORG"),)))

    assert Identity.objects.get().value == "anna@example.org"


def test_new_identities_of_one_submission_join_the_known_customer():
    first = actions.receive(inbound(channel="web", senders=(Sender(kind="email", value="anna@example.org"),)))
    actions.receive(
        inbound(
            channel="web",
            senders=(Sender(kind="email", value="anna@example.org"), Sender(kind="phone", value="+31612345678")),
        )
    )

    customer = first.message.ticket.customer
    assert Customer.objects.count() == 1
    assert set(customer.identities.values_list("kind", flat=True)) == {"email", "phone"}


def test_x_handle_is_kept_up_to_date():
    actions.receive(inbound(channel="x", senders=(Sender(kind="x", value="42", handle="old_name"),)))
    actions.receive(inbound(channel="x", senders=(Sender(kind="x", value="42", handle="new_name"),)))

    assert Identity.objects.get(kind="x").handle == "new_name"


def test_invalid_sender_stores_nothing():
    with pytest.raises(InvalidIdentity):
        actions.receive(inbound(senders=(Sender(kind="phone", value="12"),)))

    assert (Customer.objects.count(), Ticket.objects.count(), Message.objects.count(), Event.objects.count()) == (0, 0, 0, 0)


def test_message_without_any_sender_is_refused():
    with pytest.raises(actions.ActionError):
        actions.receive(inbound(senders=()))

    assert Message.objects.count() == 0


@pytest.fixture
def layer_listener():
    """Listen on the real channel layer (in-memory, or Redis pub/sub when
    REDIS_URL is set): ``listen(group)`` subscribes and returns a poll for the
    next message (None after a short wait). One event loop in a thread of its
    own holds the channel: the pub/sub layer keeps subscriptions per loop."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    layer = get_channel_layer()
    subscriptions = []

    async def tick():
        # The in-memory layer hands a message to a waiting receive from the
        # sender's thread without waking this loop: wake it often.
        while True:
            await asyncio.sleep(0.02)

    ticker = asyncio.run_coroutine_threadsafe(tick(), loop)

    def run(coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=10)

    def listen(group: str):
        name = run(layer.new_channel())
        run(layer.group_add(group, name))
        received: queue.Queue = queue.Queue()

        async def collect():
            # One receive for the channel's whole life: a cancelled receive
            # unsubscribes it on the pub/sub layer.
            while True:
                received.put(await layer.receive(name))

        subscriptions.append((group, name, asyncio.run_coroutine_threadsafe(collect(), loop)))

        def next_message():
            try:
                return received.get(timeout=0.5)
            except queue.Empty:
                return None

        return next_message

    yield listen
    for group, name, collector in subscriptions:
        collector.cancel()
        run(layer.group_discard(group, name))
    ticker.cancel()
    if hasattr(layer, "flush"):
        run(layer.flush())
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)


def test_broadcast_waits_for_commit(django_capture_on_commit_callbacks, layer_listener):
    listen = layer_listener(realtime.queue_group(actions.default_queue().pk))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        actions.receive(inbound())

    # Rows are written, nothing has crossed the layer: the broadcast runs at commit.
    assert Event.objects.count() == 2
    assert listen() is None
    for callback in callbacks:
        callback()
    sent = listen()
    assert sent is not None and sent["type"] == "inbox.events"
    assert [json.loads(text)["type"] for text in sent["texts"]] == ["ticket.created", "message.created"]
    assert listen() is None


def test_nothing_is_broadcast_when_the_transaction_rolls_back(django_capture_on_commit_callbacks, layer_listener):
    listen = layer_listener(realtime.queue_group(actions.default_queue().pk))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            actions.receive(inbound())
            raise RuntimeError("the caller fails after receive")
    assert Message.objects.count() == 0
    assert callbacks == []
    assert listen() is None


def test_a_customer_writing_again_reopens_a_solved_ticket(agent):
    first = actions.receive(inbound())
    actions.set_status(ticket=first.message.ticket, status=Ticket.Status.SOLVED, by=agent)

    second = actions.receive(inbound(body="It broke again"))

    ticket = Ticket.objects.get()
    assert second.message.ticket_id == ticket.pk
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.solved_at is None
