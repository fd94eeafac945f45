"""The Account Activity webhook: CRC and signatures as X's docs define them."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from inbox.models import Message
from tests.channels_app.social.conftest import CONSUMER_SECRET, fixture_bytes, signed_post, x_signature

pytestmark = pytest.mark.django_db

# The worked example of X's "Securing webhooks" guide: this consumer secret
# and crc_token give this response_token (checked with
# `openssl dgst -sha256 -hmac SECRET -binary | base64`).
DOCS_CONSUMER_SECRET = "z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu"
DOCS_CRC_TOKEN = "9b4507b3-9040-4669-9ca3-6b94edb50553"
DOCS_RESPONSE_TOKEN = "sha256=Cytd4Sq+NvEcV3MMrXxWJGJx5A+y/lXzzU2Maartkx8="


def test_the_crc_answer_is_the_one_from_xs_docs(x_settings, client):
    x_settings.X_CONSUMER_SECRET = DOCS_CONSUMER_SECRET

    response = client.get("/channels/x/webhook/", {"crc_token": DOCS_CRC_TOKEN})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"response_token": DOCS_RESPONSE_TOKEN}


def test_a_crc_without_a_token_is_a_clear_400(x_settings, client):
    response = client.get("/channels/x/webhook/")
    assert response.status_code == 400
    assert "crc_token" in response.json()["error"]


def test_a_post_signed_as_x_signs_is_stored(x_settings, client):
    body = fixture_bytes("activity_mention.json")
    # As X computes it: HMAC-SHA256 of the raw body with the consumer secret, base64, "sha256=" prefix
    header = "sha256=" + base64.b64encode(hmac.new(CONSUMER_SECRET.encode(), body, hashlib.sha256).digest()).decode()

    response = signed_post(client, body, header=header)

    assert response.status_code == 200
    message = Message.objects.get(provider_id="1790000000000000102")
    assert message.channel == "x" and message.meta["x_kind"] == "mention"
    assert message.ticket.customer.identities.get().value == "1234567890"


def test_a_dm_event_from_the_webhook_is_stored(x_settings, client):
    assert signed_post(client, fixture_bytes("activity_dm.json")).status_code == 200
    message = Message.objects.get(provider_id="dm-1790000000000000301")
    assert message.meta["x_kind"] == "dm"
    assert message.ticket.customer.name == "Noor El Amrani"


@pytest.mark.parametrize(
    "forgery",
    ["no signature", "signed with another secret", "body changed after signing", "not sha256", "garbage"],
)
def test_a_forged_post_is_403_and_stores_nothing(x_settings, client, forgery):
    body = fixture_bytes("activity_mention.json")
    if forgery == "no signature":
        response = client.post("/channels/x/webhook/", data=body, content_type="application/json")
    elif forgery == "signed with another secret":
        response = signed_post(client, body, secret="someone-elses-secret")
    elif forgery == "body changed after signing":
        genuine = x_signature(CONSUMER_SECRET, body)
        response = signed_post(client, body.replace(b"internet is down", b"internet is fine"), header=genuine)
    elif forgery == "not sha256":
        response = signed_post(client, body, header="sha1=" + base64.b64encode(b"x" * 20).decode())
    else:
        response = signed_post(client, body, header="sha256=not-base64!!")

    assert response.status_code == 403
    assert Message.objects.count() == 0


def test_without_credentials_the_webhook_answers_503(settings, client):
    settings.X_BEARER_TOKEN = settings.X_CONSUMER_KEY = settings.X_CONSUMER_SECRET = ""
    settings.X_ACCESS_TOKEN = settings.X_ACCESS_TOKEN_SECRET = ""
    settings.X_ACCOUNTS = []

    assert client.get("/channels/x/webhook/", {"crc_token": "abc"}).status_code == 503
    response = client.post("/channels/x/webhook/", data=b"{}", content_type="application/json")
    assert response.status_code == 503
    assert "not configured" in response.json()["error"]


def test_a_signed_body_that_is_not_json_is_400(x_settings, client):
    assert signed_post(client, b"not json").status_code == 400


def test_our_own_tweets_in_the_activity_feed_are_not_customer_messages(x_settings, client):
    body = fixture_bytes("activity_mention.json").replace(b'"id_str": "1234567890"', b'"id_str": "2244994945"')
    assert signed_post(client, body).json() == {"stored": 0, "failed": 0}
