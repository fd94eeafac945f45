"""Replies on X: counted as X counts, refused over 280, posted exactly once."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone as dt_timezone

import pytest
import responses
from rest_framework.test import APIClient

from channels_app.social.models import XChannelHealth
from channels_app.social.tasks import poll_x_account
from channels_app.tasks import deliver_message
from inbox import actions
from inbox.models import Message, Ticket
from tests.channels_app.social.conftest import TWEETS_URL, calls_to, fixture, query, serve_polls

pytestmark = pytest.mark.django_db

MENTION_ID = "1790000000000000102"
DM_URL = "https://api.twitter.com/2/dm_conversations/with/7777777777/messages"
TOO_LONG = "Hi Anna, " + "we are so sorry about the outage. " * 9  # 314 as X counts


@pytest.fixture
def mention_ticket(x_settings, x_api, agent) -> Ticket:
    """Anna's public mention, polled from X, on a ticket in the agent's queue."""
    serve_polls(x_api, mentions="mentions_page.json", dms="dm_events_page.json")
    poll_x_account.delay("default")
    return Message.objects.get(provider_id=MENTION_ID).ticket


@pytest.fixture
def dm_ticket(mention_ticket) -> Ticket:
    return Message.objects.get(provider_id="dm-1790000000000000301").ticket


def reply(ticket, agent, body, capture, **kwargs) -> Message:
    with capture(execute=True):
        message = actions.reply(ticket=ticket, author=agent, body=body, channel="x", **kwargs)
    message.refresh_from_db()
    return message


def test_a_public_reply_over_280_is_refused_on_the_page_and_nothing_is_stored(mention_ticket, agent, client, x_api):
    client.force_login(agent)
    assert len(TOO_LONG.strip()) > 280

    response = client.post(f"/inbox/t/{mention_ticket.pk}/reply/", {"body": TOO_LONG, "channel": "x"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "as X counts them" in page and "X allows 280" in page and "or send it as a DM" in page
    assert "Hi Anna, we are so sorry" in page  # the draft is kept
    assert not mention_ticket.messages.filter(direction=Message.Direction.OUT).exists()
    assert calls_to(x_api, TWEETS_URL, "POST") == []


def test_a_public_reply_over_280_is_refused_by_the_api(mention_ticket, agent, x_api):
    api = APIClient()
    api.force_login(agent)

    response = api.post(f"/api/tickets/{mention_ticket.pk}/reply/", {"body": TOO_LONG, "channel": "x"}, format="json")

    assert response.status_code == 400
    assert "X allows 280" in response.json()["detail"]
    assert not mention_ticket.messages.filter(direction=Message.Direction.OUT).exists()


def test_the_same_long_text_may_go_as_a_dm(mention_ticket, agent, x_api, django_capture_on_commit_callbacks):
    x_api.post(DM_URL.replace("7777777777", "1234567890"), json=fixture("create_dm.json"), status=201)

    message = reply(mention_ticket, agent, TOO_LONG, django_capture_on_commit_callbacks, meta={"x_mode": "dm"})

    assert message.status == Message.Status.SENT
    assert message.meta["x_mode"] == "dm"
    assert message.provider_id == "dm-1790000000000000350"


def test_links_count_23_so_a_reply_longer_than_280_letters_can_still_fit(mention_ticket, agent, x_api, django_capture_on_commit_callbacks):
    x_api.post(TWEETS_URL, json=fixture("create_tweet.json"), status=201)
    body = "Hi Anna, sorry! Details: https://status.example.com/incidents/" + "a" * 260

    message = reply(mention_ticket, agent, body, django_capture_on_commit_callbacks)

    assert len(body) > 280
    assert message.status == Message.Status.SENT


def test_a_public_reply_answers_the_mention_once_even_when_the_task_is_retried(
    mention_ticket, agent, x_api, django_capture_on_commit_callbacks
):
    # Given X fails once with a 503, then accepts
    x_api.post(TWEETS_URL, status=503, json=fixture("error_503.json"))
    x_api.post(TWEETS_URL, status=201, json=fixture("create_tweet.json"))
    text = "@anna_dv Hi Anna, we're sorry: there was an outage in your area. It is fixed since 10:40. Can you check?"

    # When the agent replies (default: publicly, as she wrote)
    message = reply(mention_ticket, agent, text, django_capture_on_commit_callbacks)

    # Then the retry posted it, as a reply to her tweet
    assert message.status == Message.Status.SENT
    assert message.delivery_attempts == 2
    assert message.meta["x_mode"] == "public"
    assert message.provider_id == "1790000000000000150"
    posts = calls_to(x_api, TWEETS_URL, "POST")
    assert [call.response.status_code for call in posts] == [503, 201]
    assert json.loads(posts[1].request.body) == {"text": text, "reply": {"in_reply_to_tweet_id": MENTION_ID}}
    assert posts[1].request.headers["Authorization"].startswith("OAuth ")  # user context, not the app's bearer

    # And a replayed task never posts it again
    assert deliver_message.delay(message.pk).get(timeout=10) == "skipped"
    assert len(calls_to(x_api, TWEETS_URL, "POST")) == 2
    assert [call.response.status_code for call in calls_to(x_api, TWEETS_URL, "POST")].count(201) == 1


def test_a_dm_is_answered_by_dm(dm_ticket, agent, x_api, django_capture_on_commit_callbacks):
    x_api.post(DM_URL, json=fixture("create_dm.json"), status=201)

    message = reply(dm_ticket, agent, "Hi Noor, I refunded the double charge.", django_capture_on_commit_callbacks)

    assert message.status == Message.Status.SENT
    assert message.meta["x_mode"] == "dm"
    (call,) = calls_to(x_api, DM_URL, "POST")
    assert json.loads(call.request.body) == {"text": "Hi Noor, I refunded the double charge."}
    assert calls_to(x_api, TWEETS_URL, "POST") == []


def test_a_dm_ticket_cannot_get_a_public_reply(dm_ticket, agent):
    with pytest.raises(actions.ActionError, match="only wrote to us by direct message"):
        actions.reply(ticket=dm_ticket, author=agent, body="Hi", channel="x", meta={"x_mode": "public"})


def test_the_composer_can_move_a_mention_reply_to_dm(mention_ticket, agent, client, x_api, django_capture_on_commit_callbacks):
    x_api.post(DM_URL.replace("7777777777", "1234567890"), json=fixture("create_dm.json"), status=201)
    client.force_login(agent)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/inbox/t/{mention_ticket.pk}/reply/",
            {"body": "Hi Anna, can you DM us your address anna@example.org?", "channel": "x", "x_mode": "dm"},
        )

    assert response.status_code == 302
    message = mention_ticket.messages.get(direction=Message.Direction.OUT)
    assert message.meta == {"x_mode": "dm"} and message.status == Message.Status.SENT
    assert calls_to(x_api, TWEETS_URL, "POST") == []


def test_the_ticket_page_carries_the_x_composer_hint(mention_ticket, agent, client):
    client.force_login(agent)
    page = client.get(f"/inbox/t/{mention_ticket.pk}/").content.decode()
    assert 'id="x-composer"' in page and 'data-kinds="mention "' in page
    assert 'name="x_mode"' in page and "unisono/x_counter.js" in page


def test_a_401_on_send_fails_the_message_and_marks_the_channel_unhealthy(
    mention_ticket, agent, x_api, client, django_capture_on_commit_callbacks
):
    x_api.post(TWEETS_URL, status=401, json=fixture("error_401.json"))

    message = reply(mention_ticket, agent, "Hi Anna, fixed.", django_capture_on_commit_callbacks)

    assert message.status == Message.Status.FAILED
    assert message.delivery_attempts == 1  # permanent: not retried
    assert "unauthorized" in message.status_detail
    assert XChannelHealth.objects.get(account="default").state == "unauthorized"
    client.force_login(agent)
    assert "Unauthorized" in client.get("/channels/x/health/").content.decode()


def test_duplicate_content_is_a_permanent_failure_with_a_clear_reason(mention_ticket, agent, x_api, django_capture_on_commit_callbacks):
    x_api.post(TWEETS_URL, status=403, json=fixture("error_403_duplicate.json"))

    message = reply(mention_ticket, agent, "Hi Anna, fixed.", django_capture_on_commit_callbacks)

    assert message.status == Message.Status.FAILED
    assert message.delivery_attempts == 1
    assert "duplicate" in message.status_detail
    # No earlier attempt could have posted it: nothing to look up
    assert [call.request.method for call in x_api.calls] == ["GET", "GET", "POST"]  # the poll, then the post


def test_a_network_failure_is_retried(mention_ticket, agent, x_api, settings, django_capture_on_commit_callbacks):
    import requests

    settings.UNISONO_DELIVERY_MAX_RETRIES = 1
    x_api.post(TWEETS_URL, body=requests.ConnectionError("connection reset"))

    message = reply(mention_ticket, agent, "Hi Anna, fixed.", django_capture_on_commit_callbacks)

    assert message.status == Message.Status.FAILED
    assert message.delivery_attempts == 2  # tried, retried, then given up
    assert "could not be reached" in message.status_detail


def test_replying_on_x_to_a_customer_who_never_wrote_there_is_refused(agent, x_settings):
    from channels_app.base import Sender
    from tests.factories import inbound

    web_ticket = actions.receive(inbound(channel="web", senders=(Sender(kind="email", value="a@example.org"),))).message.ticket
    with pytest.raises(actions.ActionError, match="has not written to us on X"):
        actions.reply(ticket=web_ticket, author=agent, body="Hi", channel="x")
    assert not web_ticket.messages.filter(direction=Message.Direction.OUT).exists()


def test_an_unknown_x_mode_is_refused(mention_ticket, agent):
    with pytest.raises(actions.ActionError, match="public or dm"):
        actions.reply(ticket=mention_ticket, author=agent, body="Hi", channel="x", meta={"x_mode": "carrier-pigeon"})


def test_exactly_280_as_x_counts_is_accepted(mention_ticket, agent, x_api, django_capture_on_commit_callbacks):
    x_api.post(TWEETS_URL, json=fixture("create_tweet.json"), status=201)
    body = "日" * 100 + "a" * 80  # 200 + 80

    message = reply(mention_ticket, agent, body, django_capture_on_commit_callbacks)

    assert message.status == Message.Status.SENT
    with pytest.raises(actions.ActionError, match="281 characters as X counts them"):
        actions.reply(ticket=mention_ticket, author=agent, body=body + "a", channel="x")


OUR_TWEETS_URL = "https://api.twitter.com/2/users/2244994945/tweets"


def our_tweets(*tweets: tuple[str, str, str]) -> dict:
    """GET /2/users/:id/tweets as X answers it: (id, replied-to id, text), newest first."""
    data = [
        {
            "id": tweet_id,
            "text": text,
            "author_id": "2244994945",
            "created_at": "2024-05-13T10:41:07.000Z",
            "conversation_id": replied_to,
            "in_reply_to_user_id": "1234567890",
            "referenced_tweets": [{"type": "replied_to", "id": replied_to}],
            "edit_history_tweet_ids": [tweet_id],
        }
        for tweet_id, replied_to, text in tweets
    ]
    meta = {"result_count": len(data)}
    if data:
        meta.update(newest_id=data[0]["id"], oldest_id=data[-1]["id"])
    return {"data": data, "meta": meta} if data else {"meta": meta}


def test_a_429_on_a_reply_is_retried_when_xs_window_resets(mention_ticket, agent, x_api, django_capture_on_commit_callbacks):
    # Given X refuses the first post with 429 and says when its window resets
    reset = int(time.time()) + 240
    when_retried: list[Message] = []

    def post_tweet(request):
        if not when_retried:
            when_retried.append(None)
            headers = {"x-rate-limit-limit": "200", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)}
            return 429, headers, json.dumps(fixture("error_429.json"))
        when_retried.append(Message.objects.get(ticket=mention_ticket, direction=Message.Direction.OUT))
        return 201, {}, json.dumps(fixture("create_tweet.json"))

    x_api.add_callback(responses.POST, TWEETS_URL, callback=post_tweet, content_type="application/json")

    # When the agent replies
    message = reply(mention_ticket, agent, "Hi Anna, it is fixed.", django_capture_on_commit_callbacks)

    # Then the retry was scheduled for X's reset time (not the 5 s backoff), as
    # the message recorded while it waited, and it was then posted once
    retried = when_retried[1]
    assert retried.next_attempt_at == datetime.fromtimestamp(reset + 1, tz=dt_timezone.utc)
    assert retried.status_detail.startswith("rate_limited: X answered 429")
    assert message.status == Message.Status.SENT and message.delivery_attempts == 2
    assert message.next_attempt_at is None  # nothing pending any more


def test_a_5xx_then_duplicate_content_finds_the_reply_the_first_attempt_posted(
    mention_ticket, agent, x_api, django_capture_on_commit_callbacks
):
    # Given the first post ends in a 503 although X posted it, so the retry gets "duplicate content"
    x_api.post(TWEETS_URL, status=503, json=fixture("error_503.json"))
    x_api.post(TWEETS_URL, status=403, json=fixture("error_403_duplicate.json"))
    # ... and among our newest tweets is that reply, as X returns it (handle first, link on t.co, & escaped)
    x_api.get(OUR_TWEETS_URL, json=our_tweets(
        ("1790000000000000160", "1790000000000000103", "@piet_j Hi Piet, it is fixed & working."),
        ("1790000000000000155", MENTION_ID, "@anna_dv Hi Anna, sorry &amp; thanks: details on https://t.co/Xy12AbCdEf"),
        ("1790000000000000151", MENTION_ID, "@anna_dv Hi Anna, we are looking into it."),
    ))
    body = "Hi Anna, sorry & thanks: details on https://status.example.com/incidents/42"

    # When the agent replies
    message = reply(mention_ticket, agent, body, django_capture_on_commit_callbacks)

    # Then it is sent, as that tweet, and nothing was posted a third time
    assert message.status == Message.Status.SENT
    assert message.provider_id == "1790000000000000155"
    assert message.delivery_attempts == 2
    assert [call.response.status_code for call in calls_to(x_api, TWEETS_URL, "POST")] == [503, 403]
    (lookup,) = calls_to(x_api, OUR_TWEETS_URL)
    assert query(lookup)["since_id"] == MENTION_ID
    assert "referenced_tweets" in query(lookup)["tweet.fields"]


def test_a_5xx_then_duplicate_content_not_found_stays_unconfirmed_not_failed(
    mention_ticket, agent, x_api, django_capture_on_commit_callbacks
):
    x_api.post(TWEETS_URL, status=503, json=fixture("error_503.json"))
    x_api.post(TWEETS_URL, status=403, json=fixture("error_403_duplicate.json"))
    x_api.get(OUR_TWEETS_URL, json=our_tweets(
        ("1790000000000000151", MENTION_ID, "@anna_dv Hi Anna, we are looking into it."),
    ))

    message = reply(mention_ticket, agent, "Hi Anna, it is fixed.", django_capture_on_commit_callbacks)

    # Maybe posted: not called failed (the agent would send it again), not sent twice
    assert message.status == Message.Status.UNCONFIRMED
    assert "probably posted it" in message.status_detail
    assert deliver_message.delay(message.pk).get(timeout=10) == "skipped"
    assert len(calls_to(x_api, TWEETS_URL, "POST")) == 2
