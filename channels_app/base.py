"""The contract between channel adapters and the inbox.

Inbound: an adapter verifies and parses provider traffic into an
``InboundMessage`` and hands it to ``inbox.actions.receive``.
Outbound: an adapter's ``send(message)`` delivers a stored outbound Message and
returns the provider's id for it, or raises ``DeliveryError`` saying whether a
retry can help.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from inbox.models import Message


@dataclass(frozen=True)
class Sender:
    """One way to reach the customer, as the channel saw it (not yet normalised)."""

    kind: str  # "phone" | "email" | "x"
    value: str
    handle: str = ""


@dataclass(frozen=True)
class InboundMessage:
    channel: str
    provider_id: str
    body: str
    senders: tuple[Sender, ...]
    received_at: datetime
    name: str = ""
    subject: str = ""
    # Provider id of the message this one replies to (tweet in_reply_to, ...).
    thread_hint: str = ""
    # The public conversation the message is part of, as the provider names it
    # (X's conversation_id: the id of the tweet that started the thread). Only
    # for public threads: a DM conversation lasts forever and is no ticket.
    conversation: str = ""
    # An explicit ticket reference the adapter vouches for (the customer's signed link).
    ticket_reference: str = ""
    consent_follow_up: bool = False
    # The provider vouches that the sender withheld every way to reach them (a
    # call from a withheld number): ``senders`` is empty and the message lands
    # on a new customer without identities instead of being refused.
    unidentified: bool = False
    meta: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)


class DeliveryError(Exception):
    """Sending failed. ``permanent=True`` means retrying cannot help (invalid
    number, no address on file); otherwise the task retries with backoff, or
    at ``retry_at`` when the provider said when it takes requests again
    (a rate limit's reset time)."""

    def __init__(self, reason: str, *, permanent: bool, code: str = "", retry_at: datetime | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.code = code
        self.retry_at = retry_at


class DeliveryUnconfirmed(Exception):
    """The provider may have delivered the message, but could not confirm it
    (an earlier attempt ended unknown and the provider now refuses a second
    copy). Sending again could post it twice and failing it would be untrue:
    the message becomes "unconfirmed" with ``reason`` for the agent."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class OutboundAdapter(Protocol):
    def send(self, message: Message) -> str: ...
