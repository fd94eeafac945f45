"""Replies on the web (and email) channel go out as plain-text email.

The mail carries the agent's words, signed with their first name, the ticket
reference in the subject and the customer's own link to read the whole
conversation and answer. Plain text only: the body is the agent's text and is
never rendered as HTML.
"""

from __future__ import annotations

import smtplib
from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage

from care.links import unsubscribe_url
from channels_app.base import DeliveryError
from channels_app.webform.links import customer_ticket_url
from inbox import selectors
from inbox.models import Identity, Message

NO_EMAIL = "The customer left no email address; call or text them instead."


def _mail_domain() -> str:
    return urlsplit(settings.PUBLIC_BASE_URL).hostname or "localhost"


def team_name() -> str:
    return settings.UNISONO_TEAM_NAME


def subject_for(message: Message) -> str:
    ticket = message.ticket
    # A header can't hold a line break (and a subject is one line anyway).
    subject = " ".join((ticket.subject or "Your message to us").split())
    return f"Re: [{ticket.reference}] {subject}"


def body_for(message: Message, *, link: str) -> str:
    author = message.author
    first_name = (author.first_name.strip() if author is not None else "") or ""
    signature = f"Warm regards,\n{first_name}\n{team_name()}" if first_name else f"Warm regards,\n{team_name()}"
    return (
        f"{message.body.strip()}\n\n"
        f"{signature}\n\n"
        f"--\n"
        f"You can read our whole conversation and answer us here:\n{link}\n"
        f"Your reference is {message.ticket.reference}: mention it if you contact us another way.\n"
        # care/: every email carries a way to stop surveys and follow-ups.
        f"No more surveys or follow-up messages: {unsubscribe_url(message.ticket.customer_id)}\n"
    )


def send(message: Message) -> str:
    """Email the reply to the customer; returns the Message-ID as provider id."""
    ticket = message.ticket
    identity = selectors.customer_identity(ticket.customer, kind=Identity.Kind.EMAIL)
    if identity is None:
        raise DeliveryError(NO_EMAIL, permanent=True)
    domain = _mail_domain()
    message_id = make_msgid(idstring=f"unisono.{message.pk}", domain=domain)
    mail = EmailMessage(
        subject=subject_for(message),
        body=body_for(message, link=customer_ticket_url(ticket)),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[identity.value],
        headers={
            "Message-ID": message_id,
            # One stable root per ticket: mail clients thread every reply together.
            "References": f"<ticket.{ticket.pk}@{domain}>",
            "List-Unsubscribe": f"<{unsubscribe_url(ticket.customer_id)}>",
        },
    )
    try:
        mail.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(f"The mail server refused or was unreachable: {error}", permanent=False) from error
    return message_id
