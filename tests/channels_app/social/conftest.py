"""X tests: recorded v2 JSON served to tweepy through ``responses``.

Every HTTP call tweepy makes is intercepted; one that no test registered
fails with a ConnectionError (nothing reaches the network).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

import pytest
import responses


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
