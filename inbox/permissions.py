"""Who may see and work which tickets.

Agents work the tickets of the queues they are members of. Supervisors
(group "supervisors") and admins (superusers) see every queue.
"""

from __future__ import annotations

from django.db.models import QuerySet

from inbox.models import Queue, Ticket

SUPERVISORS = "supervisors"
# Where the answer of is_supervisor() is kept on the user object (inbox.auth
# loads it with the user when a request signs in from its session).
ROLE_ATTRIBUTE = "_unisono_is_supervisor"
MEMBER_ATTRIBUTE = "_unisono_is_queue_member"  # in at least one queue (also loaded by inbox.auth)


def is_supervisor(user) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    # Asked several times per request (list filters, counts, visibility): keep
    # the answer on the user object, which lives for one request. Long-lived
    # holders (the websocket consumer) call forget_roles() before re-checking.
    cached = getattr(user, ROLE_ATTRIBUTE, None)
    if cached is None:
        cached = user.groups.filter(name=SUPERVISORS).exists()
        setattr(user, ROLE_ATTRIBUTE, cached)
    return cached


def forget_roles(user) -> None:
    # delattr, not __dict__: a consumer's scope["user"] is a lazy proxy that
    # forwards attribute access to the real user.
    for name in (ROLE_ATTRIBUTE, MEMBER_ATTRIBUTE, "_unisono_member_queue_ids"):
        try:
            delattr(user, name)
        except AttributeError:
            pass


def member_queue_ids(user) -> frozenset[int]:
    """The queues the user is a member of, asked once per request (see is_supervisor)."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_unisono_member_queue_ids", None)
    if cached is None:
        cached = frozenset(user.inbox_queues.values_list("pk", flat=True))
        user._unisono_member_queue_ids = cached
    return cached


def is_staff_member(user) -> bool:
    """Agents, supervisors and admins: anyone who may use the inbox."""
    if not (user.is_authenticated and user.is_active):
        return False
    if is_supervisor(user):
        return True
    member = getattr(user, MEMBER_ATTRIBUTE, None)
    return bool(member_queue_ids(user)) if member is None else member


def visible_queues(user) -> QuerySet[Queue]:
    if is_supervisor(user):
        return Queue.objects.all()
    if not user.is_authenticated:
        return Queue.objects.none()
    return Queue.objects.filter(members=user)


def visible_queue_ids(user) -> set[int]:
    if is_supervisor(user):
        return set(Queue.objects.values_list("id", flat=True))
    return set(member_queue_ids(user))


def can_work_queue(user, queue_id: int) -> bool:
    return is_supervisor(user) or queue_id in member_queue_ids(user)


def can_view_ticket(user, ticket: Ticket) -> bool:
    return can_work_queue(user, ticket.queue_id)
