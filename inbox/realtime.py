"""The one place that turns committed Event rows into websocket frames.

Frames: ``{"id": <event id>, "type": "...", "ticket": <ticket id>, "data": {...}}``,
sent to the group of the ticket's queue and the group of the ticket itself.
Broadcasts are scheduled with ``transaction.on_commit``: a client never sees a
row that rolls back. A lost broadcast is recovered by resume (events are rows).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from inbox.models import Event

logger = logging.getLogger(__name__)


def queue_group(queue_id: int) -> str:
    return f"queue.{queue_id}"


def ticket_group(ticket_id: int) -> str:
    return f"ticket.{ticket_id}"


def frame(event: Event) -> dict:
    return {"id": event.id, "type": event.type, "ticket": event.ticket_id, "data": event.payload}


def broadcast_on_commit(events: Iterable[Event]) -> None:
    frames = [(event.queue_id, frame(event)) for event in events]
    if frames:
        transaction.on_commit(lambda: _send(frames))


def _send(frames: list[tuple[int, dict]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for queue_id, payload in frames:
        message = {"type": "inbox.event", "frame": payload}
        try:
            async_to_sync(layer.group_send)(queue_group(queue_id), message)
            async_to_sync(layer.group_send)(ticket_group(payload["ticket"]), message)
        except Exception:
            # The event is stored; clients catch up on resume. Never fail the
            # request (already committed) because a broadcast did not go out.
            logger.exception("broadcast of event %s failed", payload["id"])
