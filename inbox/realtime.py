"""The one place that talks to the channel layer.

Stored events: committed Event rows become frames
``{"id": <event id>, "type": "...", "ticket": <ticket id>, "data": {...}}`` sent to
the group of the ticket's queue. Broadcasts are scheduled with
``transaction.on_commit``: a client never sees a row that rolls back, and a lost
broadcast is recovered by resume (events are rows).

A broadcast fans out to every agent of a queue, so its cost is paid per
socket: the frames of one transaction travel as one channel-layer message per
group (``inbox.events``), already encoded as the JSON text each socket sends,
and the consumer forwards the text without decoding or re-encoding it.

Unstored frames: ``presence`` (who is viewing or typing on a ticket) goes to the
ticket's group; presence entries live in the cache (Redis in production, so
every Daphne process sees them) and expire after PRESENCE_TTL seconds without a
heartbeat. Control messages (re-check permissions, sign-out) go to per-user and
per-session groups.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import transaction

from inbox.models import Event

logger = logging.getLogger(__name__)

PRESENCE_TTL = 30  # seconds without a heartbeat before "viewing"/"typing" expires
PRESENCE_STATES = ("viewing", "typing", "left")


def queue_group(queue_id: int) -> str:
    return f"queue.{queue_id}"


def ticket_group(ticket_id: int) -> str:
    return f"ticket.{ticket_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def session_group(session_key: str) -> str:
    return f"session.{session_key}"


def frame(event: Event) -> dict:
    return {"id": event.id, "type": event.type, "ticket": event.ticket_id, "data": event.payload}


def encode_frame(frame: dict) -> str:
    """The text a socket sends for ``frame`` (what ``send_json`` would send)."""
    return json.dumps(frame)


def broadcast_on_commit(events: Iterable[Event]) -> None:
    # One message per group, in event order: an inbound message on a new
    # ticket (ticket.created + message.created) crosses the layer once.
    texts_by_group: dict[str, list[str]] = {}
    for event in events:
        texts_by_group.setdefault(queue_group(event.queue_id), []).append(encode_frame(frame(event)))
    messages = [(group, {"type": "inbox.events", "texts": texts}) for group, texts in texts_by_group.items()]
    if messages:
        transaction.on_commit(lambda: _send(messages))


def recheck_user_on_commit(user_id: int) -> None:
    """The user's queues changed: their open sockets re-check what they may see."""
    transaction.on_commit(lambda: _send([(user_group(user_id), {"type": "inbox.recheck"})]))


def close_session(session_key: str) -> None:
    """The session signed out: its sockets close."""
    _send([(session_group(session_key), {"type": "inbox.signed_out"})])


def _send(messages: list[tuple[str, dict]]) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        _send_now(messages)
        return
    # Called from a thread that runs an event loop (a sync caller inside async
    # code, e.g. a test driving a browser): async_to_sync refuses to nest, so
    # hand the sends to a short-lived thread and wait for it.
    worker = threading.Thread(target=_send_now, args=(messages,))
    worker.start()
    worker.join()


def _send_now(messages: list[tuple[str, dict]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    # One trip to the event loop for all the groups, not one per group.
    async_to_sync(_group_send_all)(layer, messages)


async def _group_send_all(layer, messages: list[tuple[str, dict]]) -> None:
    for group, message in messages:
        try:
            await layer.group_send(group, message)
        except Exception:
            # Already committed: never fail the request because a broadcast did
            # not go out. Clients catch up on resume.
            logger.exception("broadcast to %s failed", group)


# --- presence ------------------------------------------------------------------------


def _presence_key(ticket_id: int) -> str:
    return f"presence.ticket.{ticket_id}"


def presence_update(*, ticket_id: int, user_id: int, name: str, state: str, now: float | None = None) -> dict:
    """Record a presence heartbeat and return the frame to broadcast.

    Read-modify-write on one small cache entry; a lost update costs one
    heartbeat (the next one, within PRESENCE_TTL, repairs it)."""
    now = time.time() if now is None else now
    entries = {uid: entry for uid, entry in cache.get(_presence_key(ticket_id), {}).items() if entry["until"] > now}
    if state == "left":
        entries.pop(user_id, None)
    else:
        entries[user_id] = {"name": name, "state": state, "until": now + PRESENCE_TTL}
    cache.set(_presence_key(ticket_id), entries, PRESENCE_TTL * 2)
    return {"type": "presence", "ticket": ticket_id, "data": {"user": user_id, "name": name, "state": state, "expires_in": PRESENCE_TTL}}


def presence_of(*, ticket_id: int, now: float | None = None) -> list[dict]:
    """Who is on the ticket right now (expired entries dropped)."""
    now = time.time() if now is None else now
    entries = cache.get(_presence_key(ticket_id), {})
    return [
        {"user": uid, "name": entry["name"], "state": entry["state"], "expires_in": round(entry["until"] - now)}
        for uid, entry in sorted(entries.items())
        if entry["until"] > now
    ]


async def publish_presence(frame: dict) -> None:
    await get_channel_layer().group_send(ticket_group(frame["ticket"]), {"type": "inbox.presence", "frame": frame})


# --- supervisors (audit) -------------------------------------------------------------------
# Audit findings belong to no single ticket, so they are not Event rows: their
# frames ("finding.updated", "findings.refreshed") are unstored and go to the
# supervisors' group; a page that missed one reloads its list on reconnect.

SUPERVISORS_GROUP = "supervisors"


def supervisors_on_commit(frame: dict) -> None:
    transaction.on_commit(lambda: _send([(SUPERVISORS_GROUP, {"type": "inbox.supervisor", "frame": frame})]))
