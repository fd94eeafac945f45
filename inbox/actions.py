"""Every change to customers, tickets and messages goes through these functions.

Each action runs in one transaction, locks what it changes, appends Event rows
in that transaction and schedules broadcasts and tasks with ``on_commit``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import normalize_newlines
from django.utils.dateparse import parse_datetime

from inbox import realtime, selectors
from inbox.identities import normalise
from inbox.models import CallbackTask, Channel, Customer, Event, Identity, Message, Queue, Ticket
from inbox.threading import find_ticket

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from channels_app.base import InboundMessage, Sender

DEFAULT_QUEUE_SLUG = "general"


class ActionError(Exception):
    """A request the domain refuses, with a message fit for the user."""


@dataclass(frozen=True)
class Received:
    message: Message
    created: bool


# --- serialisation of event payloads -------------------------------------------------


def ticket_payload(ticket: Ticket) -> dict:
    return {
        "reference": ticket.reference,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "queue": ticket.queue_id,
        "assignee": ticket.assignee_id,
        "assignee_name": (ticket.assignee.get_full_name() or ticket.assignee.get_username()) if ticket.assignee else "",
        "customer": ticket.customer_id,
        "customer_name": ticket.customer.name,
        "origin_channel": ticket.origin_channel,
        "updated_at": ticket.updated_at.isoformat(),
    }


def message_payload(message: Message) -> dict:
    return {
        "message": message.pk,
        "direction": message.direction,
        "channel": message.channel,
        "author": message.author_id,
        "body": message.body,
        "status": message.status,
        "status_detail": message.status_detail,
        "created_at": message.created_at.isoformat(),
    }


def _events(ticket: Ticket, *entries: tuple[str, dict]) -> list[Event]:
    events = Event.objects.bulk_create(
        [Event(type=kind, ticket=ticket, queue_id=ticket.queue_id, payload=payload) for kind, payload in entries]
    )
    realtime.broadcast_on_commit(events)
    return events


def _lock_ticket(ticket_id: int) -> Ticket:
    return Ticket.objects.select_for_update(of=("self",)).select_related("customer", "assignee").get(pk=ticket_id)


# --- inbound -------------------------------------------------------------------------


def receive(inbound: InboundMessage, *, unseen: bool = False) -> Received:
    """Store one inbound message on the right ticket. Idempotent on
    (channel, provider_id): the same delivery three times is one message and
    one set of events; the duplicate gets the stored message back.

    ``unseen``: the caller has just looked (channel, provider_id) up and found
    nothing, so the lookup is not repeated; a duplicate that arrived since
    still ends at the unique constraint, below."""
    existing = None if unseen else _stored(inbound)
    if existing is not None:
        return Received(message=existing, created=False)
    try:
        return Received(message=_receive_new(inbound), created=True)
    except IntegrityError:
        # A concurrent delivery of the same message won the unique constraint;
        # our whole transaction rolled back, so nothing is half-stored.
        existing = _stored(inbound)
        if existing is None:
            raise
        return Received(message=existing, created=False)


def _stored(inbound: InboundMessage) -> Message | None:
    return selectors.message_by_provider_id(inbound.channel, inbound.provider_id)


@transaction.atomic
def _receive_new(inbound: InboundMessage) -> Message:
    customer = _customer_for(inbound)
    # Serialise ingest per customer: two first messages arriving together
    # must thread into one ticket, not open two.
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if inbound.consent_follow_up and not customer.consent_follow_up:
        customer.consent_follow_up = True
        customer.save(update_fields=["consent_follow_up"])

    ticket = find_ticket(
        customer=customer,
        channel=inbound.channel,
        body=inbound.body,
        thread_hint=inbound.thread_hint,
        conversation=inbound.conversation,
        ticket_reference=inbound.ticket_reference,
        received_at=inbound.received_at,
    )
    now = timezone.now()
    created_ticket = ticket is None
    if ticket is None:
        ticket = Ticket.objects.create(
            customer=customer,
            queue=default_queue(),
            subject=(inbound.subject or _subject_from(inbound.body))[:200],
            origin_channel=inbound.channel,
            created_at=min(inbound.received_at, now),
            updated_at=now,
        )
    else:
        ticket = _lock_ticket(ticket.pk)
        fields = ["updated_at"]
        if ticket.status != Ticket.Status.NEW:
            # A customer writing again means the ball is back with us.
            ticket.status = Ticket.Status.OPEN
            ticket.solved_at = None
            fields += ["status", "solved_at"]
        ticket.updated_at = now
        ticket.save(update_fields=fields)

    from resolutions.actions import language_for_inbound  # resolutions imports inbox: import here, not at load

    message = Message.objects.create(
        ticket=ticket,
        direction=Message.Direction.IN,
        channel=inbound.channel,
        body=inbound.body,
        provider_id=inbound.provider_id,
        in_reply_to=inbound.thread_hint,
        conversation=inbound.conversation,
        status=Message.Status.RECEIVED,
        meta=inbound.meta,
        created_at=inbound.received_at,
        # Detected offline; the customer's language follows their latest message.
        language=language_for_inbound(body=inbound.body, customer=customer),
    )
    Customer.objects.filter(pk=customer.pk).update(updated_at=now)
    ticket_event = Event.Type.TICKET_CREATED if created_ticket else Event.Type.TICKET_UPDATED
    _events(ticket, (ticket_event, ticket_payload(ticket)), (Event.Type.MESSAGE_CREATED, message_payload(message)))
    if inbound.meta.get("callback") is not None and any(s.kind == Identity.Kind.PHONE for s in inbound.senders):
        # A call-me-back form or a missed call: the promise to call is made
        # with the message, in the same transaction, exactly once.
        _open_callback_task(ticket=ticket, message=message, inbound=inbound, now=now)
    return message


def _subject_from(body: str) -> str:
    first_line = body.strip().splitlines()[0] if body.strip() else ""
    return first_line[:80] + ("…" if len(first_line) > 80 else "")


def _customer_for(inbound: InboundMessage) -> Customer:
    """The customer behind the senders' identities; created on first contact.

    Identities of one submission that belong to nobody yet join the customer
    found through the others. An identity that already belongs to someone else
    is never moved (merging customers is a deliberate act)."""
    normalised = [(sender, normalise(sender.kind, sender.value)) for sender in inbound.senders]
    if not normalised:
        if inbound.unidentified:
            # A withheld caller: a customer of their own. Two anonymous calls
            # may be two people, and must not share a history.
            return Customer.objects.create(name=inbound.name.strip()[:200])
        raise ActionError("An inbound message needs at least one way to reach the customer.")
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return _find_or_create_customer(normalised, inbound.name.strip()[:200])
        except IntegrityError:
            # A concurrent first contact created one of these identities.
            # Our savepoint (customer included) is gone; look again and join it.
            continue
    raise ActionError("Could not settle the customer's identity; please retry.")


def _find_or_create_customer(normalised: list[tuple[Sender, str]], name: str) -> Customer:
    known = {
        (identity.kind, identity.value): identity
        for identity in Identity.objects.filter(
            kind__in={sender.kind for sender, _ in normalised}, value__in={value for _, value in normalised}
        ).select_related("customer")
    }
    customer = next((known[(s.kind, v)].customer for s, v in normalised if (s.kind, v) in known), None)
    if customer is None:
        customer = Customer.objects.create(name=name)
    elif name and not customer.name:
        customer.name = name
        customer.save(update_fields=["name"])
    for sender, value in normalised:
        identity = known.get((sender.kind, value))
        if identity is None:
            Identity.objects.create(customer=customer, kind=sender.kind, value=value, handle=sender.handle)
        elif sender.handle and identity.handle != sender.handle:
            identity.handle = sender.handle
            identity.save(update_fields=["handle"])
    return customer


def default_queue() -> Queue:
    queue, _ = Queue.objects.get_or_create(slug=DEFAULT_QUEUE_SLUG, defaults={"name": "General"})
    return queue
# --- agent actions -------------------------------------------------------------------


class StaleReply(ActionError):
    """The customer (or a colleague) wrote since the agent loaded the ticket."""

    def __init__(self, newer: list[Message]) -> None:
        super().__init__("New messages arrived on this ticket since you opened it. Read them before sending.")
        self.newer = newer


def _display(user: AbstractBaseUser) -> str:
    return user.get_full_name() or user.get_username()


@transaction.atomic
def reply(
    *,
    ticket: Ticket,
    author: AbstractBaseUser,
    body: str,
    channel: str | None = None,
    last_seen_message_id: int | None = None,
    meta: dict | None = None,
    resolution_version=None,
    off_playbook_reason: str | None = None,
    exception_reason: str | None = None,
) -> Message:
    """Store an outbound answer as queued and deliver it after commit.

    ``channel`` defaults to the channel of the customer's latest inbound
    message. With ``last_seen_message_id``, a reply written before the
    customer's or a colleague's newer message is refused (StaleReply).
    ``meta`` (e.g. ``{"x_mode": "dm"}``) is stored on the message; the
    channel's adapter may refuse the reply first (ActionError).
    ``resolution_version`` | ``off_playbook_reason`` | ``exception_reason``:
    which playbook answer this is; stored as its AnswerRecord in this
    transaction (resolutions.actions.record_answer; nothing given = off-playbook,
    reason "not given"). An exception adds the playbook's gesture sentence.
    Line breaks are stored as LF (a browser's textarea sends CRLF; an SMS or a
    post on X would count the CR as a character)."""
    body = normalize_newlines(body).strip()
    if not body:
        raise ActionError("A reply needs some text.")
    ticket = _lock_ticket(ticket.pk)
    if last_seen_message_id is not None:
        newer = list(
            ticket.messages.filter(pk__gt=last_seen_message_id)
            .exclude(direction=Message.Direction.NOTE)
            .exclude(direction=Message.Direction.OUT, author=author)
        )
        if newer:
            raise StaleReply(newer)
    channel = channel or default_reply_channel(ticket)
    if channel not in Channel.values:
        raise ActionError(f"Unknown channel {channel!r}.")
    from channels_app.registry import sendable_channels, validate_reply  # see deliver_message below

    if channel == Channel.PHONE:
        raise ActionError("A phone answer is given on a call: log the call on this ticket instead.")
    if channel not in sendable_channels():
        # Refused before anything is stored: a reply queued on a channel that
        # cannot send would only fail later, after the agent moved on.
        raise ActionError(
            f"{Channel(channel).label} isn't set up for sending. Answer on another channel the customer uses."
        )
    from resolutions.actions import answer_body, record_answer  # resolutions imports inbox: import here

    body = answer_body(
        body=body, ticket=ticket, resolution_version=resolution_version,
        off_playbook_reason=off_playbook_reason, exception_reason=exception_reason,
    )
    meta = validate_reply(channel=channel, body=body, ticket=ticket, meta=dict(meta or {}))
    now = timezone.now()
    message = Message.objects.create(
        ticket=ticket,
        direction=Message.Direction.OUT,
        channel=channel,
        author=author,
        body=body,
        status=Message.Status.QUEUED,
        meta=meta,
        created_at=now,
    )
    record_answer(
        message=message, resolution_version=resolution_version,
        off_playbook_reason=off_playbook_reason, exception_reason=exception_reason,
    )
    fields = ["updated_at"]
    ticket.updated_at = now
    if ticket.first_response_at is None:
        ticket.first_response_at = now
        fields.append("first_response_at")
    if ticket.status == Ticket.Status.NEW:
        ticket.status = Ticket.Status.OPEN
        fields.append("status")
    ticket.save(update_fields=fields)
    _events(ticket, (Event.Type.MESSAGE_CREATED, message_payload(message)), (Event.Type.TICKET_UPDATED, ticket_payload(ticket)))

    from channels_app.tasks import deliver_message  # channels_app depends on inbox, not the reverse at import time

    message_id = message.pk
    transaction.on_commit(lambda: deliver_message.delay(message_id))
    return message


def default_reply_channel(ticket: Ticket, *, sendable: list[str] | None = None) -> str:
    """Where the reply box points first: the channel the customer last wrote
    on. When that one can't send here (``sendable``: e.g. SMS without
    credentials), email if the customer has an address, so the first "Send"
    reaches them instead of being refused."""
    latest_inbound = selectors.latest_inbound_message(ticket)
    channel = latest_inbound.channel if latest_inbound else ticket.origin_channel
    if sendable is None or channel in sendable:
        return channel
    if Channel.EMAIL in sendable and any(identity.kind == Identity.Kind.EMAIL for identity in ticket.customer.identities.all()):
        return Channel.EMAIL
    return channel


@transaction.atomic
def add_note(*, ticket: Ticket, author: AbstractBaseUser, body: str) -> Message:
    """An internal note: visible to agents, never sent to the customer."""
    body = body.strip()
    if not body:
        raise ActionError("A note needs some text.")
    ticket = _lock_ticket(ticket.pk)
    message = Message.objects.create(
        ticket=ticket, direction=Message.Direction.NOTE, channel=ticket.origin_channel, author=author, body=body,
        status=Message.Status.RECEIVED,
    )
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["updated_at"])
    _events(ticket, (Event.Type.MESSAGE_CREATED, message_payload(message)))
    return message


@transaction.atomic
def assign(*, ticket: Ticket, assignee: AbstractBaseUser | None, by: AbstractBaseUser) -> Ticket:
    """Give the ticket to ``assignee`` (None: unassign). The assignee must be a
    member of the ticket's queue, or see every queue."""
    from inbox.permissions import can_work_queue

    ticket = _lock_ticket(ticket.pk)
    if assignee is not None and not can_work_queue(assignee, ticket.queue_id):
        raise ActionError(f"{_display(assignee)} is not in the {ticket.queue.name} queue.")
    if ticket.assignee_id == (assignee.pk if assignee else None):
        return ticket
    ticket.assignee = assignee
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["assignee", "updated_at"])
    _events(ticket, (Event.Type.TICKET_UPDATED, {**ticket_payload(ticket), "by": by.pk}))
    return ticket


@transaction.atomic
def set_status(*, ticket: Ticket, status: str, by: AbstractBaseUser) -> Ticket:
    if status not in Ticket.Status.values:
        raise ActionError(f"Unknown status {status!r}; use one of {', '.join(Ticket.Status.values)}.")
    ticket = _lock_ticket(ticket.pk)
    if ticket.status == status:
        return ticket
    now = timezone.now()
    ticket.status = status
    ticket.updated_at = now
    ticket.solved_at = now if status in (Ticket.Status.SOLVED, Ticket.Status.CLOSED) else None
    ticket.save(update_fields=["status", "updated_at", "solved_at"])
    _events(ticket, (Event.Type.TICKET_UPDATED, {**ticket_payload(ticket), "by": by.pk}))
    return ticket


# --- delivery bookkeeping (called by channels_app.tasks) ------------------------------

# Forward-only: a late, older status never moves a message back.
# "unconfirmed" is below "sent": a worker that finishes late, or the
# provider's report, still says what really happened.
_STATUS_RANK = {
    Message.Status.QUEUED: 0,
    Message.Status.SENDING: 1,
    Message.Status.UNCONFIRMED: 2,
    Message.Status.SENT: 3,
    Message.Status.DELIVERED: 4,
    Message.Status.UNDELIVERED: 4,
    Message.Status.FAILED: 4,
}
RETRYABLE_STATUSES = (Message.Status.FAILED, Message.Status.UNCONFIRMED)


@transaction.atomic
def message_claim_for_delivery(*, message_id: int) -> Message | None:
    """Move a queued outbound message to ``sending`` and return it, or None if
    another attempt already has it (or it was sent): a replayed task is a no-op."""
    message = Message.objects.select_for_update(of=("self",)).select_related("ticket__customer").filter(pk=message_id).first()
    if message is None or message.direction != Message.Direction.OUT or message.status != Message.Status.QUEUED:
        return None
    message.status = Message.Status.SENDING
    message.delivery_attempts += 1
    message.claimed_at = timezone.now()
    message.save(update_fields=["status", "delivery_attempts", "claimed_at"])
    return message


@transaction.atomic
def message_release_for_retry(*, message_id: int, detail: str, next_attempt_at: datetime | None = None) -> None:
    """The attempt failed in a way that proves nothing went out: queued again
    (also if the sweep had meanwhile called it unconfirmed). The agent sees why
    and, with ``next_attempt_at``, when the next attempt is."""
    Message.objects.filter(pk=message_id, status__in=[Message.Status.SENDING, Message.Status.UNCONFIRMED]).update(
        status=Message.Status.QUEUED, status_detail=detail[:500], next_attempt_at=next_attempt_at
    )


UNCONFIRMED_DETAIL = (
    "No confirmation from the provider {minutes} minutes after sending began: it may or may not have reached "
    "the customer. Check before sending it again."
)


def messages_mark_unconfirmed(*, now: datetime | None = None) -> list[int]:
    """Outbound messages claimed for delivery more than
    UNISONO_UNCONFIRMED_AFTER_MINUTES ago and still "sending" become
    "unconfirmed", visibly, so an agent can check and send again (the sweep
    of channels_app.tasks). Their worker died before or after the provider
    call, or no status report came: sending again by ourselves could send
    twice. Returns the ids it marked."""
    now = now or timezone.now()
    minutes = settings.UNISONO_UNCONFIRMED_AFTER_MINUTES
    cutoff = now - timedelta(minutes=minutes)
    stale = Message.objects.filter(status=Message.Status.SENDING).filter(
        # Claimed before claimed_at existed: the creation time is all there is.
        Q(claimed_at__lt=cutoff) | Q(claimed_at__isnull=True, created_at__lt=cutoff)
    )
    marked = []
    for message_id in stale.values_list("pk", flat=True)[:500]:
        if _message_mark_unconfirmed(message_id=message_id, cutoff=cutoff, detail=UNCONFIRMED_DETAIL.format(minutes=minutes)):
            marked.append(message_id)
    return marked


@transaction.atomic
def _message_mark_unconfirmed(*, message_id: int, cutoff: datetime, detail: str) -> bool:
    message = Message.objects.select_for_update(of=("self",)).select_related("ticket").get(pk=message_id)
    # Re-checked under the lock: the worker may have finished (or re-claimed it) since the scan.
    if message.status != Message.Status.SENDING or (message.claimed_at or message.created_at) >= cutoff:
        return False
    message.status = Message.Status.UNCONFIRMED
    message.status_detail = detail
    message.save(update_fields=["status", "status_detail"])
    _events(message.ticket, (Event.Type.MESSAGE_STATUS, {"message": message.pk, "status": message.status, "status_detail": detail}))
    return True


@transaction.atomic
def message_set_status(*, message_id: int, status: str, detail: str = "", provider_id: str | None = None) -> Message:
    message = Message.objects.select_for_update(of=("self",)).select_related("ticket").get(pk=message_id)
    if _STATUS_RANK.get(status, -1) <= _STATUS_RANK.get(message.status, -1) and status != message.status:
        return message
    fields = ["status", "status_detail"]
    message.status = status
    message.status_detail = detail[:500]
    if provider_id is not None:
        message.provider_id = provider_id
        fields.append("provider_id")
    if status == Message.Status.SENT and message.sent_at is None:
        message.sent_at = timezone.now()
        fields.append("sent_at")
    if message.next_attempt_at is not None:
        message.next_attempt_at = None  # no retry is pending any more
        fields.append("next_attempt_at")
    message.save(update_fields=fields)
    _events(message.ticket, (Event.Type.MESSAGE_STATUS, {"message": message.pk, "status": status, "status_detail": message.status_detail}))
    return message


@transaction.atomic
def message_retry(*, message: Message, by: AbstractBaseUser) -> Message:
    """Send a failed or unconfirmed outbound message again (the agent's
    "retry" button; for an unconfirmed one, after checking it did not arrive)."""
    message = Message.objects.select_for_update(of=("self",)).select_related("ticket").get(pk=message.pk)
    if message.status not in RETRYABLE_STATUSES:
        raise ActionError("Only a failed or unconfirmed message can be sent again.")
    message.status = Message.Status.QUEUED
    message.status_detail = ""
    message.save(update_fields=["status", "status_detail"])
    _events(message.ticket, (Event.Type.MESSAGE_STATUS, {"message": message.pk, "status": message.status, "status_detail": "", "by": by.pk}))
    from channels_app.tasks import deliver_message

    transaction.on_commit(lambda: deliver_message.delay(message.pk))
    return message


# --- phone: calls, voicemail, callbacks ------------------------------------------------

CALLBACK_ASAP_MINUTES = 90
EVENING_FROM_HOUR = 20
EVENING_UNTIL_HOUR = 22


def callback_due_at(window: str, *, at: datetime | None, now: datetime) -> datetime:
    """The moment by which we promised to call: the end of the window the
    customer chose (the queue is ordered by it; past it, a task is overdue)."""
    local_now = timezone.localtime(now)
    if window == CallbackTask.Window.AT and at is not None:
        return at
    if window == CallbackTask.Window.OFFICE:
        day = local_now
        while True:
            end = day.replace(hour=settings.UNISONO_OFFICE_HOURS_END, minute=0, second=0, microsecond=0)
            if day.weekday() < 5 and end > local_now:
                return end
            day = (day + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    if window == CallbackTask.Window.EVENING:
        end = local_now.replace(hour=EVENING_UNTIL_HOUR, minute=0, second=0, microsecond=0)
        return end if end > local_now else end + timedelta(days=1)
    return now + timedelta(minutes=CALLBACK_ASAP_MINUTES)


def callback_payload(task: CallbackTask) -> dict:
    return {
        "callback": task.pk,
        "status": task.status,
        "source": task.source,
        "window": task.window,
        "due_at": task.due_at.isoformat(),
        "logged_call": task.logged_call_id,
    }


def _open_callback_task(*, ticket: Ticket, message: Message, inbound: InboundMessage, now: datetime) -> CallbackTask:
    callback = inbound.meta["callback"]
    window = callback.get("window") or CallbackTask.Window.ASAP
    if window not in CallbackTask.Window.values:
        window = CallbackTask.Window.ASAP
    at = parse_datetime(callback["at"]) if callback.get("at") else None
    source = CallbackTask.Source.WEB_FORM if inbound.meta.get("form") == "callback" else CallbackTask.Source.MISSED_CALL
    phone = next(normalise("phone", s.value) for s in inbound.senders if s.kind == Identity.Kind.PHONE)
    task = CallbackTask.objects.create(
        ticket=ticket,
        # The message is unique per (channel, provider id), and so is this key:
        # a redelivered webhook never reaches here, and if it did it would fail.
        key=f"{message.channel}:{message.provider_id or message.pk}",
        source=source,
        window=window,
        phone=phone,
        due_at=callback_due_at(window, at=at, now=now),
        request_message=message,
        created_at=now,
    )
    _events(ticket, (Event.Type.CALLBACK_UPDATED, callback_payload(task)))
    return task


def _duration_text(seconds: int | None) -> str:
    if seconds is None:
        return ""
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


_OUTCOME_TEXT = {
    "missed": "Missed call",
    "voicemail": "Voicemail",
    "answered": "Call answered",
    "no-answer": "No answer",
    "busy": "Line busy",
    "left-voicemail": "Left a voicemail",
    "wrong-number": "Wrong number",
}
CALL_OUTCOMES = list(_OUTCOME_TEXT)
# Logged-call outcomes where the customer heard nothing we could record as an answer.
CALL_OUTCOMES_UNHEARD = ("missed", "no-answer", "busy", "wrong-number")


def call_body(call: dict) -> str:
    """The text a call shows in the thread (and in search, previews, audits),
    rebuilt from the call's details whenever one arrives: one message per call."""
    outcome = call.get("outcome", "")
    recording = call.get("recording") or {}
    transcript = call.get("transcript") or {}
    duration = recording.get("duration") if recording else call.get("duration")
    head = _OUTCOME_TEXT.get(outcome, "Phone call")
    if call.get("direction") == "out":
        head = f"Outbound call: {head.lower()}"
    elif call.get("logged"):
        head = f"Inbound call: {head.lower()}"
    caller = call.get("caller", "")
    if caller == "withheld":
        head += " from a withheld number"
    elif caller.startswith("unrecognised:"):
        head += f" from caller id {caller.removeprefix('unrecognised:')!r}"
    if duration not in (None, ""):
        head += f" ({_duration_text(duration)})"
    if outcome == "missed" and call.get("status"):
        head += f" — {call['status'].replace('-', ' ')}"
    lines = [head + "."]
    if caller:
        lines.append("No number to call back.")
    if call.get("summary"):
        lines.append(call["summary"])
    if transcript.get("text"):
        lines.append(f"Transcript: {transcript['text']}")
    elif transcript.get("status") == "failed":
        # The provider could not transcribe it (too short, too long, unclear):
        # the recording is still there, and says what the transcript would have.
        lines.append("No transcript (transcription failed): listen to the recording.")
    elif recording:
        lines.append("Transcript: not yet available.")
    if recording.get("url"):
        lines.append(f"Recording: {recording['url']}")
    return "\n".join(lines)


def _merge(old: dict, new: dict) -> dict:
    merged = dict(old)
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        elif value not in (None, "", {}):
            merged[key] = value
    return merged


def record_call(*, inbound: InboundMessage) -> Received:
    """A voicemail recording, its transcription or a missed call: one inbound
    phone message per call (provider id = the call's id). Whatever arrives
    first creates it; what arrives later is merged into it, never a second
    message. Redelivered details change nothing."""
    received = receive(inbound)
    if received.created:
        return received
    message = _merge_call_details(message_id=received.message.pk, call=inbound.meta.get("call") or {})
    return Received(message=message, created=False)


@transaction.atomic
def _merge_call_details(*, message_id: int, call: dict) -> Message:
    message = Message.objects.select_for_update(of=("self",)).select_related("ticket").get(pk=message_id)
    current = message.meta.get("call") or {}
    incoming = dict(call)
    if current.get("recording") or incoming.get("recording"):
        # A recording makes the call a voicemail, whatever a status callback said first.
        incoming["outcome"] = "voicemail"
    if current.get("outcome") == "voicemail" and incoming.get("outcome") == "missed":
        incoming.pop("outcome")
    merged = _merge(current, incoming)
    body = call_body(merged)
    if merged == current and body == message.body:
        return message
    message.meta = {**message.meta, "call": merged}
    message.body = body
    message.save(update_fields=["meta", "body"])
    # message.status makes open pages fetch the message again.
    entries = [
        (Event.Type.MESSAGE_STATUS, {"message": message.pk, "status": message.status, "status_detail": message.status_detail, "updated": "call"}),
    ]
    if merged.get("outcome") == "voicemail":
        entries += _close_missed_call_task(message=message)
    _events(message.ticket, *entries)
    return message


def _close_missed_call_task(*, message: Message) -> list[tuple[str, dict]]:
    """The call's status report came before its voicemail and opened a
    missed-call task; the caller did leave a message, which is answered like
    any other (a voicemail that came first never opens one). Closed, not
    deleted: an agent may have it open; done_by stays empty (nobody called)."""
    task = (
        CallbackTask.objects.select_for_update()
        .filter(request_message=message, source=CallbackTask.Source.MISSED_CALL, status=CallbackTask.Status.OPEN)
        .first()
    )
    if task is None:
        return []
    task.status = CallbackTask.Status.DONE
    task.done_at = timezone.now()
    task.save(update_fields=["status", "done_at"])
    return [(Event.Type.CALLBACK_UPDATED, {**callback_payload(task), "closed_by": "voicemail"})]


@transaction.atomic
def log_call(
    *,
    ticket: Ticket,
    author: AbstractBaseUser,
    direction: str,
    outcome: str,
    duration_seconds: int | None,
    summary: str,
    submission_id: str,
    callback: CallbackTask | None = None,
    resolution_version=None,
    off_playbook_reason: str | None = None,
    exception_reason: str | None = None,
) -> Message:
    """Record a phone call an agent made or took as a message on the ticket,
    like a written answer. Logged from a callback task, it closes the task.
    Idempotent on ``submission_id`` (the form's): a double submit logs once.

    An outbound call gets its AnswerRecord like a written reply
    (``resolution_version`` | ``off_playbook_reason`` | ``exception_reason``,
    see ``inbox.actions.reply``; nothing given = off-playbook, "not given").
    A retired or unknown version raises ActionError and stores nothing."""
    summary = summary.strip()
    answer_given = resolution_version not in (None, "") or bool((off_playbook_reason or "").strip()) or bool(
        (exception_reason or "").strip()
    )
    if direction not in (Message.Direction.IN, Message.Direction.OUT):
        raise ActionError("Say whether you called the customer or they called you.")
    if outcome not in CALL_OUTCOMES:
        raise ActionError(f"Unknown call outcome {outcome!r}.")
    if duration_seconds is not None and not 0 <= duration_seconds <= 24 * 3600:
        raise ActionError("A call lasts between 0 seconds and 24 hours.")
    if not summary and outcome == "answered":
        raise ActionError("Write down what was said: the next colleague reads it instead of the call.")
    # Only outbound answers are audited (AnswerRecord); a choice that would
    # not be stored is refused rather than silently dropped.
    if answer_given and direction != Message.Direction.OUT:
        raise ActionError("The playbook answer is recorded for calls you made; choose \"I called the customer\" or leave it empty.")
    if answer_given and outcome in CALL_OUTCOMES_UNHEARD:
        raise ActionError("Nobody heard an answer on this call: leave the playbook answer and reasons empty.")
    ticket = _lock_ticket(ticket.pk)
    provider_id = f"log:{submission_id}"
    existing = Message.objects.filter(channel=Channel.PHONE, provider_id=provider_id).first()
    if existing is not None:
        return existing
    if callback is not None:
        callback = CallbackTask.objects.select_for_update().get(pk=callback.pk)
        if callback.ticket_id != ticket.pk:
            raise ActionError("That callback belongs to another ticket.")
        if callback.status != CallbackTask.Status.OPEN:
            raise ActionError("This callback is already done.")
    now = timezone.now()
    call = {
        "direction": direction,
        "outcome": outcome,
        "duration": duration_seconds,
        "summary": summary,
        "logged": True,
    }
    reached = outcome == "answered"
    message = Message.objects.create(
        ticket=ticket,
        direction=direction,
        channel=Channel.PHONE,
        author=author,
        body=call_body(call),
        provider_id=provider_id,
        status=(
            Message.Status.RECEIVED
            if direction == Message.Direction.IN
            else (Message.Status.DELIVERED if reached else Message.Status.SENT)
        ),
        meta={"call": call, **({"callback": callback.pk} if callback else {})},
        created_at=now,
        sent_at=now if direction == Message.Direction.OUT else None,
    )
    if direction == Message.Direction.OUT:
        from resolutions.actions import record_answer  # every outbound answer gets its AnswerRecord

        # Inside this transaction: a retired version (ActionError) rolls the
        # call and the callback back with it.
        record_answer(
            message=message, resolution_version=resolution_version or None,
            off_playbook_reason=off_playbook_reason, exception_reason=exception_reason,
        )
    fields = ["updated_at"]
    ticket.updated_at = now
    if reached and ticket.first_response_at is None:
        ticket.first_response_at = now
        fields.append("first_response_at")
    if ticket.status == Ticket.Status.NEW:
        ticket.status = Ticket.Status.OPEN
        fields.append("status")
    ticket.save(update_fields=fields)
    entries = [(Event.Type.MESSAGE_CREATED, message_payload(message)), (Event.Type.TICKET_UPDATED, ticket_payload(ticket))]
    if callback is not None:
        callback.status = CallbackTask.Status.DONE
        callback.logged_call = message
        callback.done_by = author
        callback.done_at = now
        callback.save(update_fields=["status", "logged_call", "done_by", "done_at"])
        entries.append((Event.Type.CALLBACK_UPDATED, callback_payload(callback)))
    _events(ticket, *entries)
    return message


def message_provider_status(*, message: Message, status: str, detail: str = "", provider_id: str = "") -> Message:
    """A provider's delivery report for an outbound message (forward-only, see
    message_set_status). Also settles a message left "sending" or
    "unconfirmed" by a worker that died after the provider had it."""
    return message_set_status(message_id=message.pk, status=status, detail=detail, provider_id=provider_id or None)
