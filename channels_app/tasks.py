"""Outbound delivery: stored first, sent after commit, retried with backoff."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from channels_app.base import DeliveryError
from channels_app.registry import outbound_for
from inbox import actions
from inbox.models import Message

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True)
def deliver_message(self, message_id: int) -> str:
    """Send one stored outbound message through its channel's adapter.

    Claiming the message (queued -> sending) happens in its own transaction
    with a row lock, so two workers (or a replayed task) never both send it.
    """
    message = actions.message_claim_for_delivery(message_id=message_id)
    if message is None:
        return "skipped"
    try:
        provider_id = outbound_for(message.channel).send(message)
    except DeliveryError as error:
        retries_left = self.request.retries < settings.UNISONO_DELIVERY_MAX_RETRIES
        if error.permanent or not retries_left:
            actions.message_set_status(
                message_id=message_id, status=Message.Status.FAILED, detail=_reason(error)
            )
            return "failed"
        actions.message_release_for_retry(message_id=message_id, detail=_reason(error))
        countdown = min(2 ** self.request.retries * 5, 600)
        logger.warning("delivery of message %s failed (%s); retrying in %ss", message_id, error.reason, countdown)
        raise self.retry(countdown=countdown, exc=error) from error
    actions.message_set_status(message_id=message_id, status=Message.Status.SENT, provider_id=provider_id)
    return "sent"


def _reason(error: DeliveryError) -> str:
    return f"{error.code}: {error.reason}" if error.code else error.reason
