"""One error shape for the whole API: every 4xx body has a ``detail`` string
fit to show the user.

Domain refusals from ``inbox.actions`` become 400 (409 for a stale reply,
carrying the messages the agent has not read); a bad page cursor is 400;
validation errors keep DRF's per-field messages under ``errors`` and also get
a ``detail`` that joins them, so a client can always show ``detail``.
"""

from __future__ import annotations

from typing import Any

from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from inbox.actions import ActionError, StaleReply
from inbox.selectors import BadCursor


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    # StaleReply is an ActionError: test it first. The action raised inside
    # its own atomic block, so nothing it began is stored.
    if isinstance(exc, StaleReply):
        from inbox.api.serializers import MessageSerializer  # serializers import models; keep this module light

        set_rollback()  # under ATOMIC_REQUESTS too, a refused request stores nothing
        return Response(
            {"detail": str(exc), "newer_messages": MessageSerializer(exc.newer, many=True).data},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, (ActionError, BadCursor)):
        set_rollback()
        return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)

    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, ValidationError):
        response.data = {"detail": _summary(exc.detail), "errors": exc.detail}
    return response


def _summary(detail: Any, field: str = "") -> str:
    """Flatten DRF's nested error detail into one readable sentence list."""
    if isinstance(detail, dict):
        return " ".join(
            _summary(value, "" if key == "non_field_errors" else str(key)) for key, value in detail.items()
        )
    if isinstance(detail, list):
        return " ".join(_summary(item, field) for item in detail)
    return f"{field}: {detail}" if field else str(detail)
