"""Outbound delivery: stored first, sent after commit, retried with backoff;
and the sweep that shows the ones nobody could confirm."""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from channels_app.base import DeliveryError, DeliveryUnconfirmed
from channels_app.registry import outbound_for
from inbox import actions
from inbox.models import Message

logger = logging.getLogger(__name__)

RETRY_FIRST_DELAY_SECONDS = 5
RETRY_MAX_DELAY_SECONDS = 600


def delay_for(retries: int) -> int:
    """Seconds before the next attempt, after ``retries`` retries so far:
    5, 10, 20, 40... doubling, never more than 10 minutes (a provider that is
    down for a while is not hammered, a blip costs seconds)."""
    return min(2**retries * RETRY_FIRST_DELAY_SECONDS, RETRY_MAX_DELAY_SECONDS)


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
    except DeliveryUnconfirmed as error:
        # Maybe delivered: neither sent again nor called failed; "unconfirmed" at once (the agent checks).
        actions.message_set_status(message_id=message_id, status=Message.Status.UNCONFIRMED, detail=error.reason)
        logger.warning("delivery of message %s unconfirmed: %s", message_id, error.reason)
        return "unconfirmed"
    except DeliveryError as error:
        retries_left = self.request.retries < settings.UNISONO_DELIVERY_MAX_RETRIES
        if error.permanent or not retries_left:
            actions.message_set_status(
                message_id=message_id, status=Message.Status.FAILED, detail=_reason(error)
            )
            return "failed"
        next_attempt_at = _next_attempt_at(error, retries=self.request.retries)
        actions.message_release_for_retry(message_id=message_id, detail=_reason(error), next_attempt_at=next_attempt_at)
        countdown = max(1, math.ceil((next_attempt_at - timezone.now()).total_seconds()))
        logger.warning("delivery of message %s failed (%s); retrying in %ss", message_id, error.reason, countdown)
        # Our limit, not Celery's default of 3: past that Celery re-raises the
        # error and the message would sit "queued" for good instead of failed.
        raise self.retry(countdown=countdown, exc=error, max_retries=settings.UNISONO_DELIVERY_MAX_RETRIES) from error
    actions.message_set_status(message_id=message_id, status=Message.Status.SENT, provider_id=provider_id)
    return "sent"


# A provider's reset time further away than this is not believed (a bad header).
MAX_RETRY_WAIT = timedelta(hours=1)


def _next_attempt_at(error: DeliveryError, *, retries: int) -> datetime:
    """The provider's reset time (a second after it) when it gave one, else
    the backoff of ``delay_for``."""
    now = timezone.now()
    if error.retry_at is not None:
        return min(max(error.retry_at + timedelta(seconds=1), now + timedelta(seconds=1)), now + MAX_RETRY_WAIT)
    return now + timedelta(seconds=delay_for(retries))


def _reason(error: DeliveryError) -> str:
    return f"{error.code}: {error.reason}" if error.code else error.reason


@shared_task
def sweep_unconfirmed_deliveries() -> int:
    """Periodic (config/schedule.py): replies stuck in "sending" become
    "unconfirmed" for an agent to check and send again."""
    return len(actions.messages_mark_unconfirmed())
