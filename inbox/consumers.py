"""``/ws/inbox/``: live frames for signed-in staff (contract in DESIGN.md).

The consumer routes, it doesn't decide: it joins the groups of the queues the
user may see, replays missed events from the Event table on ``resume``, and
forwards broadcasts. Agent writes go through HTTP, never the socket.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from inbox import realtime
from inbox.models import Event
from inbox.permissions import is_staff_member, visible_queue_ids

RESUME_LIMIT = 1000


class InboxConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not await database_sync_to_async(is_staff_member)(user):
            await self.close(code=4403)
            return
        self.queue_ids: set[int] = await database_sync_to_async(visible_queue_ids)(user)
        self.groups_joined: list[str] = []
        for queue_id in sorted(self.queue_ids):
            group = realtime.queue_group(queue_id)
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        if not isinstance(content, dict):
            await self.send_json({"type": "error", "data": {"message": "Frames are JSON objects."}})
            return
        if content.get("type") == "resume":
            after = content.get("after")
            if not isinstance(after, int) or after < 0:
                await self.send_json({"type": "error", "data": {"message": "resume needs an integer 'after'."}})
                return
            frames, complete = await database_sync_to_async(self._missed)(after)
            if not complete:
                await self.send_json({"type": "reload", "data": {"reason": "Too much happened while you were away."}})
                return
            for frame in frames:
                await self.send_json(frame)
            return
        await self.send_json({"type": "error", "data": {"message": f"Unknown frame type {content.get('type')!r}."}})

    def _missed(self, after: int) -> tuple[list[dict], bool]:
        events = list(
            Event.objects.filter(id__gt=after, queue_id__in=self.queue_ids).order_by("id")[: RESUME_LIMIT + 1]
        )
        if len(events) > RESUME_LIMIT:
            return [], False
        return [realtime.frame(event) for event in events], True

    async def inbox_event(self, message: dict) -> None:
        await self.send_json(message["frame"])
