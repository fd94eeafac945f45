"""Gaps: when a poll cannot reach its cursor (X no longer serves that far
back, or more arrived than we page through), what came is stored oldest
first, the cursor moves on, and the inbox banner says what may be missing
until someone acknowledges it. Never a silent stall."""

from __future__ import annotations

import logging

import pytest

from channels_app.social import polling
from channels_app.social.models import XCursor, XGapAlert
from channels_app.social.tasks import poll_x_account
from inbox.models import Message
from tests.channels_app.social.conftest import (
    DM_EVENTS_URL,
    MENTIONS_URL,
    calls_to,
    dm_events_body,
    fixture,
    mentions_body,
    query,
    serve_pages,
    serve_polls,
)

pytestmark = pytest.mark.django_db

FIRST_MENTION_CURSOR = 1790000000000000103  # newest of mentions_page.json
FIRST_DM_CURSOR = 1790000000000000301  # newest of dm_events_page.json


def cursor(stream: str) -> int | None:
    return XCursor.objects.filter(account="default", stream=stream).values_list("since_id", flat=True).first()


def tokens(count: int) -> list[str | None]:
    """Pagination tokens as X hands them out: None asks for the first page."""
    return [None] + [f"7140dibdnow9c7btw3w29grvxfcgvpb9n8bsjjp1byz{n:03d}" for n in range(1, count + 1)]


@pytest.fixture
def polled_once(x_settings, x_api):
    """A first poll stored mentions_page.json and dm_events_page.json: both cursors are set."""
    serve_polls(x_api, mentions="mentions_page.json", dms="dm_events_page.json")
    poll_x_account.delay("default")
    assert cursor("mentions") == FIRST_MENTION_CURSOR and cursor("dms") == FIRST_DM_CURSOR
    x_api.reset()
    return Message.objects.count()


def newer_mention_pages(page_count: int, per_page: int, *, more_after_last: bool) -> tuple[dict, list[int]]:
    """``page_count`` pages of mentions newer than the cursor, newest page first."""
    newest = FIRST_MENTION_CURSOR + 1000
    ids = [newest - n for n in range(page_count * per_page)]
    page_tokens = tokens(page_count)
    pages = {}
    for number in range(page_count):
        chunk = ids[number * per_page:(number + 1) * per_page]
        follow = page_tokens[number + 1] if number + 1 < page_count or more_after_last else None
        pages[page_tokens[number]] = mentions_body(chunk, next_token=follow)
    return pages, ids


@pytest.mark.parametrize("more_after_last", [True, False], ids=["X-offers-more-than-it-keeps", "X-ends-its-800"])
def test_mentions_paged_past_what_x_keeps_are_stored_and_open_a_gap_alert(
    polled_once, x_api, client, agent, more_after_last
):
    # Given more mentions arrived since the cursor than X serves: every page X
    # keeps comes with a next_token (or the last one ends X's window)
    pages, ids = newer_mention_pages(polling.MENTIONS_MAX_PAGES, 2, more_after_last=more_after_last)
    serve_pages(x_api, MENTIONS_URL, pages)
    x_api.get(DM_EVENTS_URL, json=fixture("dm_events_page.json"))

    # When the account is polled
    assert poll_x_account.delay("default").get(timeout=10) == "ok"

    # Then it asked for X's pages since the cursor and no further than X keeps
    asked = [query(call) for call in calls_to(x_api, MENTIONS_URL)]
    assert len(asked) == polling.MENTIONS_MAX_PAGES == 8
    assert {page["since_id"] for page in asked} == {str(FIRST_MENTION_CURSOR)}
    assert [page.get("pagination_token") for page in asked] == tokens(8)[:8]
    # ... stored every mention it got, oldest first
    new = list(Message.objects.filter(channel="x", direction="in").exclude(
        provider_id__in=["1790000000000000102", "1790000000000000103", "dm-1790000000000000301"]
    ).order_by("id"))
    assert [int(message.provider_id) for message in new] == sorted(ids)
    # ... moved the cursor to the newest (the next poll must not fetch them again)
    assert cursor("mentions") == max(ids)
    # ... and raised a gap alert that says where the hole is
    gap = XGapAlert.objects.get()
    assert (gap.account, gap.stream, gap.since_id, gap.oldest_seen_id) == ("default", "mentions", FIRST_MENTION_CURSOR, min(ids))
    assert gap.acknowledged_at is None
    client.force_login(agent)
    banner = client.get("/channels/x/health/").content.decode()
    assert "Possible gap in mentions" in banner and "than X keeps (the newest 800)" in banner
    assert f'hx-post="/channels/x/gaps/{gap.pk}/acknowledge/"' in banner


def test_mentions_that_end_before_the_page_cap_open_no_gap(polled_once, x_api):
    pages, ids = newer_mention_pages(3, 2, more_after_last=False)
    serve_pages(x_api, MENTIONS_URL, pages)
    x_api.get(DM_EVENTS_URL, json=fixture("dm_events_page.json"))

    assert poll_x_account.delay("default").get(timeout=10) == "ok"

    assert len(calls_to(x_api, MENTIONS_URL)) == 3
    assert Message.objects.filter(provider_id__in=[str(tweet_id) for tweet_id in ids]).count() == 6
    assert cursor("mentions") == max(ids)
    assert not XGapAlert.objects.exists()


def test_a_gap_alert_stays_until_acknowledged_and_then_leaves_the_banner(polled_once, x_api, client, agent, django_user_model):
    pages, _ids = newer_mention_pages(polling.MENTIONS_MAX_PAGES, 1, more_after_last=True)
    serve_pages(x_api, MENTIONS_URL, pages)
    x_api.get(DM_EVENTS_URL, json=fixture("dm_events_page.json"))
    poll_x_account.delay("default")
    gap = XGapAlert.objects.get()

    # The next poll works (nothing new): the alert is not repeated, and stays in the banner
    x_api.reset()
    serve_polls(x_api, mentions="mentions_empty.json", dms="dm_events_page.json")
    assert poll_x_account.delay("default").get(timeout=10) == "ok"
    assert XGapAlert.objects.count() == 1
    client.force_login(agent)
    assert "Possible gap in mentions" in client.get("/channels/x/health/").content.decode()

    # Only staff may acknowledge it
    client.force_login(django_user_model.objects.create_user("outside", password="pw-for-tests-1"))
    assert client.post(f"/channels/x/gaps/{gap.pk}/acknowledge/").status_code == 403
    client.force_login(agent)
    assert client.get(f"/channels/x/gaps/{gap.pk}/acknowledge/").status_code == 405

    # When an agent has checked X and acknowledges it
    response = client.post(f"/channels/x/gaps/{gap.pk}/acknowledge/")

    # Then the banner the page swaps in is empty (the channel is healthy), and who did it is kept
    assert response.status_code == 200 and response.content.decode().strip() == ""
    gap.refresh_from_db()
    assert gap.acknowledged_at is not None and gap.acknowledged_by == agent
    first = gap.acknowledged_at
    client.post(f"/channels/x/gaps/{gap.pk}/acknowledge/")
    gap.refresh_from_db()
    assert gap.acknowledged_at == first
    assert client.post("/channels/x/gaps/999999/acknowledge/").status_code == 404


def test_dm_events_beyond_the_page_cap_are_stored_with_a_gap_alert_instead_of_stalling(polled_once, x_api, caplog):
    # Given more DM events arrived since the cursor than one poll pages through:
    # every page comes with a next_token and none reaches the cursor
    newest = FIRST_DM_CURSOR + 1000
    ids = [newest - n for n in range(polling.DM_MAX_PAGES * 2)]
    page_tokens = tokens(polling.DM_MAX_PAGES)
    pages = {
        page_tokens[number]: dm_events_body(ids[number * 2:number * 2 + 2], next_token=page_tokens[number + 1])
        for number in range(polling.DM_MAX_PAGES)
    }
    serve_pages(x_api, DM_EVENTS_URL, pages)
    x_api.get(MENTIONS_URL, json=fixture("mentions_empty.json"))

    # When the account is polled
    with caplog.at_level(logging.WARNING, logger="channels_app.social.polling"):
        assert poll_x_account.delay("default").get(timeout=10) == "ok"

    # Then it stopped at the cap (the 11th page is never asked for) ...
    asked = [query(call).get("pagination_token") for call in calls_to(x_api, DM_EVENTS_URL)]
    assert asked == page_tokens[:polling.DM_MAX_PAGES]
    # ... stored what it fetched, oldest first, and moved the cursor to the newest
    stored = list(Message.objects.filter(provider_id__in=[f"dm-{event_id}" for event_id in ids]).order_by("id"))
    assert [message.provider_id for message in stored] == [f"dm-{event_id}" for event_id in sorted(ids)]
    assert cursor("dms") == max(ids)
    # ... said so in the log and in a gap alert
    assert any("did not reach the cursor" in record.getMessage() for record in caplog.records)
    gap = XGapAlert.objects.get()
    assert (gap.stream, gap.since_id, gap.oldest_seen_id) == ("dms", FIRST_DM_CURSOR, min(ids))
    assert "than Unisono pages through" in gap.detail

    # And the next poll meets the new cursor on the first page: no repeat, no new alert
    x_api.reset()
    serve_pages(x_api, DM_EVENTS_URL, pages)
    x_api.get(MENTIONS_URL, json=fixture("mentions_empty.json"))
    before = Message.objects.count()
    assert poll_x_account.delay("default").get(timeout=10) == "ok"
    assert len(calls_to(x_api, DM_EVENTS_URL)) == 1
    assert Message.objects.count() == before
    assert XGapAlert.objects.count() == 1


def test_a_page_that_uses_the_last_request_stores_what_came_and_keeps_the_cursor(polled_once, x_api):
    # Given X's first page of newer mentions has more behind it, but says no requests are left
    pages, ids = newer_mention_pages(2, 2, more_after_last=False)
    reset = 1_900_000_000
    serve_pages(x_api, MENTIONS_URL, pages, headers={
        "x-rate-limit-limit": "180", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset),
    })
    x_api.get(DM_EVENTS_URL, json=fixture("dm_events_page.json"))

    # When the account is polled
    poll_x_account.delay("default")

    # Then the second page waits for the reset: the first page's mentions are in
    # the inbox already, but the cursor stays so the next poll asks for the rest
    assert len(calls_to(x_api, MENTIONS_URL)) == 1
    assert Message.objects.filter(provider_id__in=[str(tweet_id) for tweet_id in ids[:2]]).count() == 2
    assert cursor("mentions") == FIRST_MENTION_CURSOR
    assert not XGapAlert.objects.exists()
