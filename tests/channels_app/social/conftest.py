"""X tests: recorded v2 JSON served to tweepy through ``responses``.

Every HTTP call tweepy makes is intercepted; one that no test registered
fails with a ConnectionError (nothing reaches the network).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone as dt_timezone
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from celery.signals import before_task_publish


FIXTURES = Path(__file__).parent / "fixtures"
API = "https://api.twitter.com"
OUR_USER_ID = "2244994945"
CONSUMER_SECRET = "test-consumer-secret-for-unisono"
MENTIONS_URL = f"{API}/2/users/{OUR_USER_ID}/mentions"
DM_EVENTS_URL = f"{API}/2/dm_events"
TWEETS_URL = f"{API}/2/tweets"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def x_settings(settings):
    """One X account, configured as the README says."""
    settings.X_BEARER_TOKEN = "AAAA-test-bearer"
    settings.X_CONSUMER_KEY = "test-consumer-key"
    settings.X_CONSUMER_SECRET = CONSUMER_SECRET
    settings.X_ACCESS_TOKEN = "2244994945-test-access-token"
    settings.X_ACCESS_TOKEN_SECRET = "test-access-token-secret"
    settings.X_USER_ID = OUR_USER_ID
    settings.X_ACCOUNTS = []
    settings.X_API_BASE_URL = ""
    return settings


@pytest.fixture
def x_api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def serve_polls(x_api, *, mentions: str = "mentions_empty.json", dms: str = "dm_events_empty.json") -> None:
    x_api.get(MENTIONS_URL, json=fixture(mentions))
    x_api.get(DM_EVENTS_URL, json=fixture(dms))


def calls_to(x_api, url: str, method: str = "GET") -> list:
    return [call for call in x_api.calls if call.request.method == method and call.request.url.split("?")[0] == url]


def x_signature(secret: str, body: bytes) -> str:
    """The x-twitter-webhooks-signature X sends (computed here as X's docs say, not with our code)."""
    return "sha256=" + base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def signed_post(client, payload: bytes, *, secret: str = CONSUMER_SECRET, header: str | None = None):
    return client.post(
        "/channels/x/webhook/",
        data=payload,
        content_type="application/json",
        HTTP_X_TWITTER_WEBHOOKS_SIGNATURE=header if header is not None else x_signature(secret, payload),
    )


def query(call) -> dict:
    return query_of(call.request.url)


@pytest.fixture
def published():
    """Tasks sent to the broker (not run in-process), as a worker would get them."""
    from config.celery import app

    sent: list[dict] = []

    def record(sender=None, headers=None, body=None, **kwargs):
        sent.append({"task": sender, "eta": headers.get("eta"), "args": body[0]})

    before_task_publish.connect(record, weak=False)
    app.conf.task_always_eager = False
    try:
        yield sent
    finally:
        app.conf.task_always_eager = True
        before_task_publish.disconnect(record)
        with app.connection_for_write() as connection:
            connection.default_channel.queue_purge("celery")


# --- v2 pages built the way X shapes them, for tests that need many -----------------

CUSTOMERS = [
    {"id": "1234567890", "name": "Anna de Vries", "username": "anna_dv"},
    {"id": "9876543210", "name": "Piet Jansen", "username": "piet_j"},
    {"id": "7777777777", "name": "Noor El Amrani", "username": "noor_ea"},
]
_EPOCH = datetime(2024, 5, 13, 12, 0, tzinfo=dt_timezone.utc)


def _x_time(offset: int) -> str:
    return (_EPOCH + timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def mentions_body(tweet_ids: list[int], *, next_token: str | None = None) -> dict:
    """A GET /2/users/:id/mentions page: newest first, authors expanded."""
    tweets = []
    for tweet_id in sorted(tweet_ids, reverse=True):
        author = CUSTOMERS[tweet_id % 2]
        tweets.append({
            "id": str(tweet_id),
            "text": f"@UnisonoCare still no signal ({tweet_id % 1000})",
            "author_id": author["id"],
            "created_at": _x_time(tweet_id % 100_000),
            "conversation_id": str(tweet_id),
            "edit_history_tweet_ids": [str(tweet_id)],
        })
    meta = {"newest_id": tweets[0]["id"], "oldest_id": tweets[-1]["id"], "result_count": len(tweets)}
    if next_token:
        meta["next_token"] = next_token
    users = [CUSTOMERS[0], CUSTOMERS[1]]
    return {"data": tweets, "includes": {"users": users}, "meta": meta}


def dm_events_body(event_ids: list[int], *, next_token: str | None = None) -> dict:
    """A GET /2/dm_events page (MessageCreate events, newest first), senders expanded."""
    events = []
    for event_id in sorted(event_ids, reverse=True):
        sender = CUSTOMERS[2]
        events.append({
            "id": str(event_id),
            "event_type": "MessageCreate",
            "text": f"Any news on my refund? ({event_id % 1000})",
            "sender_id": sender["id"],
            "dm_conversation_id": f"{sender['id']}-2244994945",
            "created_at": _x_time(event_id % 100_000),
            "participant_ids": [sender["id"], "2244994945"],
        })
    meta = {"result_count": len(events)}
    if next_token:
        meta["next_token"] = next_token
    return {"data": events, "includes": {"users": [CUSTOMERS[2]]}, "meta": meta}


def serve_pages(x_api, url: str, pages: dict, *, headers: dict | None = None) -> None:
    """Answer ``url`` with ``pages[pagination_token]`` (``None``: the first page);
    a token no page was registered for is a 400, as X answers a bad token."""

    def answer(request):
        token = query_of(request.url).get("pagination_token")
        if token not in pages:
            return 400, {}, json.dumps({"title": "Invalid Request", "detail": f"bad pagination_token {token}", "status": 400})
        return 200, headers or {}, json.dumps(pages[token])

    x_api.add_callback(responses.GET, url, callback=answer, content_type="application/json")


def query_of(url: str) -> dict:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
