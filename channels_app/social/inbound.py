"""X traffic as InboundMessages: v2 mentions, v2 DM events, Account Activity.

Provider ids: a mention is its tweet id; a DM is ``dm-<event id>`` (DM events
and tweets are different objects on X). The webhook and the poll give the same
ids for the same event, so ``inbox.actions.receive`` dedupes one against the
other. A mention that replies to a tweet carries that tweet's id as
``thread_hint``: when it is one of our replies, the mention joins that ticket;
its ``conversation`` (X's conversation_id) lets the same customer's mentions
deeper in that thread join it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone as dt_timezone
from email.utils import parsedate_to_datetime

from django.utils import timezone

from channels_app.base import InboundMessage, Sender
from inbox.models import Channel

DM_PREFIX = "dm-"
KIND_MENTION = "mention"
KIND_DM = "dm"


@dataclass(frozen=True)
class Item:
    """One parsed event with the numeric id its stream's cursor moves on."""

    sort_id: int
    inbound: InboundMessage


def dm_provider_id(event_id: str) -> str:
    return f"{DM_PREFIX}{event_id}"


def _numeric(value) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return 0


def _iso(raw: str | None) -> datetime:
    if not raw:
        return timezone.now()
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return timezone.now()
    return value if value.tzinfo else value.replace(tzinfo=dt_timezone.utc)


def _users(body: dict) -> dict[str, dict]:
    return {str(user.get("id")): user for user in (body.get("includes") or {}).get("users", [])}


def _replied_to(tweet: dict) -> str:
    for reference in tweet.get("referenced_tweets") or []:
        if reference.get("type") == "replied_to":
            return str(reference.get("id", ""))
    return ""


# --- v2 polling responses ------------------------------------------------------------


def mention_items(body: dict, *, account: str, own_user_id: str) -> list[Item]:
    """The tweets of one GET /2/users/:id/mentions page, oldest first."""
    users = _users(body)
    items = []
    for tweet in body.get("data") or []:
        author_id = str(tweet.get("author_id", ""))
        if own_user_id and author_id == own_user_id:
            continue  # our own tweet mentioning ourselves (a thread we posted)
        author = users.get(author_id, {})
        items.append(Item(_numeric(tweet.get("id")), mention_inbound(
            tweet_id=str(tweet.get("id", "")),
            text=tweet.get("text", ""),
            author_id=author_id,
            handle=author.get("username", ""),
            name=author.get("name", ""),
            created_at=_iso(tweet.get("created_at")),
            in_reply_to=_replied_to(tweet),
            conversation_id=str(tweet.get("conversation_id", "")),
            account=account,
        )))
    return sorted(items, key=lambda item: item.sort_id)


def dm_items(body: dict, *, account: str, own_user_id: str) -> list[Item]:
    """The customers' messages of one GET /2/dm_events page, oldest first.
    Our own messages (sent from X's app or by Unisono) are skipped."""
    users = _users(body)
    items = []
    for event in body.get("data") or []:
        if event.get("event_type", "MessageCreate") != "MessageCreate":
            continue
        sender_id = str(event.get("sender_id", ""))
        if own_user_id and sender_id == own_user_id:
            continue
        sender = users.get(sender_id, {})
        items.append(Item(_numeric(event.get("id")), dm_inbound(
            event_id=str(event.get("id", "")),
            text=event.get("text", ""),
            sender_id=sender_id,
            handle=sender.get("username", ""),
            name=sender.get("name", ""),
            created_at=_iso(event.get("created_at")),
            conversation_id=str(event.get("dm_conversation_id", "")),
            account=account,
        )))
    return sorted(items, key=lambda item: item.sort_id)


def mention_inbound(*, tweet_id: str, text: str, author_id: str, handle: str, name: str, created_at: datetime,
                    in_reply_to: str, conversation_id: str, account: str) -> InboundMessage:
    return InboundMessage(
        channel=Channel.X,
        provider_id=tweet_id,
        body=text,
        senders=(Sender(kind="x", value=author_id, handle=handle),),
        name=name,
        received_at=created_at,
        thread_hint=in_reply_to,
        conversation=conversation_id,
        meta={
            "x_kind": KIND_MENTION,
            "account": account,
            "tweet_id": tweet_id,
            "author_id": author_id,
            "handle": handle,
            "conversation_id": conversation_id,
        },
    )


def dm_inbound(*, event_id: str, text: str, sender_id: str, handle: str, name: str, created_at: datetime,
               conversation_id: str, account: str) -> InboundMessage:
    return InboundMessage(
        channel=Channel.X,
        provider_id=dm_provider_id(event_id),
        body=text,
        senders=(Sender(kind="x", value=sender_id, handle=handle),),
        name=name,
        received_at=created_at,
        meta={
            "x_kind": KIND_DM,
            "account": account,
            "dm_event_id": event_id,
            "author_id": sender_id,
            "handle": handle,
            "conversation_id": conversation_id,
        },
    )


# --- Account Activity webhook payloads (v1.1 objects) --------------------------------


def _v1_time(tweet: dict) -> datetime:
    if tweet.get("timestamp_ms"):
        return datetime.fromtimestamp(_numeric(tweet["timestamp_ms"]) / 1000, tz=dt_timezone.utc)
    try:
        return parsedate_to_datetime(tweet.get("created_at", ""))
    except (TypeError, ValueError):
        return timezone.now()


def activity_items(payload: dict, *, account: str, own_user_id: str) -> list[InboundMessage]:
    """Mentions and received DMs of one Account Activity delivery."""
    found: list[InboundMessage] = []
    for tweet in payload.get("tweet_create_events") or []:
        user = tweet.get("user") or {}
        author_id = str(user.get("id_str") or user.get("id") or "")
        if author_id == own_user_id or "retweeted_status" in tweet:
            continue  # our own tweets and retweets are not customers writing
        text = (tweet.get("extended_tweet") or {}).get("full_text") or tweet.get("full_text") or tweet.get("text", "")
        found.append(mention_inbound(
            tweet_id=str(tweet.get("id_str") or tweet.get("id")),
            text=text,
            author_id=author_id,
            handle=user.get("screen_name", ""),
            name=user.get("name", ""),
            created_at=_v1_time(tweet),
            in_reply_to=str(tweet.get("in_reply_to_status_id_str") or ""),
            conversation_id="",
            account=account,
        ))
    users = payload.get("users") or {}
    for event in payload.get("direct_message_events") or []:
        if event.get("type") != "message_create":
            continue
        create = event.get("message_create") or {}
        sender_id = str(create.get("sender_id", ""))
        if sender_id == own_user_id:
            continue
        sender = users.get(sender_id) or {}
        found.append(dm_inbound(
            event_id=str(event.get("id", "")),
            text=(create.get("message_data") or {}).get("text", ""),
            sender_id=sender_id,
            handle=sender.get("screen_name", ""),
            name=sender.get("name", ""),
            created_at=datetime.fromtimestamp(_numeric(event.get("created_timestamp")) / 1000, tz=dt_timezone.utc)
            if event.get("created_timestamp") else timezone.now(),
            conversation_id="",
            account=account,
        ))
    return found
