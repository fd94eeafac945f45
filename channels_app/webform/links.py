"""Signed, expiring links that let a customer read and answer their ticket.

No account and no password: the link *is* the key, so it is signed with the
SECRET_KEY (a tampered link fails) and expires after
``UNISONO_TICKET_LINK_MAX_AGE_DAYS``. The payload binds the ticket to its
customer, so a link stops working if the ticket ever changes hands.

Tokens can be issued "as of" a past moment (``issued_at``): the thank-you page
of one form submission is issued as of the submission, so a double click or a
browser resend lands on exactly the same URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing

from inbox.models import Ticket

TICKET_LINK_SALT = "unisono.ticket-link"
THANKS_SALT = "unisono.form-thanks"


class InvalidTicketLink(Exception):
    """Forged, tampered or otherwise unreadable."""


class ExpiredTicketLink(InvalidTicketLink):
    """Authentic but too old. ``ticket_id`` lets the page name the reference."""

    def __init__(self, ticket_id: int | None) -> None:
        super().__init__("This link has expired.")
        self.ticket_id = ticket_id


@dataclass(frozen=True)
class TicketLink:
    ticket_id: int
    customer_id: int


@dataclass(frozen=True)
class ThanksLink:
    ticket_id: int
    customer_id: int
    # True when the submission opened the ticket: only then may the thank-you
    # page hand out the ticket link (see views.thanks).
    started_ticket: bool
    callback_window: str = ""
    callback_at: str = ""


class _IssuedAtSigner(signing.TimestampSigner):
    """A TimestampSigner whose timestamp can be a given moment instead of now."""

    def __init__(self, *, salt: str, issued_at: datetime | None = None) -> None:
        super().__init__(salt=salt)
        self._issued_at = issued_at

    def timestamp(self) -> str:
        if self._issued_at is None:
            return super().timestamp()
        return signing.b62_encode(int(self._issued_at.timestamp()))


def max_age() -> timedelta:
    return timedelta(days=settings.UNISONO_TICKET_LINK_MAX_AGE_DAYS)


def _dumps(payload: list, *, salt: str, issued_at: datetime | None) -> str:
    return _IssuedAtSigner(salt=salt, issued_at=issued_at).sign_object(payload)


def _loads(token: str, *, salt: str) -> list:
    signer = _IssuedAtSigner(salt=salt)
    try:
        payload = signer.unsign_object(token, max_age=max_age())
    except signing.SignatureExpired:
        # The signature is ours, only old: read it once more without the age
        # check, so the expired page can still tell the customer their reference.
        raise ExpiredTicketLink(_first_int(signer.unsign_object(token))) from None
    except (signing.BadSignature, ValueError, TypeError, UnicodeError):
        raise InvalidTicketLink("This link isn't valid.") from None
    if not isinstance(payload, list) or len(payload) < 2 or not all(isinstance(v, int) for v in payload[:2]):
        raise InvalidTicketLink("This link isn't valid.")
    return payload


def _first_int(payload: object) -> int | None:
    if isinstance(payload, list) and payload and isinstance(payload[0], int):
        return payload[0]
    return None


# --- the customer's ticket link: /t/<token>/ -----------------------------------------


def make_ticket_token(ticket: Ticket, *, issued_at: datetime | None = None) -> str:
    return _dumps([ticket.pk, ticket.customer_id], salt=TICKET_LINK_SALT, issued_at=issued_at)


def read_ticket_link(token: str) -> TicketLink:
    """Raises ExpiredTicketLink or InvalidTicketLink."""
    ticket_id, customer_id = _loads(token, salt=TICKET_LINK_SALT)[:2]
    return TicketLink(ticket_id=ticket_id, customer_id=customer_id)


def read_ticket_token(token: str) -> int:
    """The ticket id in a customer link. Raises ExpiredTicketLink or InvalidTicketLink."""
    return read_ticket_link(token).ticket_id


def customer_ticket_path(ticket: Ticket, *, issued_at: datetime | None = None) -> str:
    return f"/t/{make_ticket_token(ticket, issued_at=issued_at)}/"


def customer_ticket_url(ticket: Ticket, *, issued_at: datetime | None = None) -> str:
    return settings.PUBLIC_BASE_URL + customer_ticket_path(ticket, issued_at=issued_at)


# --- the thank-you page after a form: /contact/thanks/<token>/ -----------------------


def make_thanks_token(
    ticket: Ticket, *, started_ticket: bool, issued_at: datetime, callback_window: str = "", callback_at: str = ""
) -> str:
    payload = [ticket.pk, ticket.customer_id, int(started_ticket)]
    if callback_window:
        payload += [callback_window, callback_at]
    return _dumps(payload, salt=THANKS_SALT, issued_at=issued_at)


def read_thanks_token(token: str) -> ThanksLink:
    """Raises ExpiredTicketLink or InvalidTicketLink."""
    payload = _loads(token, salt=THANKS_SALT)
    extra = [str(value or "") for value in payload[3:5]]
    return ThanksLink(
        ticket_id=payload[0],
        customer_id=payload[1],
        started_ticket=bool(payload[2]) if len(payload) > 2 else False,
        callback_window=extra[0] if extra else "",
        callback_at=extra[1] if len(extra) > 1 else "",
    )
