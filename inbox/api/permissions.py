"""Who may use the API: inbox staff only, and per ticket only within the
queues they work (``inbox.permissions`` decides; this module only adapts it
to DRF)."""

from __future__ import annotations

from django.http import Http404
from rest_framework.permissions import BasePermission

from inbox.models import Message, Ticket
from inbox.permissions import can_view_ticket, is_staff_member


class IsInboxStaff(BasePermission):
    message = "Only inbox staff (queue members and supervisors) may use the API."

    def has_permission(self, request, view) -> bool:
        return is_staff_member(request.user)


class CanWorkTicket(BasePermission):
    """Object check on a ticket (or a message's ticket).

    Views already load tickets through the visibility-filtered selectors; this
    is the second lock on the door. It answers 404, not 403, so an agent cannot
    learn that a ticket exists in a queue they do not work."""

    def has_object_permission(self, request, view, obj) -> bool:
        ticket = obj.ticket if isinstance(obj, Message) else obj
        if not isinstance(ticket, Ticket) or not can_view_ticket(request.user, ticket):
            raise Http404
        return True
