"""Web-form submissions and link replies as InboundMessages for inbox.actions.receive."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.utils import timezone

from channels_app.base import InboundMessage, Sender
from inbox.models import Channel, Identity, Ticket

CONTACT_PREFIX = "form:"
LINK_REPLY_PREFIX = "link:"
CALLBACK_SUBJECT = "Call-me-back request"

# Written for the agent who reads the ticket, so in the team's language (English
# for now), whatever language the customer's page was in.
_CALLBACK_SENTENCES = {
    "asap": "Please call me back within 90 minutes.",
    "office": "Please call me back during office hours.",
    "evening": "Please call me back in the evening, after 20:00.",
}


def form_provider_id(submission_id: UUID) -> str:
    return f"{CONTACT_PREFIX}{submission_id}"


def link_provider_id(reply_id: UUID) -> str:
    return f"{LINK_REPLY_PREFIX}{reply_id}"


def _first_line(text: str, limit: int = 120) -> str:
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def contact_inbound(cleaned: dict) -> InboundMessage:
    senders = []
    if cleaned.get("email"):
        senders.append(Sender(kind="email", value=cleaned["email"]))
    if cleaned.get("phone"):
        senders.append(Sender(kind="phone", value=cleaned["phone"]))
    return InboundMessage(
        channel=Channel.WEB,
        provider_id=form_provider_id(cleaned["submission_id"]),
        senders=tuple(senders),
        name=cleaned.get("name", ""),
        body=cleaned["message"],
        subject=_first_line(cleaned["message"]),
        consent_follow_up=bool(cleaned.get("consent_follow_up")),
        received_at=timezone.now(),
        meta={"form": "contact"},
    )


def callback_sentence(window: str, at: datetime | None, topic: str) -> str:
    if window == "at" and at is not None:
        local = timezone.localtime(at)
        sentence = f"Please call me back on {local:%A %d %B %Y} at {local:%H:%M} ({local.tzname()})."
    else:
        sentence = _CALLBACK_SENTENCES[window]
    if topic:
        sentence += f" Topic: {topic}"
    return sentence


def callback_inbound(cleaned: dict) -> InboundMessage:
    window = cleaned["window"]
    at = cleaned.get("preferred_at") if window == "at" else None
    return InboundMessage(
        channel=Channel.WEB,
        provider_id=form_provider_id(cleaned["submission_id"]),
        senders=(Sender(kind="phone", value=cleaned["phone"]),),
        name=cleaned.get("name", ""),
        body=callback_sentence(window, at, cleaned.get("topic", "").strip()),
        subject=CALLBACK_SUBJECT,
        received_at=timezone.now(),
        meta={"form": "callback", "callback": {"window": window, "at": at.isoformat() if at else None}},
    )


def link_reply_inbound(*, ticket: Ticket, identity: Identity, reply_id: UUID, body: str) -> InboundMessage:
    """A reply written on the customer's ticket page. The reference is one the
    signed link vouches for, so it lands on this ticket (and reopens it)."""
    return InboundMessage(
        channel=Channel.WEB,
        provider_id=link_provider_id(reply_id),
        senders=(Sender(kind=identity.kind, value=identity.value, handle=identity.handle),),
        body=body,
        ticket_reference=ticket.reference,
        received_at=timezone.now(),
        meta={"form": "ticket-link"},
    )
