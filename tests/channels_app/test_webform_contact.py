"""The contact form: no account, one way to reach the customer, one ticket per submission."""

from __future__ import annotations

import re
import uuid

import pytest

from inbox.models import Customer, Identity, Message, Ticket
from tests.channels_app.conftest import counts, elements, input_tag, page

pytestmark = pytest.mark.django_db


# --- the page ------------------------------------------------------------------------


def test_landing_page_offers_contact_and_call_me_back(client):
    response = client.get("/")

    assert response.status_code == 200
    assert 'href="/contact/"' in page(response)
    assert 'href="/callback/"' in page(response)


def test_contact_page_has_a_fresh_submission_id_an_unticked_consent_box_and_a_privacy_notice(client):
    first = page(client.get("/contact/"))
    second = page(client.get("/contact/"))

    submission_ids = [re.search(r'name="submission_id" value="([^"]+)"', html).group(1) for html in (first, second)]
    assert all(uuid.UUID(value).version == 4 for value in submission_ids)
    assert submission_ids[0] != submission_ids[1]
    consent = input_tag(first, "consent_follow_up")
    assert 'type="checkbox"' in consent
    assert "checked" not in consent
    assert "You may email me afterwards to check everything is working" in first
    assert "Your privacy" in first


def test_honeypot_is_hidden_by_css_not_by_input_type(client):
    html = page(client.get("/contact/"))

    honeypot = input_tag(html, "website")
    assert 'type="hidden"' not in honeypot
    assert elements(html, "hp-field"), "the honeypot sits in the CSS-hidden wrapper"


# --- a good submission ---------------------------------------------------------------


def test_contact_form_creates_customer_identities_and_a_ticket(post_contact):
    # Given a customer who gives an email address and a phone number
    submission_id = str(uuid.uuid4())

    # When they send the form
    response = post_contact(
        submission_id=submission_id, email="Anna@Example.org", phone="06 1234 5678", name="Anna de Vries"
    )

    # Then they are redirected to a thank-you page (PRG) and one ticket exists
    assert response.status_code == 302
    assert response["Location"].startswith("/contact/thanks/")
    customer = Customer.objects.get()
    assert customer.name == "Anna de Vries"
    assert customer.consent_follow_up is False
    assert set(Identity.objects.values_list("kind", "value")) == {("email", "anna@example.org"), ("phone", "+31612345678")}
    ticket = Ticket.objects.get()
    assert ticket.customer == customer
    assert ticket.origin_channel == "web"
    assert ticket.subject == "My router keeps dropping the connection."
    message = Message.objects.get()
    assert message.ticket == ticket
    assert message.channel == "web"
    assert message.direction == "in"
    assert message.provider_id == f"form:{submission_id}"
    assert message.body == "My router keeps dropping the connection.\nSince Monday, every evening."
    assert message.meta == {"form": "contact"}


def test_phone_alone_is_enough(post_contact):
    response = post_contact(email="", phone="+32 470 12 34 56")

    assert response.status_code == 302
    assert Identity.objects.get().value == "+32470123456"


def test_consent_is_stored_when_ticked(post_contact):
    post_contact(consent_follow_up="on")

    assert Customer.objects.get().consent_follow_up is True


def test_thank_you_page_shows_the_reference_and_the_customer_link(client, post_contact):
    # Given a submitted form
    response = post_contact()

    # When the customer follows the redirect
    thanks = client.get(response["Location"])

    # Then they see their reference and the link to their ticket, which works
    ticket = Ticket.objects.get()
    html = page(thanks)
    assert thanks.status_code == 200
    assert [element.text.strip() for element in elements(html, "ticket-reference")] == [ticket.reference]
    [link] = elements(html, "customer-link")
    assert link.tag == "a"
    assert re.fullmatch(r"http://127\.0\.0\.1:8000/t/[^/]+/", link.attrs["href"])
    assert "within one working day" in html
    assert "Dear customer" not in html
    customer_page = client.get(link.attrs["href"].removeprefix("http://127.0.0.1:8000"))
    assert customer_page.status_code == 200
    assert "My router keeps dropping the connection." in page(customer_page)


def test_thank_you_page_hides_the_link_when_the_message_joined_an_existing_conversation(client, post_contact):
    # Given an open conversation with anna@example.org
    post_contact()

    # When someone sends the form again naming the same address (anyone can type it)
    response = post_contact(message="Is there any news?")
    thanks = page(client.get(response["Location"]))

    # Then the message joins the ticket, but the page doesn't hand out a link to read it
    assert Ticket.objects.count() == 1
    assert Message.objects.count() == 2
    assert elements(thanks, "ticket-reference")
    assert not elements(thanks, "customer-link")
    assert "/t/" not in thanks


def test_tampered_thank_you_token_is_refused(client, post_contact):
    location = post_contact()["Location"]

    response = client.get(location.replace("/thanks/", "/thanks/x"))

    assert response.status_code == 403
    assert "This link isn't valid" in page(response)


# --- double submission ---------------------------------------------------------------


def test_same_submission_posted_twice_is_one_ticket_and_the_same_thank_you_page(post_contact):
    submission_id = str(uuid.uuid4())

    first = post_contact(submission_id=submission_id)
    second = post_contact(submission_id=submission_id)

    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert Ticket.objects.count() == 1
    assert Message.objects.count() == 1


def test_a_resubmission_is_not_counted_by_the_throttle(settings, post_contact):
    settings.UNISONO_FORM_THROTTLE_PER_IP_HOUR = 1
    submission_id = str(uuid.uuid4())
    post_contact(submission_id=submission_id)

    again = post_contact(submission_id=submission_id)
    a_new_one = post_contact(email="someone.else@example.org")

    assert again.status_code == 302
    assert a_new_one.status_code == 429


def test_same_submission_id_with_a_different_text_is_not_swallowed(post_contact):
    # Given a sent form, and the customer pressing Back and writing something else
    submission_id = str(uuid.uuid4())
    post_contact(submission_id=submission_id)

    response = post_contact(submission_id=submission_id, message="Something else entirely")

    # Then they are asked to send again (with a fresh id) instead of landing on the old thank-you page
    html = page(response)
    assert response.status_code == 200
    assert "We already received a message from this page" in html
    assert f'value="{submission_id}"' not in html
    assert Message.objects.count() == 1


# --- bad input: a clear form error, nothing stored -----------------------------------


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"email": "", "phone": ""}, "Please give us an email address or a phone number"),
        ({"message": "x" * 100_000}, "Your message is too long: please keep it under 10000 characters (it has 100000)."),
        ({"message": "   "}, "Please tell us what happened"),
        ({"email": "", "phone": "12"}, "This phone number isn"),
        ({"phone": "not a number"}, "This doesn"),
        ({"email": "anna@"}, "This email address isn"),
        ({"submission_id": "not-a-uuid"}, "Please reload the form"),
        ({"submission_id": None}, "Please reload the form"),
    ],
    ids=["no-contact", "too-long", "blank-message", "short-phone", "garbage-phone", "bad-email", "bad-id", "no-id"],
)
def test_bad_input_is_a_form_error_and_stores_nothing(post_contact, fields, error):
    before = counts()

    response = post_contact(**fields)

    assert response.status_code == 200
    assert error in page(response).replace("&#x27;", "'")
    assert counts() == before


def test_after_an_error_the_form_keeps_what_the_customer_typed(post_contact):
    response = post_contact(email="", phone="", message="Please keep this text")

    html = page(response)
    assert "Please keep this text" in html
    assert re.search(r'name="submission_id" value="[0-9a-f-]{36}"', html)


def test_honeypot_filled_shows_a_thank_you_and_stores_nothing(post_contact):
    before = counts()

    response = post_contact(website="http://spam.example")

    assert response.status_code == 200
    assert "Thank you" in page(response)
    assert not elements(page(response), "ticket-reference")
    assert counts() == before


# --- throttles -----------------------------------------------------------------------


def test_a_flood_from_one_address_gets_429_and_stores_nothing_after_the_limit(settings, post_contact):
    settings.UNISONO_FORM_THROTTLE_PER_IP_HOUR = 3
    for n in range(3):
        assert post_contact(email=f"person{n}@example.org").status_code == 302
    before = counts()

    flood = [post_contact(email=f"flood{n}@example.org") for n in range(3)]

    assert [response.status_code for response in flood] == [429, 429, 429]
    assert "You've sent several requests in a short time" in page(flood[0]).replace("&#x27;", "'")
    assert counts() == before
    # Someone else, on another address, is not affected
    assert post_contact(remote_addr="198.51.100.1", email="neighbour@example.org").status_code == 302


def test_the_address_limit_is_shared_by_both_forms(settings, post_contact, post_callback):
    settings.UNISONO_FORM_THROTTLE_PER_IP_HOUR = 2
    same_ip = "192.0.2.55"
    post_contact(remote_addr=same_ip, email="a@example.org")
    post_callback(remote_addr=same_ip, phone="+31612345001")

    response = post_contact(remote_addr=same_ip, email="b@example.org")

    assert response.status_code == 429


def test_one_email_address_is_limited_per_day_from_any_address(settings, post_contact):
    settings.UNISONO_FORM_THROTTLE_PER_CONTACT_DAY = 2
    post_contact(remote_addr="192.0.2.1", email="anna@example.org")
    post_contact(remote_addr="192.0.2.2", email="ANNA@example.org")
    before = counts()

    response = post_contact(remote_addr="192.0.2.3", email="anna@example.org")

    assert response.status_code == 429
    assert counts() == before
