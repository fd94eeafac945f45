"""Open sockets follow permission changes made anywhere (admin, API, shell).

Membership of queues is edited through the admin's many-to-many widget as well
as through code, so the re-check hangs on ``m2m_changed`` rather than on one
action; it only notifies sockets, it changes no data.
"""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from inbox import realtime
from inbox.models import Queue


@receiver(m2m_changed, sender=Queue.members.through)
def _queue_members_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if reverse:  # user.inbox_queues.add/remove/clear: instance is the user
        if action in ("post_add", "post_remove", "post_clear"):
            realtime.recheck_user_on_commit(instance.pk)
        return
    if action in ("post_add", "post_remove"):
        user_ids = pk_set or set()
    elif action == "pre_clear":
        # On clear Django gives no pk_set: take the members before they go.
        user_ids = set(instance.members.values_list("pk", flat=True))
    else:
        return
    for user_id in user_ids:
        realtime.recheck_user_on_commit(user_id)


@receiver(user_logged_out)
def _signed_out(sender, request, user, **kwargs) -> None:
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        realtime.close_session(session_key)
