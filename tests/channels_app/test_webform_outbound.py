"""Replies on web tickets go out as plain-text email with the customer's link."""

from __future__ import annotations

import re
import smtplib

import pytest
from django.core.mail.backends.base import BaseEmailBackend

from channels_app.base import DeliveryError
from channels_app.webform import links, outbound
from inbox import actions
from inbox.models import Message
from tests.factories import inbound

pytestmark = pytest.mark.django_db


class RefusingBackend(BaseEmailBackend):
    """An SMTP server that is down: the boundary we don't control."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class UnreachableBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError(111, "Connection refused")


def test_an_agent_reply_on_a_web_ticket_emails_the_customer_and_is_marked_sent(
    web_ticket, agent, mailoutbox, django_capture_on_commit_callbacks
):
    # Given a ticket from the contact form, answered by Sam
    with django_capture_on_commit_callbacks(execute=True):
        message = actions.reply(ticket=web_ticket, author=agent, body="Hi Anna,\n\nI've reset your line from our side.")

    # Then exactly one plain-text mail went to Anna
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["anna@example.org"]
    assert mail.subject == f"Re: [{web_ticket.reference}] {web_ticket.subject}"
    assert mail.content_subtype == "plain"
    assert not getattr(mail, "alternatives", [])
    assert "I've reset your line from our side." in mail.body
    assert "Warm regards,\nSam\n" in mail.body
    assert "Visser" not in mail.body
    link = re.search(r"http://127\.0\.0\.1:8000/t/[^/\s]+/", mail.body).group(0)
    assert links.read_ticket_token(link.split("/t/")[1].rstrip("/")) == web_ticket.pk
    assert web_ticket.reference in mail.body
    # And the message is marked sent, with the Message-ID as its provider id
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.sent_at is not None
    assert message.provider_id == mail.extra_headers["Message-ID"]
    assert re.fullmatch(r"<[^@\s]+@127\.0\.0\.1>", message.provider_id)


def test_a_body_with_html_stays_plain_text(web_ticket, agent, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        actions.reply(ticket=web_ticket, author=agent, body="Use <b>this</b> & that")

    assert "Use <b>this</b> & that" in mailoutbox[0].body
    assert mailoutbox[0].content_subtype == "plain"


def test_a_customer_with_only_a_phone_gets_no_mail_and_the_message_fails_with_the_reason(
    agent, mailoutbox, django_capture_on_commit_callbacks
):
    # Given a call-me-back ticket: the customer left only a number
    ticket = actions.receive(inbound(channel="web", provider_id="form:callback-1", meta={"form": "callback"})).message.ticket

    # When an agent replies on the web channel
    with django_capture_on_commit_callbacks(execute=True):
        message = actions.reply(ticket=ticket, author=agent, body="Hi, we tried to call you.")

    # Then nothing is mailed and the agent sees why
    assert mailoutbox == []
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert message.status_detail == "The customer left no email address; call or text them instead."


def test_no_email_address_is_a_permanent_delivery_error(agent):
    ticket = actions.receive(inbound(channel="web", provider_id="form:callback-2")).message.ticket
    message = Message.objects.create(ticket=ticket, direction="out", channel="web", author=agent, body="Hello")

    with pytest.raises(DeliveryError) as error:
        outbound.send(message)

    assert error.value.permanent is True


@pytest.mark.parametrize("backend", [RefusingBackend, UnreachableBackend], ids=["smtp-error", "network-error"])
def test_a_mail_server_problem_is_a_transient_delivery_error(settings, web_ticket, agent, backend):
    settings.EMAIL_BACKEND = f"{__name__}.{backend.__name__}"
    message = Message.objects.create(ticket=web_ticket, direction="out", channel="web", author=agent, body="Hello")

    with pytest.raises(DeliveryError) as error:
        outbound.send(message)

    assert error.value.permanent is False
    assert "mail server" in error.value.reason


def test_a_reply_without_an_author_first_name_is_signed_by_the_team(web_ticket, mailoutbox):
    message = Message.objects.create(ticket=web_ticket, direction="out", channel="email", body="All sorted.")

    outbound.send(message)

    assert "Warm regards,\nThe customer care team" in mailoutbox[0].body
