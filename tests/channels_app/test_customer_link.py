"""The customer's signed link /t/<token>/: read the thread, reply, nothing internal."""

from __future__ import annotations

import re
import time
import uuid
from datetime import timedelta

import pytest
from django.core import signing
from django.utils import timezone

from channels_app.base import Sender
from channels_app.webform import links
from inbox import actions
from inbox.models import Message, Ticket
from tests.channels_app.conftest import counts, elements, page
from tests.factories import CustomerFactory, IdentityFactory, TicketFactory, inbound

pytestmark = pytest.mark.django_db


def ticket_path(ticket: Ticket) -> str:
    return f"/t/{links.make_ticket_token(ticket)}/"


def reply(client, ticket: Ticket, body: str, reply_id: str | None = None, path: str | None = None):
    return client.post(path or ticket_path(ticket), {"reply_id": reply_id or str(uuid.uuid4()), "body": body})


# --- tokens --------------------------------------------------------------------------


def test_a_token_reads_back_as_its_ticket(web_ticket):
    token = links.make_ticket_token(web_ticket)

    assert links.read_ticket_token(token) == web_ticket.pk
    assert links.customer_ticket_url(web_ticket).startswith("http://127.0.0.1:8000/t/")


def test_a_tampered_token_does_not_read(web_ticket):
    token = links.make_ticket_token(web_ticket)
    forged = signing.dumps([web_ticket.pk + 1, web_ticket.customer_id], salt="something else")

    for bad in (token[:-2] + "xx", forged, "", "abc", token.replace(":", "", 1)):
        with pytest.raises(links.InvalidTicketLink):
            links.read_ticket_token(bad)


def test_an_old_token_has_expired(settings, web_ticket, monkeypatch):
    settings.UNISONO_TICKET_LINK_MAX_AGE_DAYS = 30
    long_ago = time.time() - timedelta(days=31).total_seconds()
    with monkeypatch.context() as patched:
        patched.setattr(time, "time", lambda: long_ago)
        token = links.make_ticket_token(web_ticket)

    with pytest.raises(links.ExpiredTicketLink) as expired:
        links.read_ticket_token(token)
    assert expired.value.ticket_id == web_ticket.pk


# --- the page ------------------------------------------------------------------------


def test_the_customer_sees_inbound_and_outbound_messages_but_never_internal_notes(client, web_ticket, agent):
    # Given a conversation with an answer from Sam and an internal note
    actions.reply(ticket=web_ticket, author=agent, body="Hi Anna, I've reset your line. Does it hold now?")
    actions.add_note(ticket=web_ticket, author=agent, body="INTERNAL: customer was rude last year")

    # When the customer opens their link
    response = client.get(ticket_path(web_ticket))

    # Then they see their message and Sam's answer, signed with his first name only
    html = page(response)
    assert response.status_code == 200
    assert "My router keeps dropping the connection." in html
    assert "I&#x27;ve reset your line." in html
    assert "Sam" in html
    assert "Visser" not in html
    assert "INTERNAL" not in html
    assert [element.text.strip() for element in elements(html, "ticket-reference")] == [web_ticket.reference]


def test_message_bodies_are_escaped(client, web_ticket):
    actions.receive(
        inbound(channel="web", senders=(Sender(kind="email", value="anna@example.org"),),
                body="<script>alert(1)</script>", ticket_reference=web_ticket.reference)
    )

    html = page(client.get(ticket_path(web_ticket)))

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" not in html


def test_the_reply_box_has_a_fresh_reply_id(client, web_ticket):
    html = page(client.get(ticket_path(web_ticket)))

    reply_id = re.search(r'name="reply_id" value="([^"]+)"', html).group(1)
    assert uuid.UUID(reply_id).version == 4
    assert re.search(r'<textarea[^>]*name="body"', html)


# --- replying ------------------------------------------------------------------------


def test_a_reply_lands_on_the_same_ticket_as_web_and_reopens_it(client, web_ticket, agent):
    # Given a ticket we marked solved
    actions.set_status(ticket=web_ticket, status=Ticket.Status.SOLVED, by=agent)
    reply_id = str(uuid.uuid4())
    # (one link, kept: a link issued a second later is signed with another timestamp)
    link = ticket_path(web_ticket)

    # When the customer answers through their link
    response = reply(client, web_ticket, "It dropped again last night.", reply_id=reply_id, path=link)

    # Then the answer is on the same ticket, on the web channel, and the ticket is open again, back on that link
    assert response.status_code == 302
    assert response["Location"] == link
    assert Ticket.objects.count() == 1
    message = Message.objects.get(provider_id=f"link:{reply_id}")
    assert message.ticket_id == web_ticket.pk
    assert message.channel == "web"
    assert message.direction == "in"
    web_ticket.refresh_from_db()
    assert web_ticket.status == Ticket.Status.OPEN
    assert web_ticket.solved_at is None
    followed = client.get(response["Location"])
    assert "It dropped again last night." in page(followed)
    assert "we&#x27;ve got your message" in page(followed)


def test_the_same_reply_posted_twice_is_one_message(client, web_ticket):
    reply_id = str(uuid.uuid4())

    reply(client, web_ticket, "Thanks!", reply_id=reply_id)
    reply(client, web_ticket, "Thanks!", reply_id=reply_id)

    assert Message.objects.filter(ticket=web_ticket).count() == 2


def test_a_reply_from_a_phone_only_customer_uses_their_number(client):
    received = actions.receive(inbound(channel="web", provider_id="form:phone-only"))
    ticket = received.message.ticket

    response = reply(client, ticket, "Please call after six.")

    assert response.status_code == 302
    assert ticket.messages.count() == 2


@pytest.mark.parametrize(
    ("body", "error"),
    [("", "Please write a few words before sending."), ("   ", "Please write a few words before sending."),
     ("x" * 100_000, "Your message is too long")],
    ids=["empty", "blank", "too-long"],
)
def test_an_empty_or_too_long_reply_is_a_form_error(client, web_ticket, body, error):
    before = counts()

    response = reply(client, web_ticket, body)

    assert response.status_code == 200
    assert error in page(response)
    assert counts() == before


def test_a_reply_without_a_valid_reply_id_is_refused(client, web_ticket):
    before = counts()

    response = client.post(ticket_path(web_ticket), {"reply_id": "nope", "body": "Hello"})

    assert response.status_code == 200
    assert "Please reload the form" in page(response)
    assert counts() == before


# --- bad links -----------------------------------------------------------------------


def test_a_forged_link_is_refused_with_a_page(client, web_ticket):
    token = links.make_ticket_token(web_ticket)
    before = counts()

    get = client.get(f"/t/{token[:-3]}abc/")
    post = client.post(f"/t/{token[:-3]}abc/", {"reply_id": str(uuid.uuid4()), "body": "hi"})

    for response in (get, post):
        assert response.status_code == 403
        assert "This link isn" in page(response)
        assert "<html" in page(response)
    assert counts() == before


def test_a_link_for_another_customer_is_refused(client, web_ticket):
    # A signed link whose customer no longer owns the ticket (e.g. after a
    # mix-up was corrected) must not show the ticket to the old holder.
    stranger = CustomerFactory()
    token = links._dumps([web_ticket.pk, stranger.pk], salt=links.TICKET_LINK_SALT, issued_at=None)

    response = client.get(f"/t/{token}/")

    assert response.status_code == 403


def test_an_expired_link_explains_how_to_get_in_touch_again(client, web_ticket):
    token = links.make_ticket_token(web_ticket, issued_at=timezone.now() - timedelta(days=31))
    before = counts()

    get = client.get(f"/t/{token}/")
    post = client.post(f"/t/{token}/", {"reply_id": str(uuid.uuid4()), "body": "hi"})

    for response in (get, post):
        html = page(response)
        assert response.status_code == 410
        assert "This link has expired" in html
        assert 'href="/contact/"' in html
        assert web_ticket.reference in html
    assert counts() == before


def test_a_link_to_a_ticket_that_no_longer_exists_is_refused(client):
    identity = IdentityFactory()
    ticket = TicketFactory(customer=identity.customer)
    path = ticket_path(ticket)
    ticket.delete()

    assert client.get(path).status_code == 403
