"""The only module that talks to tweepy.

tweepy's v2 ``Client`` with ``wait_on_rate_limit=False`` (a worker must never
sleep on X's rate limit: the caller reschedules) and raw ``requests`` responses,
so the ``x-rate-limit-*`` headers are read on success too. Every failure leaves
this module as one ``XApiError`` whose ``kind`` says what happened; callers
decide what that means (retry, reschedule, mark the channel unhealthy).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone as dt_timezone
from urllib.parse import urlsplit, urlunsplit

import requests
import tweepy
from django.conf import settings
from requests.adapters import HTTPAdapter

from channels_app.social.accounts import XAccount

X_HOST = "https://api.twitter.com"
TIMEOUT_SECONDS = 20
# The most X serves per page of mentions and of DM events.
PAGE_SIZE = 100

TWEET_FIELDS = ["id", "text", "author_id", "created_at", "conversation_id", "in_reply_to_user_id", "referenced_tweets"]
USER_FIELDS = ["id", "name", "username"]
DM_EVENT_FIELDS = ["id", "text", "event_type", "created_at", "sender_id", "dm_conversation_id", "participant_ids"]


class XApiError(Exception):
    """``kind``: rate_limited | unauthorized | forbidden | bad_request | not_found | server | network."""

    def __init__(self, kind: str, detail: str, *, status: int | None = None, reset_at: datetime | None = None,
                 codes: tuple = ()) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.status = status
        self.reset_at = reset_at
        self.codes = codes


@dataclass(frozen=True)
class Page:
    body: dict
    remaining: int | None
    reset_at: datetime | None


class _RebaseAdapter(HTTPAdapter):
    """Sends what tweepy addresses to api.twitter.com to another base URL
    (X_API_BASE_URL: a fake X in browser tests, a proxy in odd deployments)."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base = urlsplit(base_url)

    def send(self, request, **kwargs):
        url = urlsplit(request.url)
        request.url = urlunsplit((self.base.scheme, self.base.netloc, self.base.path.rstrip("/") + url.path, url.query, ""))
        return super().send(request, **kwargs)


def _client(account: XAccount) -> tweepy.Client:
    client = tweepy.Client(
        bearer_token=account.bearer_token or None,
        consumer_key=account.consumer_key or None,
        consumer_secret=account.consumer_secret or None,
        access_token=account.access_token or None,
        access_token_secret=account.access_token_secret or None,
        return_type=requests.Response,
        wait_on_rate_limit=False,
    )
    client.session.request = _with_timeout(client.session.request)
    if settings.X_API_BASE_URL:
        client.session.mount(X_HOST, _RebaseAdapter(settings.X_API_BASE_URL))
    return client


def _with_timeout(request):
    def call(*args, **kwargs):
        kwargs.setdefault("timeout", TIMEOUT_SECONDS)
        return request(*args, **kwargs)

    return call


def _reset_at(raw) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(raw), tz=dt_timezone.utc) if raw not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _call(method, *args, **kwargs) -> Page:
    try:
        response = method(*args, **kwargs)
    except tweepy.TooManyRequests as error:
        raise XApiError("rate_limited", _describe(error), status=429, reset_at=_reset_at(error.reset_time)) from error
    except tweepy.Unauthorized as error:
        raise XApiError("unauthorized", _describe(error), status=401, codes=tuple(error.api_codes)) from error
    except tweepy.Forbidden as error:
        raise XApiError("forbidden", _describe(error), status=403, codes=tuple(error.api_codes)) from error
    except tweepy.BadRequest as error:
        raise XApiError("bad_request", _describe(error), status=400, codes=tuple(error.api_codes)) from error
    except tweepy.NotFound as error:
        raise XApiError("not_found", _describe(error), status=404) from error
    except tweepy.TwitterServerError as error:
        raise XApiError("server", _describe(error), status=error.response.status_code) from error
    except tweepy.HTTPException as error:
        raise XApiError("bad_request", _describe(error), status=error.response.status_code) from error
    except (requests.RequestException, tweepy.TweepyException) as error:
        raise XApiError("network", f"X could not be reached: {error.__class__.__name__}") from error
    try:
        body = response.json()
    except ValueError as error:
        raise XApiError("server", "X answered something that is not JSON", status=response.status_code) from error
    remaining = response.headers.get("x-rate-limit-remaining")
    return Page(
        body=body if isinstance(body, dict) else {},
        remaining=int(remaining) if remaining and remaining.isdigit() else None,
        reset_at=_reset_at(response.headers.get("x-rate-limit-reset")),
    )


def _describe(error: tweepy.HTTPException) -> str:
    status = error.response.status_code
    messages = [str(message) for message in error.api_messages] if getattr(error, "api_messages", None) else []
    return f"X answered {status}" + (f": {'; '.join(messages)}"[:400] if messages else "")


# --- reads ---------------------------------------------------------------------------


def me(account: XAccount) -> dict:
    """The account's own user object ({"id", "username", "name"})."""
    page = _call(_client(account).get_me, user_fields=USER_FIELDS, user_auth=True)
    return page.body.get("data") or {}


def mentions_page(account: XAccount, *, user_id: str, since_id: int | None, pagination_token: str | None) -> Page:
    params = {
        "max_results": PAGE_SIZE,
        "tweet_fields": TWEET_FIELDS,
        "expansions": ["author_id"],
        "user_fields": USER_FIELDS,
    }
    if since_id:
        params["since_id"] = str(since_id)
    if pagination_token:
        params["pagination_token"] = pagination_token
    # App-only (bearer) when we have it: its rate limit is separate from the user's.
    return _call(_client(account).get_users_mentions, user_id, user_auth=not account.bearer_token, **params)


def dm_events_page(account: XAccount, *, pagination_token: str | None) -> Page:
    params = {
        "max_results": PAGE_SIZE,
        "event_types": "MessageCreate",
        "dm_event_fields": DM_EVENT_FIELDS,
        "expansions": ["sender_id"],
        "user_fields": USER_FIELDS,
    }
    if pagination_token:
        params["pagination_token"] = pagination_token
    return _call(_client(account).get_direct_message_events, user_auth=True, **params)


def own_tweets_since(account: XAccount, *, user_id: str, since_id: str) -> list[dict]:
    """The account's own newest tweets after ``since_id`` (one page, replies
    included): where to find a reply X says we already posted."""
    page = _call(
        _client(account).get_users_tweets, user_id, user_auth=not account.bearer_token,
        since_id=since_id, max_results=PAGE_SIZE, tweet_fields=TWEET_FIELDS,
    )
    return [tweet for tweet in page.body.get("data") or [] if isinstance(tweet, dict)]


# --- writes --------------------------------------------------------------------------


def create_reply(account: XAccount, *, text: str, in_reply_to_tweet_id: str) -> str:
    """Post ``text`` as a public reply; returns the new tweet's id."""
    page = _call(_client(account).create_tweet, text=text, in_reply_to_tweet_id=in_reply_to_tweet_id, user_auth=True)
    return str((page.body.get("data") or {}).get("id", ""))


def send_dm(account: XAccount, *, participant_id: str, text: str) -> str:
    """Send ``text`` as a direct message; returns the DM event id."""
    page = _call(_client(account).create_direct_message, participant_id=participant_id, text=text, user_auth=True)
    return str((page.body.get("data") or {}).get("dm_event_id", ""))
