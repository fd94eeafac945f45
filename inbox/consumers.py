"""``/ws/inbox/``: live frames for signed-in staff (contract in DESIGN.md).

The consumer routes, it doesn't decide: it joins the groups of the queues the
user may see, checks permission on every ticket subscribe, replays missed
events from the Event table on ``resume`` and forwards broadcasts. Agent writes
(reply, assign, status) go through HTTP, never the socket.

Client frames:
  {"type": "resume", "after": <last event id>}
  {"type": "subscribe", "ticket": <id>} / {"type": "unsubscribe", "ticket": <id>}
  {"type": "presence", "ticket": <id>, "state": "viewing" | "typing" | "left"}
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from inbox import realtime
from inbox.models import Event, Ticket
from inbox.permissions import forget_roles, is_staff_member, is_supervisor, visible_queue_ids

RESUME_LIMIT = 1000
CLOSE_FORBIDDEN = 4403


class InboxConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.user = self.scope.get("user")
        self.queue_ids: set[int] = set()
        self.tickets: set[int] = set()
        if self.user is None or not await database_sync_to_async(is_staff_member)(self.user):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self._join_queues(await database_sync_to_async(visible_queue_ids)(self.user))
        await self.channel_layer.group_add(realtime.user_group(self.user.pk), self.channel_name)
        session = self.scope.get("session")
        self.session_key = getattr(session, "session_key", None)
        if self.session_key:
            await self.channel_layer.group_add(realtime.session_group(self.session_key), self.channel_name)
        # Supervisors also get the audit's unstored finding frames.
        self.supervisor = await database_sync_to_async(is_supervisor)(self.user)
        if self.supervisor:
            await self.channel_layer.group_add(realtime.SUPERVISORS_GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for ticket_id in list(self.tickets):
            await self._leave_ticket(ticket_id)
        await self._join_queues(set())
        if getattr(self, "user", None) is not None and self.user.is_authenticated:
            await self.channel_layer.group_discard(realtime.user_group(self.user.pk), self.channel_name)
        if getattr(self, "session_key", None):
            await self.channel_layer.group_discard(realtime.session_group(self.session_key), self.channel_name)
        if getattr(self, "supervisor", False):
            await self.channel_layer.group_discard(realtime.SUPERVISORS_GROUP, self.channel_name)

    # --- client frames -------------------------------------------------------------

    async def receive_json(self, content, **kwargs) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        handler = {
            "resume": self._resume,
            "subscribe": self._subscribe,
            "unsubscribe": self._unsubscribe,
            "presence": self._presence,
        }.get(kind)
        if handler is None:
            await self._error(f"Unknown frame type {kind!r}.")
            return
        await handler(content)

    async def _resume(self, content: dict) -> None:
        after = content.get("after")
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            await self._error("resume needs an integer 'after' (the last event id you saw, 0 for none).")
            return
        frames, complete = await database_sync_to_async(self._missed)(after)
        if not complete:
            await self.send_json({"type": "reload", "data": {"reason": "Too much happened while you were away."}})
            return
        for frame in frames:
            await self.send_json(frame)
        await self.send_json({"type": "resumed", "data": {"count": len(frames)}})

    def _missed(self, after: int) -> tuple[list[dict], bool]:
        events = list(Event.objects.filter(id__gt=after, queue_id__in=self.queue_ids).order_by("id")[: RESUME_LIMIT + 1])
        if len(events) > RESUME_LIMIT:
            return [], False
        return [realtime.frame(event) for event in events], True

    async def _subscribe(self, content: dict) -> None:
        ticket_id = await self._visible_ticket(content)
        if ticket_id is None:
            return
        self.tickets.add(ticket_id)
        await self.channel_layer.group_add(realtime.ticket_group(ticket_id), self.channel_name)
        present = await sync_to_async(realtime.presence_of)(ticket_id=ticket_id)
        await self.send_json({"type": "subscribed", "ticket": ticket_id, "data": {"presence": present}})

    async def _unsubscribe(self, content: dict) -> None:
        ticket_id = content.get("ticket")
        if ticket_id in self.tickets:
            await self._leave_ticket(ticket_id)

    async def _presence(self, content: dict) -> None:
        ticket_id = content.get("ticket")
        state = content.get("state")
        if ticket_id not in self.tickets:
            await self._error("Subscribe to a ticket before sending presence for it.")
            return
        if state not in realtime.PRESENCE_STATES:
            await self._error(f"presence state must be one of {', '.join(realtime.PRESENCE_STATES)}.")
            return
        await self._announce(ticket_id, state)

    # --- server-side messages (from the channel layer) --------------------------------

    async def dispatch(self, message: dict) -> None:
        # Channels closes stale database connections before every handler,
        # through a worker thread: a thread round trip per frame per socket.
        # Broadcast frames touch no database (every query here goes through
        # database_sync_to_async, which does that cleanup itself), so they
        # skip it: with a queue of agents this is the hot path.
        if message["type"] == "inbox.events":
            await self.inbox_events(message)
        else:
            await super().dispatch(message)

    async def inbox_events(self, message: dict) -> None:
        # Encoded once by realtime.broadcast_on_commit, not once per socket.
        for text in message["texts"]:
            await self.send(text_data=text)

    async def inbox_presence(self, message: dict) -> None:
        if message["frame"]["data"]["user"] != self.user.pk:
            await self.send_json(message["frame"])

    async def inbox_recheck(self, message: dict) -> None:
        """The user's queues changed: leave what they may no longer see."""
        forget_roles(self.user)
        if not await database_sync_to_async(is_staff_member)(self.user):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self._join_queues(await database_sync_to_async(visible_queue_ids)(self.user))
        allowed = await database_sync_to_async(self._tickets_in_queues)(set(self.tickets))
        for ticket_id in self.tickets - allowed:
            await self._leave_ticket(ticket_id)
        await self.send_json({"type": "permissions", "data": {"queues": sorted(self.queue_ids)}})

    async def inbox_supervisor(self, message: dict) -> None:
        # Re-checked per frame: a supervisor demoted since connecting gets nothing.
        forget_roles(self.user)
        if await database_sync_to_async(is_supervisor)(self.user):
            await self.send_json(message["frame"])

    async def inbox_signed_out(self, message: dict) -> None:
        await self.close(code=CLOSE_FORBIDDEN)

    # --- helpers -----------------------------------------------------------------------

    async def _visible_ticket(self, content: dict) -> int | None:
        ticket_id = content.get("ticket")
        if not isinstance(ticket_id, int) or isinstance(ticket_id, bool):
            await self._error("subscribe needs an integer 'ticket'.")
            return None
        # Permission is checked against the database on every subscribe, not
        # against what the socket was allowed when it connected.
        forget_roles(self.user)
        self.queue_ids = await database_sync_to_async(visible_queue_ids)(self.user)
        if ticket_id not in await database_sync_to_async(self._tickets_in_queues)({ticket_id}):
            await self.send_json({"type": "error", "ticket": ticket_id, "data": {"code": "forbidden", "message": "You can't see this ticket."}})
            return None
        return ticket_id

    def _tickets_in_queues(self, ticket_ids: set[int]) -> set[int]:
        return set(Ticket.objects.filter(pk__in=ticket_ids, queue_id__in=self.queue_ids).values_list("pk", flat=True))

    async def _join_queues(self, queue_ids: set[int]) -> None:
        for queue_id in self.queue_ids - queue_ids:
            await self.channel_layer.group_discard(realtime.queue_group(queue_id), self.channel_name)
        for queue_id in queue_ids - self.queue_ids:
            await self.channel_layer.group_add(realtime.queue_group(queue_id), self.channel_name)
        self.queue_ids = queue_ids

    async def _leave_ticket(self, ticket_id: int) -> None:
        await self._announce(ticket_id, "left")
        self.tickets.discard(ticket_id)
        await self.channel_layer.group_discard(realtime.ticket_group(ticket_id), self.channel_name)

    async def _announce(self, ticket_id: int, state: str) -> None:
        name = self.user.get_full_name() or self.user.get_username()
        frame = await sync_to_async(realtime.presence_update)(ticket_id=ticket_id, user_id=self.user.pk, name=name, state=state)
        await realtime.publish_presence(frame)

    async def _error(self, text: str) -> None:
        await self.send_json({"type": "error", "data": {"message": text}})
