"""The Account Activity webhook: CRC and signatures as X's docs define them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging

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


BILLING_SECRET = "billing-app-consumer-secret"
BILLING_USER_ID = "3333333333"


def billing_app(x_settings, *, consumer_secret: str = BILLING_SECRET) -> None:
    """A second account; by default on its own X app (its own consumer secret)."""
    x_settings.X_ACCOUNTS = [{
        "name": "billing", "user_id": BILLING_USER_ID, "consumer_key": "billing-key", "consumer_secret": consumer_secret,
        "access_token": f"{BILLING_USER_ID}-token", "access_token_secret": "billing-token-secret",
    }]


def for_user(fixture_name: str, user_id: str) -> bytes:
    return fixture_bytes(fixture_name).replace(b'"for_user_id": "2244994945"', f'"for_user_id": "{user_id}"'.encode())


def crc_answer(secret: str, token: str) -> str:
    return x_signature(secret, token.encode())


def test_with_two_apps_each_apps_url_answers_the_crc_with_its_own_secret(x_settings, client):
    billing_app(x_settings)

    for name, secret in (("billing", BILLING_SECRET), ("default", CONSUMER_SECRET)):
        response = client.get(f"/channels/x/webhook/{name}/", {"crc_token": DOCS_CRC_TOKEN})
        assert response.status_code == 200
        assert response.json() == {"response_token": crc_answer(secret, DOCS_CRC_TOKEN)}

    # The shared URL cannot know which app asks: it says so instead of answering for the first
    response = client.get("/channels/x/webhook/", {"crc_token": DOCS_CRC_TOKEN})
    assert response.status_code == 409
    assert "/channels/x/webhook/<account>/" in response.json()["error"]
    assert client.get("/channels/x/webhook/nobody/", {"crc_token": DOCS_CRC_TOKEN}).status_code == 404


def test_accounts_of_one_app_share_the_plain_url(x_settings, client):
    billing_app(x_settings, consumer_secret=CONSUMER_SECRET)

    response = client.get("/channels/x/webhook/", {"crc_token": DOCS_CRC_TOKEN})

    assert response.json() == {"response_token": crc_answer(CONSUMER_SECRET, DOCS_CRC_TOKEN)}


@pytest.mark.parametrize("url", ["/channels/x/webhook/", "/channels/x/webhook/billing/"])
def test_a_post_is_stored_under_the_account_its_for_user_id_names(x_settings, client, url):
    billing_app(x_settings)
    body = for_user("activity_mention.json", BILLING_USER_ID)

    response = client.post(url, data=body, content_type="application/json",
                           HTTP_X_TWITTER_WEBHOOKS_SIGNATURE=x_signature(BILLING_SECRET, body))

    assert response.json() == {"stored": 1, "failed": 0}
    assert Message.objects.get(provider_id="1790000000000000102").meta["account"] == "billing"


def test_a_post_signed_by_one_app_cannot_pass_at_another_apps_url(x_settings, client):
    billing_app(x_settings)
    body = for_user("activity_mention.json", BILLING_USER_ID)

    response = client.post("/channels/x/webhook/default/", data=body, content_type="application/json",
                           HTTP_X_TWITTER_WEBHOOKS_SIGNATURE=x_signature(BILLING_SECRET, body))

    assert response.status_code == 403
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    ("for_user_id", "secret"),
    [
        ("4444444444", CONSUMER_SECRET),  # nobody we answer for
        (BILLING_USER_ID, CONSUMER_SECRET),  # ours, but on the other app: not this app's to deliver
        ("", CONSUMER_SECRET),
    ],
    ids=["unknown-user", "user-of-another-app", "no-for_user_id"],
)
def test_a_delivery_for_no_account_of_the_signing_app_is_ignored_not_stored_elsewhere(
    x_settings, client, caplog, for_user_id, secret
):
    billing_app(x_settings)
    body = for_user("activity_dm.json", for_user_id)

    with caplog.at_level(logging.WARNING, logger="channels_app.social.views"):
        response = signed_post(client, body, secret=secret)

    assert response.status_code == 200
    assert response.json()["stored"] == 0 and "is not one of ours" in response.json()["ignored"]
    assert not Message.objects.exists()
    assert any("matches no configured account" in record.getMessage() for record in caplog.records)


def test_an_account_whose_user_id_a_poll_resolved_gets_its_deliveries(x_settings, client):
    # Given the account's user id is not in the settings, but a poll remembered it (GET /2/users/me)
    x_settings.X_USER_ID = ""
    from channels_app.social import health

    health.remember_identity("default", user_id="2244994945", handle="UnisonoCare")

    assert signed_post(client, fixture_bytes("activity_mention.json")).json() == {"stored": 1, "failed": 0}
    assert Message.objects.get().meta["account"] == "default"
