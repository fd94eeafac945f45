"""Polling one X account: mentions and DMs since the stored cursors.

The rules that keep it from losing anything:
- a stream's cursor moves only after its messages are stored (each
  ``receive`` has committed), and only up to the newest message stored before
  the first one that could not be; that one is fetched again next time;
- a stream interrupted mid-pagination (rate limit, outage) stores nothing and
  keeps its cursor: the pages it did not get lie between the cursor and what
  it got;
- a rate limit is recorded with X's reset time and the caller reschedules;
  nothing here ever sleeps.
Storing is idempotent (``receive`` dedupes on the provider id), so fetching
a message twice, or by webhook and by poll, stores it once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from channels_app.social import client, health, inbound
from channels_app.social.accounts import XAccount
from channels_app.social.client import XApiError
from channels_app.social.models import XChannelHealth, XCursor
from inbox import actions

logger = logging.getLogger(__name__)

MAX_PAGES = 10
# X serves at most the 800 newest mentions: if that many came back since our
# cursor, it forced since_id forward and some mentions may be gone.
MENTIONS_KEPT = 800
# When X gives no reset time with a 429, wait one of its 15-minute windows.
DEFAULT_RATE_LIMIT_WAIT = timedelta(minutes=15)

Stream = XCursor.Stream


@dataclass
class PollResult:
    account: str
    outcome: str = "ok"  # ok | rate-limited | unauthorized | unreachable | store-failed | skipped
    stored: int = 0
    rate_limited_until: datetime | None = None
    # True when this poll got the 429 itself (and the caller should reschedule).
    fresh_rate_limit: bool = False
    error: str = ""


def cursor(account: str, stream: str) -> int | None:
    return XCursor.objects.filter(account=account, stream=stream).values_list("since_id", flat=True).first()


def advance_cursor(account: str, stream: str, since_id: int) -> None:
    """Forward only: a slow poll finishing after a faster one never moves it back."""
    with transaction.atomic():
        current, _ = XCursor.objects.select_for_update().get_or_create(account=account, stream=stream)
        if current.since_id is None or since_id > current.since_id:
            current.since_id = since_id
            current.updated_at = timezone.now()
            current.save(update_fields=["since_id", "updated_at"])


def poll_account(account: XAccount) -> PollResult:
    result = PollResult(account=account.name)
    until = health.rate_limited_until(account.name)
    if until is not None:
        result.outcome, result.rate_limited_until = "skipped", until
        return result
    try:
        own_user_id = _own_user_id(account)
        _poll_mentions(account, own_user_id, result)
        if account.has_user_context:
            _poll_dms(account, own_user_id, result)
    except XApiError as error:
        _record_failure(account, error, result)
        return result
    health.record_success(account.name)
    if result.error:
        result.outcome = "store-failed"
        health.record_error(account.name, detail=result.error)
    return result


def _own_user_id(account: XAccount) -> str:
    if account.user_id:
        return account.user_id
    known = XChannelHealth.objects.filter(account=account.name).values_list("user_id", flat=True).first()
    if known:
        return known
    if not account.has_user_context:
        raise XApiError("unauthorized", "With a bearer token alone, set X_USER_ID (the account's numeric id).")
    user = client.me(account)
    user_id = str(user.get("id", ""))
    if not user_id.isdigit():
        raise XApiError("server", "X did not say who this account is (GET /2/users/me).")
    health.remember_identity(account.name, user_id=user_id, handle=user.get("username", ""))
    return user_id


def _poll_mentions(account: XAccount, own_user_id: str, result: PollResult) -> None:
    since = cursor(account.name, Stream.MENTIONS)
    items: list[inbound.Item] = []
    newest = None
    fetched = 0
    token = None
    complete = False
    for page_number in range(MAX_PAGES):
        page = client.mentions_page(account, user_id=own_user_id, since_id=since, pagination_token=token)
        meta = page.body.get("meta") or {}
        if page_number == 0 and meta.get("newest_id"):
            newest = int(meta["newest_id"])
        fetched += int(meta.get("result_count", len(page.body.get("data") or [])))
        items += inbound.mention_items(page.body, account=account.name, own_user_id=own_user_id)
        token = meta.get("next_token")
        # The first poll takes the newest page only: no backfill of old history.
        if not token or since is None:
            complete = True
            break
        if page.remaining == 0:
            break  # the rest waits for the reset; the cursor stays
    if not complete:
        logger.warning("X mentions of %s: stopped after %s pages; cursor kept", account.name, MAX_PAGES)
        return
    if since is not None and fetched >= MENTIONS_KEPT:
        oldest = min((item.sort_id for item in items), default=None)
        health.open_gap(
            account.name, stream=Stream.MENTIONS, since_id=since, oldest_seen_id=oldest,
            detail=f"{fetched} mentions arrived since the last poll; X keeps only the newest {MENTIONS_KEPT}, so older ones may be missing.",
        )
    _store(account.name, Stream.MENTIONS, items, newest, result)


def _poll_dms(account: XAccount, own_user_id: str, result: PollResult) -> None:
    since = cursor(account.name, Stream.DMS)
    items: list[inbound.Item] = []
    newest = None
    token = None
    complete = reached = False
    for _page in range(MAX_PAGES):
        page = client.dm_events_page(account, pagination_token=token)
        events = page.body.get("data") or []
        ids = [int(event["id"]) for event in events if str(event.get("id", "")).isdigit()]
        if ids:
            newest = max(newest or 0, *ids)
        items += [
            item for item in inbound.dm_items(page.body, account=account.name, own_user_id=own_user_id)
            if since is None or item.sort_id > since
        ]
        # /2/dm_events has no since_id: page back until we meet the cursor.
        reached = since is not None and any(event_id <= since for event_id in ids)
        token = (page.body.get("meta") or {}).get("next_token")
        if reached or not token or since is None:
            complete = True
            break
        if page.remaining == 0:
            break
    if not complete:
        return
    if since is not None and not reached and newest is not None:
        oldest = min((item.sort_id for item in items), default=None)
        health.open_gap(
            account.name, stream=Stream.DMS, since_id=since, oldest_seen_id=oldest,
            detail="X no longer lists the last direct message we stored (it keeps 30 days of DM events): some DMs may be missing.",
        )
    _store(account.name, Stream.DMS, items, newest, result)


def _store(account: str, stream: str, items: list[inbound.Item], newest: int | None, result: PollResult) -> None:
    """Store oldest first; move the cursor over what is stored, no further."""
    stored_up_to = None
    for item in items:
        try:
            received = actions.receive(item.inbound)
        except Exception as error:  # any failure: keep the cursor before this message
            logger.exception("X %s %s of %s could not be stored", stream, item.inbound.provider_id, account)
            result.error = f"A {stream[:-1] if stream.endswith('s') else stream} from X (id {item.inbound.provider_id}) could not be stored: {error}"[:500]
            if stored_up_to is not None:
                advance_cursor(account, stream, stored_up_to)
            return
        stored_up_to = item.sort_id
        result.stored += int(received.created)
    target = max(filter(None, [newest, stored_up_to]), default=None)
    if target is not None:
        advance_cursor(account, stream, target)


def _record_failure(account: XAccount, error: XApiError, result: PollResult) -> None:
    result.error = error.detail
    if error.kind == "rate_limited":
        until = error.reset_at or timezone.now() + DEFAULT_RATE_LIMIT_WAIT
        health.record_rate_limited(account.name, until=until, detail=error.detail)
        result.outcome, result.rate_limited_until, result.fresh_rate_limit = "rate-limited", until, True
    elif error.kind in ("unauthorized", "forbidden"):
        health.record_unauthorized(account.name, detail=error.detail)
        result.outcome = "unauthorized"
    else:
        health.record_unreachable(account.name, detail=error.detail)
        result.outcome = "unreachable"
    logger.warning("X poll of %s: %s (%s)", account.name, result.outcome, error.detail)
