"""/ws/inbox/ against the real ASGI application (auth middleware, origin check, layer)."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application
from inbox import actions
from inbox.models import Event
from tests.factories import QueueFactory, UserFactory, inbound

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://127.0.0.1")


def _session_cookie(user) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())


async def _connect(user=None, origin=ORIGIN):
    headers = [origin] if origin else []
    if user is not None:
        headers.append(await sync_to_async(_session_cookie)(user))
    communicator = WebsocketCommunicator(application, "/ws/inbox/", headers=headers)
    connected, _ = await communicator.connect()
    return communicator, connected


async def test_anonymous_connection_is_refused():
    communicator, connected = await _connect()
    assert not connected
    await communicator.disconnect()


async def test_foreign_origin_is_refused():
    agent = await sync_to_async(UserFactory)(queues=[await sync_to_async(QueueFactory)()])
    communicator, connected = await _connect(agent, origin=(b"origin", b"https://evil.example"))
    assert not connected
    await communicator.disconnect()


async def test_signed_in_user_without_a_queue_is_refused():
    nobody = await sync_to_async(UserFactory)()
    communicator, connected = await _connect(nobody)
    assert not connected
    await communicator.disconnect()


async def test_agent_gets_events_of_their_queue_after_commit():
    general = await sync_to_async(QueueFactory)(slug="general", name="General")
    agent = await sync_to_async(UserFactory)(queues=[general])
    communicator, connected = await _connect(agent)
    assert connected

    message = (await sync_to_async(actions.receive)(inbound(body="Live one"))).message

    created = await communicator.receive_json_from(timeout=3)
    assert created["type"] == "ticket.created"
    assert created["ticket"] == message.ticket_id
    assert (await communicator.receive_json_from(timeout=3))["data"]["body"] == "Live one"
    await communicator.disconnect()


async def test_agent_never_receives_events_of_another_queue():
    await sync_to_async(QueueFactory)(slug="general", name="General")
    billing = await sync_to_async(QueueFactory)(slug="billing", name="Billing")
    billing_agent = await sync_to_async(UserFactory)(queues=[billing])
    communicator, connected = await _connect(billing_agent)
    assert connected

    await sync_to_async(actions.receive)(inbound())  # lands in "general"

    assert await communicator.receive_nothing(timeout=0.5)
    await communicator.send_json_to({"type": "resume", "after": 0})
    assert await communicator.receive_nothing(timeout=0.5)
    await communicator.disconnect()


async def test_resume_replays_exactly_the_missed_events_in_order():
    general = await sync_to_async(QueueFactory)(slug="general", name="General")
    agent = await sync_to_async(UserFactory)(queues=[general])
    await sync_to_async(actions.receive)(inbound(body="seen before"))
    last_seen = await sync_to_async(lambda: Event.objects.latest("id").id)()
    await sync_to_async(actions.receive)(inbound(body="missed 1"))
    await sync_to_async(actions.receive)(inbound(body="missed 2", channel="phone"))
    missed = await sync_to_async(lambda: list(Event.objects.filter(id__gt=last_seen).values_list("id", flat=True)))()

    communicator, connected = await _connect(agent)
    assert connected
    await communicator.send_json_to({"type": "resume", "after": last_seen})

    replayed = [(await communicator.receive_json_from(timeout=3))["id"] for _ in missed]
    assert replayed == missed
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_bad_frames_get_an_error_not_a_crash():
    general = await sync_to_async(QueueFactory)(slug="general", name="General")
    agent = await sync_to_async(UserFactory)(queues=[general])
    communicator, _ = await _connect(agent)

    await communicator.send_json_to({"type": "resume", "after": "yesterday"})
    assert (await communicator.receive_json_from(timeout=3))["type"] == "error"
    await communicator.send_json_to({"type": "dance"})
    assert (await communicator.receive_json_from(timeout=3))["type"] == "error"
    await communicator.disconnect()
