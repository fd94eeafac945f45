"""/ws/inbox/ against the real ASGI application (auth middleware, origin check, layer)."""

from __future__ import annotations

import time

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application
from inbox import actions, realtime
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
    assert await communicator.receive_json_from(timeout=3) == {"type": "resumed", "data": {"count": 0}}
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
    assert await communicator.receive_json_from(timeout=3) == {"type": "resumed", "data": {"count": len(missed)}}
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


async def _agent_with_ticket():
    general = await sync_to_async(QueueFactory)(slug="general", name="General")
    agent = await sync_to_async(UserFactory)(queues=[general])
    ticket = (await sync_to_async(actions.receive)(inbound())).message.ticket
    return general, agent, ticket


async def _drain(communicator) -> None:
    while not await communicator.receive_nothing(timeout=0.2):
        await communicator.receive_json_from()


async def test_subscribe_to_a_ticket_of_another_queue_is_refused():
    await sync_to_async(QueueFactory)(slug="general", name="General")
    billing_agent = await sync_to_async(UserFactory)(queues=[await sync_to_async(QueueFactory)(slug="billing")])
    ticket = (await sync_to_async(actions.receive)(inbound())).message.ticket
    communicator, _ = await _connect(billing_agent)

    await communicator.send_json_to({"type": "subscribe", "ticket": ticket.pk})
    refused = await communicator.receive_json_from(timeout=3)
    await communicator.send_json_to({"type": "presence", "ticket": ticket.pk, "state": "viewing"})
    not_subscribed = await communicator.receive_json_from(timeout=3)

    assert refused["type"] == "error" and refused["data"]["code"] == "forbidden"
    assert not_subscribed["type"] == "error"
    await communicator.disconnect()


async def test_presence_reaches_the_other_viewer_and_expires():
    general, sam, ticket = await _agent_with_ticket()
    noor = await sync_to_async(UserFactory)(first_name="Noor", last_name="Bakker", queues=[general])
    sams_socket, _ = await _connect(sam)
    noors_socket, _ = await _connect(noor)
    await _drain(sams_socket)
    for socket in (sams_socket, noors_socket):
        await socket.send_json_to({"type": "subscribe", "ticket": ticket.pk})
        assert (await socket.receive_json_from(timeout=3))["type"] == "subscribed"

    await noors_socket.send_json_to({"type": "presence", "ticket": ticket.pk, "state": "typing"})

    seen = await sams_socket.receive_json_from(timeout=3)
    assert seen["type"] == "presence"
    assert seen["data"] == {"user": noor.pk, "name": "Noor Bakker", "state": "typing", "expires_in": realtime.PRESENCE_TTL}
    assert [entry["user"] for entry in realtime.presence_of(ticket_id=ticket.pk)] == [noor.pk]
    # Without a heartbeat, the entry is gone PRESENCE_TTL seconds later.
    later = time.time() + realtime.PRESENCE_TTL + 1
    assert realtime.presence_of(ticket_id=ticket.pk, now=later) == []

    await noors_socket.disconnect()
    left = await sams_socket.receive_json_from(timeout=3)
    assert (left["type"], left["data"]["state"]) == ("presence", "left")
    await sams_socket.disconnect()


async def test_removing_an_agent_from_the_queue_stops_their_frames():
    general, agent, ticket = await _agent_with_ticket()
    communicator, _ = await _connect(agent)
    await communicator.send_json_to({"type": "subscribe", "ticket": ticket.pk})
    await _drain(communicator)

    await sync_to_async(general.members.remove)(agent)

    closed = await communicator.receive_output(timeout=3)
    assert closed["type"] == "websocket.close"  # no queue left: no longer staff
    await communicator.disconnect()


async def test_moving_an_agent_to_another_queue_rechecks_their_groups():
    general, agent, ticket = await _agent_with_ticket()
    billing = await sync_to_async(QueueFactory)(slug="billing", name="Billing")
    communicator, _ = await _connect(agent)
    await _drain(communicator)

    await sync_to_async(billing.members.add)(agent)
    await sync_to_async(general.members.remove)(agent)
    await communicator.receive_json_from(timeout=3)  # permissions after the add
    after_remove = await communicator.receive_json_from(timeout=3)
    assert after_remove == {"type": "permissions", "data": {"queues": [billing.pk]}}

    await sync_to_async(actions.receive)(inbound(body="general only"))
    assert await communicator.receive_nothing(timeout=0.5)
    await communicator.disconnect()


async def test_signing_out_closes_the_socket():
    _, agent, _ = await _agent_with_ticket()
    client = Client()
    await sync_to_async(client.force_login)(agent)
    cookie = (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())
    communicator = WebsocketCommunicator(application, "/ws/inbox/", headers=[ORIGIN, cookie])
    assert (await communicator.connect())[0]

    await sync_to_async(client.post)("/accounts/logout/")

    assert (await communicator.receive_output(timeout=3))["type"] == "websocket.close"
    await communicator.disconnect()
