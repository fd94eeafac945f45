"""The call-me-back form: a phone number is all it takes."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from inbox.models import Customer, Identity, Message, Ticket
from tests.channels_app.conftest import counts, elements, input_tag, page

pytestmark = pytest.mark.django_db


def local_input(moment) -> str:
    """A datetime as a browser's datetime-local input sends it (local time, no zone)."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_callback_page_offers_the_windows_with_asap_preselected(client):
    html = page(client.get("/callback/"))

    for label in ("within 90 minutes", "during office hours", "in the evening, after 20:00", "at a time I choose"):
        assert label in html
    asap = re.search(r'<input[^>]*value="asap"[^>]*>', html).group(0)
    assert "checked" in asap
    assert 'type="datetime-local"' in input_tag(html, "preferred_at")
    assert re.search(r'name="submission_id" value="[0-9a-f-]{36}"', html)


def test_callback_form_creates_a_ticket_with_the_window_in_meta(post_callback):
    # Given a caller who only leaves a number and a topic
    submission_id = str(uuid.uuid4())

    # When they ask to be called within 90 minutes
    response = post_callback(submission_id=submission_id, name="", topic="Internet down", window="asap")

    # Then one ticket holds a readable request with the window in meta
    assert response.status_code == 302
    assert response["Location"].startswith("/callback/thanks/")
    assert Identity.objects.get().value == "+31612345678"
    ticket = Ticket.objects.get()
    assert ticket.subject == "Call-me-back request"
    assert ticket.origin_channel == "web"
    message = Message.objects.get()
    assert message.provider_id == f"form:{submission_id}"
    assert message.body == "Please call me back within 90 minutes. Topic: Internet down"
    assert message.meta == {"form": "callback", "callback": {"window": "asap", "at": None}}


@pytest.mark.parametrize(
    ("window", "sentence"),
    [("office", "Please call me back during office hours."), ("evening", "Please call me back in the evening, after 20:00.")],
)
def test_each_window_reads_as_a_sentence(post_callback, window, sentence):
    post_callback(window=window, topic="")

    message = Message.objects.get()
    assert message.body == sentence
    assert message.meta["callback"] == {"window": window, "at": None}


def test_a_chosen_time_is_stored_with_its_zone(post_callback):
    when = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)

    response = post_callback(window="at", preferred_at=local_input(when), topic="")

    assert response.status_code == 302
    message = Message.objects.get()
    stored = message.meta["callback"]
    assert stored["window"] == "at"
    assert timezone.datetime.fromisoformat(stored["at"]) == when
    local = timezone.localtime(when)
    assert message.body == f"Please call me back on {local:%A %d %B %Y} at {local:%H:%M} ({local.tzname()})."


def test_a_time_given_with_another_window_is_ignored(post_callback):
    post_callback(window="office", preferred_at="2001-01-01T10:00")

    assert Message.objects.get().meta["callback"] == {"window": "office", "at": None}


def test_thank_you_page_says_when_we_will_call_and_shows_the_reference(client, post_callback):
    response = post_callback(window="asap")

    html = page(client.get(response["Location"]))

    assert "We'll call you within 90 minutes." in html.replace("&#x27;", "'")
    assert [element.text.strip() for element in elements(html, "ticket-reference")] == [Ticket.objects.get().reference]
    assert elements(html, "customer-link")


def test_same_callback_posted_twice_is_one_ticket_and_the_same_thank_you_page(post_callback):
    submission_id = str(uuid.uuid4())

    first = post_callback(submission_id=submission_id)
    second = post_callback(submission_id=submission_id)

    assert second.status_code == 302
    assert second["Location"] == first["Location"]
    assert Message.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"phone": ""}, "Please give us the number to call."),
        ({"phone": "12"}, "This phone number isn't valid"),
        ({"window": ""}, "Please choose when we should call you."),
        ({"window": "tomorrow"}, "Select a valid choice"),
        ({"window": "at", "preferred_at": ""}, "Please choose the date and time we should call you."),
        ({"window": "at", "preferred_at": "next week"}, "Please enter a date and time"),
        ({"window": "at", "preferred_at": local_input(timezone.now() - timedelta(hours=2))},
         "Please choose a time in the future."),
        ({"window": "at", "preferred_at": local_input(timezone.now() + timedelta(days=15))},
         "Please choose a time within the next 14 days."),
        ({"topic": "x" * 301}, "Ensure this value has at most 300 characters"),
        ({"submission_id": "123"}, "Please reload the form"),
    ],
    ids=["no-phone", "short-phone", "no-window", "bad-window", "at-missing", "at-garbage", "at-past", "at-too-far",
         "long-topic", "bad-id"],
)
def test_bad_input_is_a_form_error_and_stores_nothing(post_callback, fields, error):
    before = counts()

    response = post_callback(**fields)

    assert response.status_code == 200
    assert error in page(response).replace("&#x27;", "'")
    assert counts() == before


def test_honeypot_filled_stores_nothing(post_callback):
    before = counts()

    response = post_callback(website="buy now")

    assert response.status_code == 200
    assert counts() == before


def test_one_number_gets_at_most_three_callbacks_a_day(post_callback):
    # Given three requests for one number, from different places and in different notations
    for n, notation in enumerate(["06 1234 5678", "+31612345678", "0031 6 12345678"]):
        assert post_callback(remote_addr=f"192.0.2.{n + 1}", phone=notation).status_code == 302
    before = counts()

    # When a fourth arrives
    response = post_callback(remote_addr="192.0.2.99", phone="06-12345678")

    # Then it is refused kindly and nothing is stored
    assert response.status_code == 429
    assert "Please try again in an hour, or call us." in page(response)
    assert counts() == before
    # Another number is still welcome
    assert post_callback(remote_addr="192.0.2.99", phone="06 8765 4321").status_code == 302
    assert Customer.objects.count() == 2
