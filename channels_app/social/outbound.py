"""Replies on X: a public reply to the customer's mention, or a DM.

The composer chooses (the outbound message's ``meta["x_mode"]``); by default
we answer the way the customer wrote: a mention gets a public reply, a DM a
DM. ``validate_reply`` runs inside ``inbox.actions.reply`` before anything is
stored, so the page and the API refuse the same replies with the same words.
"""

from __future__ import annotations

import html
import logging
import re

from django.db.models import Q

from channels_app.base import DeliveryError, DeliveryUnconfirmed
from channels_app.social import accounts, client, health, polling
from channels_app.social.accounts import XAccount
from channels_app.social.client import XApiError
from channels_app.social.counting import MAX_WEIGHTED_LENGTH, weighted_length, without_urls
from channels_app.social.inbound import DM_PREFIX, KIND_DM, KIND_MENTION
from inbox.actions import ActionError
from inbox.models import Channel, Message, Ticket

MODE_PUBLIC = "public"
MODE_DM = "dm"
MODES = (MODE_PUBLIC, MODE_DM)
DM_MAX_LENGTH = 10_000  # X's limit for one direct message

logger = logging.getLogger(__name__)

# X's 403 "You are not allowed to create a Tweet with duplicate content." (v1.1 code 187).
_DUPLICATE_HINT = "duplicate"
_LEADING_MENTIONS = re.compile(r"^(?:@\w{1,15}\s+)+")


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
            tweet_id = _post_reply(account, message, in_reply_to=source.meta["tweet_id"])
            if not tweet_id:
                raise DeliveryError("X accepted the reply but returned no tweet id.", permanent=True, code="no-id")
            return tweet_id
        participant_id = source.meta.get("author_id") or _customer_x_id(ticket)
        event_id = client.send_dm(account, participant_id=participant_id, text=message.body)
        return f"{DM_PREFIX}{event_id}" if event_id else f"{DM_PREFIX}sent-{message.idempotency_key}"
    except XApiError as error:
        raise _delivery_error(account.name, error) from error


def _post_reply(account: XAccount, message: Message, *, in_reply_to: str) -> str:
    try:
        return client.create_reply(account, text=message.body, in_reply_to_tweet_id=in_reply_to)
    except XApiError as error:
        # An earlier attempt ended without an answer (5xx, timeout) and may have
        # posted it; X refusing "duplicate content" now says it probably did.
        if _is_duplicate(error) and message.delivery_attempts > 1:
            return _earlier_reply(account, message, in_reply_to=in_reply_to)
        raise


def _earlier_reply(account: XAccount, message: Message, *, in_reply_to: str) -> str:
    """The id of our reply to ``in_reply_to`` with this text, looked up among
    the account's newest tweets; DeliveryUnconfirmed when it cannot be found."""
    try:
        tweets = client.own_tweets_since(account, user_id=polling.own_user_id(account), since_id=in_reply_to)
    except XApiError as error:
        logger.warning("looking up the reply of message %s on X failed: %s", message.pk, error.detail)
        tweets = []
    wanted = _comparable(message.body)
    for tweet in sorted(tweets, key=lambda tweet: int(str(tweet.get("id", "0")) or 0)):
        replied_to = {str(reference.get("id")) for reference in tweet.get("referenced_tweets") or []
                      if reference.get("type") == "replied_to"}
        if in_reply_to in replied_to and _comparable(tweet.get("text", "")) == wanted:
            logger.info("message %s: X refused a duplicate; it is our tweet %s", message.pk, tweet.get("id"))
            return str(tweet["id"])
    raise DeliveryUnconfirmed(
        "X refused this reply as a duplicate after an earlier attempt that ended without an answer, so that attempt "
        "probably posted it, but it was not found among the account's newest tweets. Check the customer's tweet on X."
    )


def _comparable(text: str) -> str:
    """Tweet text as X returns it, and as we sent it, made comparable: X
    shortens links to t.co, escapes &<> and may put the @handles of a reply first."""
    text = html.unescape(text)
    text = without_urls(text)
    text = _LEADING_MENTIONS.sub("", text.strip())
    return " ".join(text.split()).casefold()


def _is_duplicate(error: XApiError) -> bool:
    return error.kind == "forbidden" and _DUPLICATE_HINT in error.detail.lower()


def _customer_x_id(ticket: Ticket) -> str:
    identity = ticket.customer.identities.filter(Q(kind="x")).order_by("created_at", "id").first()
    if identity is None:
        raise DeliveryError("The customer has no X account on file.", permanent=True, code="no-recipient")
    return identity.value


def _delivery_error(account_name: str, error: XApiError) -> DeliveryError:
    if error.kind == "rate_limited":
        # Retried when X's window resets (x-rate-limit-reset), not on a guess.
        return DeliveryError(error.detail, permanent=False, code=error.kind, retry_at=error.reset_at)
    if error.kind in ("server", "network"):
        return DeliveryError(error.detail, permanent=False, code=error.kind)
    if error.kind == "unauthorized":
        # The tokens stopped working for polling too: say so in the banner now.
        health.record_unauthorized(account_name, detail=error.detail)
        return DeliveryError(f"X refused our credentials: {error.detail}", permanent=True, code="unauthorized")
    if _is_duplicate(error):
        return DeliveryError("X refused a duplicate of an earlier reply; reword it.", permanent=True, code="duplicate")
    return DeliveryError(error.detail, permanent=True, code=error.kind)
