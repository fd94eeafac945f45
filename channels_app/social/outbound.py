"""Replies on X: a public reply to the customer's mention, or a DM.

The composer chooses (the outbound message's ``meta["x_mode"]``); by default
we answer the way the customer wrote: a mention gets a public reply, a DM a
DM. ``validate_reply`` runs inside ``inbox.actions.reply`` before anything is
stored, so the page and the API refuse the same replies with the same words.
"""

from __future__ import annotations

from django.db.models import Q

from channels_app.base import DeliveryError
from channels_app.social import accounts, client, health
from channels_app.social.client import XApiError
from channels_app.social.counting import MAX_WEIGHTED_LENGTH, weighted_length
from channels_app.social.inbound import DM_PREFIX, KIND_DM, KIND_MENTION
from inbox.actions import ActionError
from inbox.models import Channel, Message, Ticket

MODE_PUBLIC = "public"
MODE_DM = "dm"
MODES = (MODE_PUBLIC, MODE_DM)
DM_MAX_LENGTH = 10_000  # X's limit for one direct message

# X's API codes for "you already said exactly this" (v1.1 187, kept in v2 detail).
_DUPLICATE_HINT = "duplicate"


def _latest_inbound(ticket: Ticket, kind: str | None = None) -> Message | None:
    messages = ticket.messages.filter(direction=Message.Direction.IN, channel=Channel.X)
    if kind is not None:
        messages = messages.filter(meta__x_kind=kind)
    return messages.order_by("-created_at", "-id").first()


def validate_reply(*, body: str, ticket: Ticket, meta: dict) -> dict:
    """Refuse (ActionError) a reply X would refuse or we cannot address;
    return the meta to store, with the mode settled."""
    latest = _latest_inbound(ticket)
    if latest is None:
        raise ActionError("This customer has not written to us on X, so there is no one to answer there. Pick another channel.")
    mode = (meta.get("x_mode") or "").strip() or (MODE_DM if latest.meta.get("x_kind") == KIND_DM else MODE_PUBLIC)
    if mode not in MODES:
        raise ActionError(f"Unknown way to reply on X {mode!r}: use public or dm.")
    if mode == MODE_PUBLIC:
        if _latest_inbound(ticket, KIND_MENTION) is None:
            raise ActionError("The customer only wrote to us by direct message: a public reply has no tweet to answer. Send it as a DM.")
        length = weighted_length(body)
        if length > MAX_WEIGHTED_LENGTH:
            raise ActionError(
                f"This public reply is {length} characters as X counts them (every link counts 23, emoji and CJK count 2); "
                f"X allows {MAX_WEIGHTED_LENGTH}. Shorten it by {length - MAX_WEIGHTED_LENGTH}, or send it as a DM."
            )
    elif len(body) > DM_MAX_LENGTH:
        raise ActionError(f"A direct message on X holds at most {DM_MAX_LENGTH} characters; this one has {len(body)}.")
    return {**meta, "x_mode": mode}


def send(message: Message) -> str:
    """Post the reply; returns the new tweet id, or ``dm-<event id>`` for a DM."""
    ticket = message.ticket
    mode = message.meta.get("x_mode") or MODE_PUBLIC
    source = _latest_inbound(ticket, KIND_MENTION if mode == MODE_PUBLIC else None)
    if source is None:
        raise DeliveryError("There is no X message of this customer to answer.", permanent=True, code="no-source")
    account = accounts.get(source.meta.get("account", "")) or next(iter(accounts.configured_accounts()), None)
    if account is None:
        raise DeliveryError("X is not configured (no X_* credentials).", permanent=True, code="not-configured")
    if not account.has_user_context:
        raise DeliveryError("Posting on X needs the account's OAuth 1.0a user tokens.", permanent=True, code="not-configured")
    try:
        if mode == MODE_PUBLIC:
            tweet_id = client.create_reply(account, text=message.body, in_reply_to_tweet_id=source.meta["tweet_id"])
            if not tweet_id:
                raise DeliveryError("X accepted the reply but returned no tweet id.", permanent=True, code="no-id")
            return tweet_id
        participant_id = source.meta.get("author_id") or _customer_x_id(ticket)
        event_id = client.send_dm(account, participant_id=participant_id, text=message.body)
        return f"{DM_PREFIX}{event_id}" if event_id else f"{DM_PREFIX}sent-{message.idempotency_key}"
    except XApiError as error:
        raise _delivery_error(account.name, error) from error


def _customer_x_id(ticket: Ticket) -> str:
    identity = ticket.customer.identities.filter(Q(kind="x")).order_by("created_at", "id").first()
    if identity is None:
        raise DeliveryError("The customer has no X account on file.", permanent=True, code="no-recipient")
    return identity.value


def _delivery_error(account_name: str, error: XApiError) -> DeliveryError:
    if error.kind in ("server", "network", "rate_limited"):
        return DeliveryError(error.detail, permanent=False, code=error.kind)
    if error.kind == "unauthorized":
        # The tokens stopped working for polling too: say so in the banner now.
        health.record_unauthorized(account_name, detail=error.detail)
        return DeliveryError(f"X refused our credentials: {error.detail}", permanent=True, code="unauthorized")
    if error.kind == "forbidden" and _DUPLICATE_HINT in error.detail.lower():
        return DeliveryError("X refused a duplicate of an earlier reply; reword it.", permanent=True, code="duplicate")
    return DeliveryError(error.detail, permanent=True, code=error.kind)
