"""Celery tasks of the X connector. Beat runs ``poll_x`` (config/schedule.py);
in the embedded default the in-process scheduler runs the same function."""

from __future__ import annotations

import logging
import math

from celery import shared_task
from django.utils import timezone

from channels_app.social import accounts, polling

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def poll_x() -> int:
    """Fan out: one task per configured account, so one slow or rate-limited
    account never holds up another."""
    configured = accounts.configured_accounts()
    for account in configured:
        poll_x_account.delay(account.name)
    return len(configured)


@shared_task(bind=True, acks_late=True, ignore_result=True)
def poll_x_account(self, account_name: str) -> str:
    """Poll one account's mentions and DMs. On a fresh rate limit, schedule
    the next poll for X's reset time instead of sleeping: the worker is free
    at once, and the poll after the reset picks up everything from the cursor."""
    account = accounts.get(account_name)
    if account is None:
        return "not-configured"
    result = polling.poll_account(account)
    if result.fresh_rate_limit and result.rate_limited_until is not None:
        countdown = max(1, math.ceil((result.rate_limited_until - timezone.now()).total_seconds()) + 1)
        if self.app.conf.task_always_eager:
            # In-process (embedded) mode runs a countdown at once; the embedded
            # scheduler's next round after the reset does the catching up.
            logger.info("X account %s rate-limited for %ss; the scheduler polls again after", account_name, countdown)
        else:
            poll_x_account.apply_async(args=[account_name], countdown=countdown)
    return result.outcome
