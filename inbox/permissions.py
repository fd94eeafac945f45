"""Who may see and work which tickets.

Agents work the tickets of the queues they are members of. Supervisors
(group "supervisors") and admins (superusers) see every queue.
"""

from __future__ import annotations

from django.db.models import QuerySet

from inbox.models import Queue, Ticket

SUPERVISORS = "supervisors"


def is_supervisor(user) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    # Asked several times per request (list filters, counts, visibility): keep
    # the answer on the user object, which lives for one request. Long-lived
    # holders (the websocket consumer) call forget_roles() before re-checking.
    cached = getattr(user, "_unisono_is_supervisor", None)
    if cached is None:
        cached = user.groups.filter(name=SUPERVISORS).exists()
        user._unisono_is_supervisor = cached
    return cached


def forget_roles(user) -> None:
    user.__dict__.pop("_unisono_is_supervisor", None)


def is_staff_member(user) -> bool:
    """Agents, supervisors and admins: anyone who may use the inbox."""
    return bool(user.is_authenticated and user.is_active and (is_supervisor(user) or user.inbox_queues.exists()))


def visible_queues(user) -> QuerySet[Queue]:
    if is_supervisor(user):
        return Queue.objects.all()
    if not user.is_authenticated:
        return Queue.objects.none()
    return Queue.objects.filter(members=user)


def visible_queue_ids(user) -> set[int]:
    return set(visible_queues(user).values_list("id", flat=True))


def can_work_queue(user, queue_id: int) -> bool:
    return is_supervisor(user) or (user.is_authenticated and user.inbox_queues.filter(pk=queue_id).exists())


def can_view_ticket(user, ticket: Ticket) -> bool:
    return can_work_queue(user, ticket.queue_id)
