"""Polling one X account: mentions and DMs since the stored cursors.

The rules that keep it from losing anything:
- a stream's cursor moves only after its messages are stored (each
  ``receive`` has committed), and only up to the newest message stored before
  the first one that could not be; that one is fetched again next time;
- what a poll fetched is stored oldest first, whatever order X's pages came in;
- a stream interrupted mid-pagination (X's quota for the window is used up)
  stores what it got but keeps its cursor: the pages it did not get lie
  between the cursor and what it got, and the next poll asks for them again;
- a stream that cannot reach its cursor (X no longer serves that far back, or
  more arrived than we page through) stores what it got, moves the cursor to
  the newest, and opens a gap alert that the inbox banner shows;
- a rate limit (a 429, or a page that says no requests are left) is recorded
  with X's reset time and the caller reschedules; nothing here ever sleeps.
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
from channels_app.social.client import Page, XApiError
from channels_app.social.models import XChannelHealth, XCursor
from inbox import actions

logger = logging.getLogger(__name__)

# X serves at most the 800 newest mentions ("Using pagination, up to the most
# recent 800 Tweets can be retrieved"); a since_id older than that is "forced
# to the oldest ID available". So a poll that pages through all 800 has not
# reached its cursor: X moved it, and what lay between is gone.
MENTIONS_KEPT = 800
MENTIONS_MAX_PAGES = MENTIONS_KEPT // client.PAGE_SIZE
# /2/dm_events has no since_id: we page back until we meet the cursor, at most this far.
DM_MAX_PAGES = 10
# When X gives no reset time with a 429, wait one of its 15-minute windows.
DEFAULT_RATE_LIMIT_WAIT = timedelta(minutes=15)

Stream = XCursor.Stream


@dataclass
class PollResult:
    account: str
    outcome: str = "ok"  # ok | rate-limited | unauthorized | unreachable | store-failed | skipped
    stored: int = 0
    rate_limited_until: datetime | None = None
    # True when this poll ran into the limit itself (and the caller should reschedule).
    fresh_rate_limit: bool = False
    # The latest reset time of an endpoint whose quota a page said is used up.
    quota_reset_at: datetime | None = None
    error: str = ""

    def note_quota(self, page: Page) -> None:
        """Remember when X lets us back in if this page used the last request."""
        if page.remaining != 0:
            return
        reset_at = page.reset_at or timezone.now() + DEFAULT_RATE_LIMIT_WAIT
        self.quota_reset_at = max(filter(None, [self.quota_reset_at, reset_at]))


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
        user_id = own_user_id(account)
        _poll_mentions(account, user_id, result)
        if account.has_user_context:
            _poll_dms(account, user_id, result)
    except XApiError as error:
        _record_failure(account, error, result)
        return result
    health.record_success(account.name)
    if result.error:
        result.outcome = "store-failed"
        health.record_error(account.name, detail=result.error)
    if result.quota_reset_at is not None:
        # The poll worked, but the next one would get a 429: wait for the reset.
        health.record_rate_limited(
            account.name, until=result.quota_reset_at,
            detail="X says no requests are left in this 15-minute window; the next poll waits for its reset.",
        )
        result.rate_limited_until, result.fresh_rate_limit = result.quota_reset_at, True
    return result


def own_user_id(account: XAccount) -> str:
    """The account's numeric X user id: from the settings, else remembered
    from an earlier GET /2/users/me, else asked for once now."""
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
    token = None
    pages = 0
    ending = "capped"
    while pages < MENTIONS_MAX_PAGES:
        page = client.mentions_page(account, user_id=own_user_id, since_id=since, pagination_token=token)
        pages += 1
        result.note_quota(page)
        meta = page.body.get("meta") or {}
        if pages == 1 and meta.get("newest_id"):
            newest = int(meta["newest_id"])
        items += inbound.mention_items(page.body, account=account.name, own_user_id=own_user_id)
        token = meta.get("next_token")
        # The first poll takes the newest page only: no backfill of old history.
        if not token or since is None:
            ending = "complete"
            break
        if page.remaining == 0:
            ending = "interrupted"
            break
    if ending == "interrupted":
        logger.info("X mentions of %s: quota used up after %s pages; stored what came, cursor kept", account.name, pages)
        _store(account.name, Stream.MENTIONS, items, None, result, advance=False)
        return
    if since is not None and pages == MENTIONS_MAX_PAGES:
        oldest = min((item.sort_id for item in items), default=None)
        logger.warning("X mentions of %s: paged through all %s X keeps without reaching %s", account.name, MENTIONS_KEPT, since)
        health.open_gap(
            account.name, stream=Stream.MENTIONS, since_id=since, oldest_seen_id=oldest,
            detail=f"More mentions arrived since the last poll than X keeps (the newest {MENTIONS_KEPT}): "
                   f"mentions older than the oldest one fetched may be missing. Check the account's mentions on X.",
        )
    _store(account.name, Stream.MENTIONS, items, newest, result)


def _poll_dms(account: XAccount, own_user_id: str, result: PollResult) -> None:
    since = cursor(account.name, Stream.DMS)
    items: list[inbound.Item] = []
    newest = None
    token = None
    pages = 0
    ending = "capped"
    reached = False
    while pages < DM_MAX_PAGES:
        page = client.dm_events_page(account, pagination_token=token)
        pages += 1
        result.note_quota(page)
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
            ending = "complete"
            break
        if page.remaining == 0:
            ending = "interrupted"
            break
    if ending == "interrupted":
        logger.info("X DMs of %s: quota used up after %s pages; stored what came, cursor kept", account.name, pages)
        _store(account.name, Stream.DMS, items, None, result, advance=False)
        return
    if since is not None and not reached and newest is not None:
        oldest = min((item.sort_id for item in items), default=None)
        if ending == "capped":
            detail = (f"More direct messages arrived since the last poll than Unisono pages through ({DM_MAX_PAGES} pages): "
                      "older ones may be missing. Check the account's DMs on X.")
        else:
            detail = "X no longer lists the last direct message we stored (it keeps 30 days of DM events): some DMs may be missing."
        logger.warning("X DMs of %s: did not reach the cursor %s (%s)", account.name, since, ending)
        health.open_gap(account.name, stream=Stream.DMS, since_id=since, oldest_seen_id=oldest, detail=detail)
    _store(account.name, Stream.DMS, items, newest, result)


def _store(account: str, stream: str, items: list[inbound.Item], newest: int | None, result: PollResult, *,
           advance: bool = True) -> None:
    """Store oldest first; move the cursor over what is stored, no further
    (not at all with ``advance=False``: the poll did not get everything)."""
    # Pages come newest first, each page oldest first after parsing: sort the whole.
    items = sorted({item.sort_id: item for item in items}.values(), key=lambda item: item.sort_id)
    stored_up_to = None
    for item in items:
        try:
            received = actions.receive(item.inbound)
        except Exception as error:  # any failure: keep the cursor before this message
            logger.exception("X %s %s of %s could not be stored", stream, item.inbound.provider_id, account)
            result.error = f"A {stream[:-1] if stream.endswith('s') else stream} from X (id {item.inbound.provider_id}) could not be stored: {error}"[:500]
            if advance and stored_up_to is not None:
                advance_cursor(account, stream, stored_up_to)
            return
        stored_up_to = item.sort_id
        result.stored += int(received.created)
    target = max(filter(None, [newest, stored_up_to]), default=None)
    if advance and target is not None:
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
