"""Polling mentions and DMs: stored once, cursors that never skip, rate limits
that reschedule instead of sleeping, and a banner when X is unhealthy."""

from __future__ import annotations

import time
from datetime import datetime, timezone as dt_timezone

import pytest
import responses

from channels_app.social.models import XChannelHealth, XCursor
from channels_app.social.tasks import poll_x, poll_x_account
from inbox.models import Customer, Identity, Message, Ticket
from tests.channels_app.social.conftest import (
    DM_EVENTS_URL,
    MENTIONS_URL,
    calls_to,
    fixture,
    fixture_bytes,
    query,
    serve_polls,
    signed_post,
)

pytestmark = pytest.mark.django_db


def cursor(stream: str) -> int | None:
    return XCursor.objects.filter(account="default", stream=stream).values_list("since_id", flat=True).first()


def test_mentions_and_dms_become_messages_on_the_customers_tickets(x_settings, x_api):
    # Given X has two mentions and a DM conversation (one message is ours)
    serve_polls(x_api, mentions="mentions_page.json", dms="dm_events_page.json")

    # When beat runs the poll
    assert poll_x.delay().get(timeout=10) == 1

    # Then each customer message is a message on a ticket, oldest first
    inbound = list(Message.objects.filter(direction=Message.Direction.IN).order_by("created_at"))
    assert [(m.channel, m.provider_id, m.meta["x_kind"]) for m in inbound] == [
        ("x", "1790000000000000102", "mention"),
        ("x", "1790000000000000103", "mention"),
        ("x", "dm-1790000000000000301", "dm"),
    ]
    anna = inbound[0]
    assert anna.body == "@UnisonoCare my internet is down since this morning, again. Third time this month!"
    assert anna.created_at == datetime(2024, 5, 13, 9, 15, 2, tzinfo=dt_timezone.utc)
    assert anna.ticket.customer.name == "Anna de Vries"
    assert anna.ticket.origin_channel == "x"
    identity = Identity.objects.get(kind="x", value="1234567890")
    assert identity.handle == "anna_dv" and identity.customer == anna.ticket.customer
    # Our own DM ("Thanks for reaching out!") is not a customer message
    assert not Message.objects.filter(body__startswith="Thanks for reaching out").exists()
    assert Ticket.objects.count() == 3 and Customer.objects.count() == 3
    # And the cursors moved to the newest ids seen; the channel is healthy
    assert cursor("mentions") == 1790000000000000103
    assert cursor("dms") == 1790000000000000301
    health = XChannelHealth.objects.get(account="default")
    assert health.state == "ok" and health.last_success_at is not None
    # The mentions were asked with the fields we parse
    asked = query(calls_to(x_api, MENTIONS_URL)[0])
    assert "created_at" in asked["tweet.fields"] and asked["expansions"] == "author_id"


def test_a_repeated_poll_stores_nothing_twice_and_asks_since_the_cursor(x_settings, x_api):
    serve_polls(x_api, mentions="mentions_page.json", dms="dm_events_page.json")
    poll_x_account.delay("default")
    before = Message.objects.count()

    # When X serves the same page again (and the same DMs)
    poll_x_account.delay("default")

    # Then nothing new is stored, and the second poll asked only for newer mentions
    assert Message.objects.count() == before == 3
    first, second = calls_to(x_api, MENTIONS_URL)
    assert "since_id" not in query(first)
    assert query(second)["since_id"] == "1790000000000000103"


def test_webhook_and_poll_of_the_same_events_store_each_once(x_settings, x_api, client):
    # Given the webhook delivered a mention and a DM
    assert signed_post(client, fixture_bytes("activity_mention.json")).json() == {"stored": 1, "failed": 0}
    assert signed_post(client, fixture_bytes("activity_dm.json")).json() == {"stored": 1, "failed": 0}
    webhook_mention = Message.objects.get(provider_id="1790000000000000102")
    assert webhook_mention.meta["handle"] == "anna_dv"

    # When the poll brings the same mention and DM (and one more mention)
    serve_polls(x_api, mentions="mentions_page.json", dms="dm_events_page.json")
    poll_x_account.delay("default")

    # Then only the one the webhook hadn't delivered is new
    assert Message.objects.filter(provider_id="1790000000000000102").count() == 1
    assert Message.objects.filter(provider_id="dm-1790000000000000301").count() == 1
    assert Message.objects.filter(direction=Message.Direction.IN).count() == 3
    # A webhook delivery repeated by X is stored once too
    assert signed_post(client, fixture_bytes("activity_mention.json")).json() == {"stored": 0, "failed": 0}


def test_the_cursor_does_not_advance_past_a_message_that_could_not_be_stored(x_settings, x_api):
    # Given a first poll stored two mentions
    serve_polls(x_api, mentions="mentions_page.json")
    poll_x_account.delay("default")
    assert cursor("mentions") == 1790000000000000103

    # When the next page holds a mention that cannot be stored (the older
    # one: its sender id is not an X user id) and a good newer one
    page = fixture("mentions_newer_page.json")
    page["data"][1]["author_id"] = "not-a-user-id"
    x_api.replace(responses.GET, MENTIONS_URL, json=page)
    assert poll_x_account.delay("default").get(timeout=10) == "store-failed"

    # Then the cursor stayed where it was, so the next poll asks for it again
    assert cursor("mentions") == 1790000000000000103
    assert not Message.objects.filter(provider_id="1790000000000000204").exists()
    health = XChannelHealth.objects.get(account="default")
    assert "1790000000000000204" in health.last_error and "could not be stored" in health.last_error
    poll_x_account.delay("default")
    assert query(calls_to(x_api, MENTIONS_URL)[-1])["since_id"] == "1790000000000000103"

    # And once X serves it intact, it is stored and the cursor moves on
    x_api.replace(responses.GET, MENTIONS_URL, json=fixture("mentions_newer_page.json"))
    poll_x_account.delay("default")
    assert Message.objects.filter(provider_id="1790000000000000204").exists()
    assert cursor("mentions") == 1790000000000000205


def assert_waits_for_the_reset(reset: int, published: list, x_api, client, agent) -> None:
    """Rate-limited until X's reset time: recorded, in the banner, the next poll
    published for then, and a poll before it does not call X."""
    health = XChannelHealth.objects.get(account="default")
    assert health.state == "rate_limited"
    assert health.rate_limited_until == datetime.fromtimestamp(reset, tz=dt_timezone.utc)
    assert [(task["task"], task["args"]) for task in published] == [("channels_app.social.tasks.poll_x_account", ["default"])]
    eta = datetime.fromisoformat(published[0]["eta"])
    assert datetime.fromtimestamp(reset, tz=dt_timezone.utc) <= eta <= datetime.fromtimestamp(reset + 3, tz=dt_timezone.utc)
    client.force_login(agent)
    assert "Rate-limited by X until" in client.get("/channels/x/health/").content.decode()
    calls_before = len(x_api.calls)
    assert poll_x_account.apply(args=["default"]).get(timeout=10) == "skipped"
    assert len(x_api.calls) == calls_before


def test_a_429_reschedules_for_the_reset_without_blocking_and_loses_nothing(x_settings, x_api, published, client, agent):
    # Given X answers the mentions poll with 429 and a reset two seconds away
    reset = int(time.time()) + 2
    x_api.get(MENTIONS_URL, status=429, json=fixture("error_429.json"),
              headers={"x-rate-limit-limit": "180", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)})

    # When a worker runs the poll
    started = time.monotonic()
    outcome = poll_x_account.apply(args=["default"]).get(timeout=10)
    elapsed = time.monotonic() - started

    # Then it returned at once (no sleeping until the reset) ...
    assert outcome == "rate-limited"
    assert elapsed < 1.5
    # ... recorded when X lets us back in, published the next poll for then,
    # shows it in the inbox, and a poll before the reset doesn't call X at all
    assert_waits_for_the_reset(reset, published, x_api, client, agent)

    # When the reset has passed, the rescheduled poll picks up everything
    x_api.replace(responses.GET, MENTIONS_URL, json=fixture("mentions_page.json"))
    x_api.get(DM_EVENTS_URL, json=fixture("dm_events_page.json"))
    time.sleep(max(0.0, reset - time.time()) + 0.1)
    assert poll_x_account.apply(args=["default"]).get(timeout=10) == "ok"
    assert set(Message.objects.values_list("provider_id", flat=True)) == {
        "1790000000000000102", "1790000000000000103", "dm-1790000000000000301",
    }
    assert XChannelHealth.objects.get(account="default").state == "ok"
    assert client.get("/channels/x/health/").content.decode().strip() == ""


def test_a_page_that_says_no_requests_are_left_stores_it_and_reschedules_for_the_reset(x_settings, x_api, published, client, agent):
    # Given X answers the mentions poll (200) but says it was the window's last request
    reset = int(time.time()) + 600
    x_api.get(MENTIONS_URL, json=fixture("mentions_page.json"),
              headers={"x-rate-limit-limit": "180", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)})
    x_api.get(DM_EVENTS_URL, json=fixture("dm_events_page.json"))

    # When a worker runs the poll
    assert poll_x_account.apply(args=["default"]).get(timeout=10) == "ok"

    # Then what came is stored and the cursors moved (the poll worked) ...
    assert Message.objects.filter(direction=Message.Direction.IN).count() == 3
    assert cursor("mentions") == 1790000000000000103
    assert XChannelHealth.objects.get(account="default").last_success_at is not None
    # ... and the account waits for X's reset instead of running into a 429
    assert_waits_for_the_reset(reset, published, x_api, client, agent)


def test_a_401_marks_the_channel_unhealthy_and_the_banner_shows_until_a_poll_works(x_settings, x_api, client, agent):
    # Given a successful poll earlier
    serve_polls(x_api)
    poll_x_account.delay("default")
    last_success = XChannelHealth.objects.get(account="default").last_success_at

    # When X refuses our credentials
    x_api.replace(responses.GET, MENTIONS_URL, status=401, json=fixture("error_401.json"))
    assert poll_x_account.delay("default").get(timeout=10) == "unauthorized"

    # Then the channel is unhealthy, and every inbox page carries the banner
    health = XChannelHealth.objects.get(account="default")
    assert health.state == "unauthorized" and "401" in health.last_error
    client.force_login(agent)
    inbox = client.get("/inbox/").content.decode()
    assert 'hx-get="/channels/x/health/"' in inbox and 'hx-trigger="load, every 30s"' in inbox
    banner = client.get("/channels/x/health/").content.decode()
    assert "X: Unauthorized (check the X credentials)" in banner
    assert "Last successful poll:" in banner and f"{last_success.astimezone().year}" in banner
    assert "X answered 401" in banner

    # And it clears by itself with the next poll that works
    x_api.replace(responses.GET, MENTIONS_URL, json=fixture("mentions_empty.json"))
    assert poll_x_account.delay("default").get(timeout=10) == "ok"
    assert client.get("/channels/x/health/").content.decode().strip() == ""


def test_the_banner_is_for_staff_only(x_settings, client, django_user_model):
    assert client.get("/channels/x/health/").status_code == 403
    client.force_login(django_user_model.objects.create_user("outside", password="pw-for-tests-1"))
    assert client.get("/channels/x/health/").status_code == 403


def test_without_x_credentials_polling_does_nothing(settings, x_api):
    for name in ("X_BEARER_TOKEN", "X_CONSUMER_KEY", "X_CONSUMER_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET"):
        setattr(settings, name, "")
    settings.X_ACCOUNTS = []
    assert poll_x.delay().get(timeout=10) == 0
    assert poll_x_account.delay("default").get(timeout=10) == "not-configured"
    assert len(x_api.calls) == 0


def test_a_second_account_from_x_accounts_is_polled_with_its_own_cursor(x_settings, x_api):
    x_settings.X_ACCOUNTS = [{
        "name": "billing", "user_id": "3333333333", "bearer_token": "AAAA-billing",
        "consumer_key": "k", "consumer_secret": "s", "access_token": "t", "access_token_secret": "ts",
    }]
    serve_polls(x_api)
    x_api.get("https://api.twitter.com/2/users/3333333333/mentions", json=fixture("mentions_page.json"))

    assert poll_x.delay().get(timeout=10) == 2

    assert XCursor.objects.get(account="billing", stream="mentions").since_id == 1790000000000000103
    assert Message.objects.filter(meta__account="billing").count() == 2


ANNA = {"id": "1234567890", "name": "Anna de Vries", "username": "anna_devries"}
SANNE = {"id": "5555555555", "name": "Sanne Bakker", "username": "sanne_b"}


def in_thread(tweet_id: str, author: dict, replied_to: str, replied_to_user: str, text: str) -> dict:
    """A GET /2/users/:id/mentions page with one reply in Anna's conversation (started by her tweet ...102)."""
    return {
        "data": [{
            "id": tweet_id,
            "text": text,
            "author_id": author["id"],
            "created_at": "2024-05-13T11:30:00.000Z",
            "conversation_id": "1790000000000000102",
            "in_reply_to_user_id": replied_to_user,
            "referenced_tweets": [{"type": "replied_to", "id": replied_to}],
            "edit_history_tweet_ids": [tweet_id],
        }],
        "includes": {"users": [author]},
        "meta": {"newest_id": tweet_id, "oldest_id": tweet_id, "result_count": 1},
    }


@pytest.fixture
def answered_thread(x_settings, x_api, agent) -> Ticket:
    """Anna's mention ...102 (starting conversation ...102) on a ticket we
    answered with tweet ...150, closed and long quiet (so the open-ticket window can't apply)."""
    from inbox import actions

    serve_polls(x_api, mentions="mentions_page.json")
    poll_x_account.delay("default")
    ticket = Message.objects.get(provider_id="1790000000000000102").ticket
    Message.objects.create(ticket=ticket, direction="out", channel="x", body="Fixed!", provider_id="1790000000000000150",
                           status="sent")
    actions.set_status(ticket=ticket, status="closed", by=agent)
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=datetime(2024, 1, 1, tzinfo=dt_timezone.utc))
    return ticket


@pytest.mark.parametrize(
    ("page", "tweet_id", "replied_to"),
    [
        (lambda: fixture("mentions_newer_page.json"), "1790000000000000205", "1790000000000000150"),
        (lambda: in_thread("1790000000000000210", ANNA, "1790000000000000207", "4444444444",
                           "@karel @UnisonoCare no, still down here"), "1790000000000000210", "1790000000000000207"),
    ],
    ids=["answering-our-reply", "answering-a-friend-deeper-in-her-thread"],
)
def test_annas_next_mention_in_the_thread_we_answered_threads_into_that_ticket(answered_thread, x_api, page, tweet_id,
                                                                               replied_to):
    # When Anna answers our reply ...150, or a friend's tweet ...207 (never seen
    # by us) in her conversation ...102, and changed her handle meanwhile
    x_api.replace(responses.GET, MENTIONS_URL, json=page())
    poll_x_account.delay("default")

    # Then her answer is on the same ticket (by the reply-to, else by the conversation), reopened
    answer = Message.objects.get(provider_id=tweet_id)
    assert answer.ticket_id == answered_thread.pk
    assert (answer.in_reply_to, answer.conversation) == (replied_to, "1790000000000000102")
    answered_thread.refresh_from_db()
    assert answered_thread.status == "open"
    assert Identity.objects.get(kind="x", value="1234567890").handle == "anna_devries"


def test_staff_can_ask_for_a_poll_now(x_settings, x_api, client, agent):
    serve_polls(x_api, mentions="mentions_page.json")
    assert client.post("/channels/x/poll/").status_code == 403  # anonymous
    client.force_login(agent)

    response = client.post("/channels/x/poll/")

    assert response.status_code == 202 and response.json() == {"polling": ["default"]}
    assert Message.objects.filter(channel="x").count() == 2


@pytest.mark.parametrize("replied_to", ["1790000000000000150", "1790000000000000102"], ids=["to-our-reply", "to-her-tweet"])
def test_another_customer_joining_that_thread_gets_a_ticket_of_their_own(answered_thread, x_api, replied_to):
    # When Sanne joins Anna's public thread (answering our reply, or Anna)
    x_api.replace(responses.GET, MENTIONS_URL, json=in_thread(
        "1790000000000000211", SANNE, replied_to, "2244994945", "@UnisonoCare same problem in Amsterdam"))
    poll_x_account.delay("default")

    # Then she has a new ticket of her own; Anna's is untouched
    message = Message.objects.get(provider_id="1790000000000000211")
    assert message.ticket_id != answered_thread.pk
    assert message.ticket.customer.name == "Sanne Bakker"
    assert message.ticket.messages.count() == 1
    answered_thread.refresh_from_db()
    assert answered_thread.status == "closed"
