"""Signing in to the inbox: Django's ModelBackend, loading the user's role with the user.

Every inbox request asks "is this a supervisor?" and "is this an agent of
some queue?" (the staff check, visibility, counters, menus). ModelBackend
loads the user in one query and each answer would cost another; here both
come in the same query as ``EXISTS`` annotations, stored where
``inbox.permissions`` keeps them for the request. A long-lived
holder of the user (the websocket consumer) still re-asks through
``permissions.forget_roles``.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef

from inbox.models import Queue
from inbox.permissions import MEMBER_ATTRIBUTE, ROLE_ATTRIBUTE, SUPERVISORS


class InboxBackend(ModelBackend):
    def get_user(self, user_id):
        users = get_user_model()._default_manager.annotate(
            **{
                ROLE_ATTRIBUTE: Exists(Group.objects.filter(name=SUPERVISORS, user=OuterRef("pk"))),
                MEMBER_ATTRIBUTE: Exists(Queue.members.through.objects.filter(user_id=OuterRef("pk"))),
            }
        )
        try:
            user = users.get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
