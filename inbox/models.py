"""The one ticket model every channel lands in.

A Customer has Identities (phone, email, X account); a Ticket belongs to one
customer and one Queue (team); Messages are inbound, outbound or internal notes
on any channel; Events record every change a screen shows, in order.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Human ticket references are the primary key shifted, so "T-1042" needs no
# extra column, no sequence and no race to allocate it.
TICKET_NUMBER_OFFSET = 1000


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone call")
    SMS = "sms", _("SMS")
    X = "x", _("X")


class Customer(models.Model):
    name = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=8, blank=True)
    consent_follow_up = models.BooleanField(
        default=False, help_text="The customer agreed to follow-up mail (never pre-ticked)."
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name or f"Customer {self.pk}"

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else ""


class Identity(models.Model):
    class Kind(models.TextChoices):
        PHONE = "phone", _("Phone (E.164)")
        EMAIL = "email", _("Email")
        X = "x", _("X user id")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # Normalised: E.164 for phones, lowercased for emails, the numeric user id for X.
    value = models.CharField(max_length=254)
    handle = models.CharField(max_length=100, blank=True, help_text="X @handle, kept up to date")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "identities"
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="identity_unique_kind_value")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.handle or self.value}"


class Queue(models.Model):
    """A team. Agents see and work the tickets of the queues they are members of."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="inbox_queues", blank=True)

    def __str__(self) -> str:
        return self.name


# Ticket statuses of work still to do (new, open, pending): module level so the
# partial indexes in Ticket.Meta can name them too.
WORK_STATUSES = ("new", "open", "pending")


class Ticket(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        OPEN = "open", _("Open")
        PENDING = "pending", _("Pending")
        SOLVED = "solved", _("Solved")
        CLOSED = "closed", _("Closed")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        URGENT = "urgent", _("Urgent")

    ACTIVE_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.SOLVED)  # a customer's message may thread into these
    WORK_STATUSES = WORK_STATUSES  # still to do: the inbox's default "active" view

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="tickets")
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="tickets")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_tickets"
    )
    subject = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    origin_channel = models.CharField(max_length=8, choices=Channel.choices)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    first_response_at = models.DateTimeField(null=True, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The inbox list is keyset-paginated on (updated_at, id), usually
            # filtered by queue and status: these serve it without a sort.
            models.Index(fields=["-updated_at", "-id"], name="ticket_recent"),
            models.Index(fields=["queue", "status", "-updated_at", "-id"], name="ticket_queue_status_recent"),
            models.Index(fields=["customer", "-updated_at"], name="ticket_customer_recent"),
            # The default view (work still to do) and its counters. Partial: the
            # backlog stays small while solved/closed history grows forever, so
            # a deep page of the backlog walks only backlog entries, and the
            # counters read a few thousand index entries instead of the table.
            models.Index(
                fields=["-updated_at", "-id"], name="ticket_work_recent", condition=Q(status__in=list(WORK_STATUSES))
            ),
            models.Index(fields=["status", "queue"], name="ticket_work_status", condition=Q(status__in=list(WORK_STATUSES))),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def reference(self) -> str:
        return f"T-{self.pk + TICKET_NUMBER_OFFSET}"

    @staticmethod
    def pk_from_reference(reference: str) -> int | None:
        digits = reference.strip().upper().removeprefix("T-")
        if not digits.isdigit():
            return None
        pk = int(digits) - TICKET_NUMBER_OFFSET
        return pk if pk > 0 else None


class Message(models.Model):
    class Direction(models.TextChoices):
        IN = "in", _("Inbound")
        OUT = "out", _("Outbound")
        NOTE = "note", _("Internal note")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        QUEUED = "queued", _("Queued")
        # Claimed by a worker (claimed_at), provider call under way.
        SENDING = "sending", _("Sending")
        # Still "sending" UNISONO_UNCONFIRMED_AFTER_MINUTES after the claim:
        # the worker died before or after the provider had it, or no status
        # report came. Never sent again automatically; the provider's report
        # still settles it, and the agent may check and send it again.
        UNCONFIRMED = "unconfirmed", _("Unconfirmed — check before resending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        UNDELIVERED = "undelivered", _("Undelivered")
        FAILED = "failed", _("Failed")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=4, choices=Direction.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    body = models.TextField()
    # The provider's id (Twilio MessageSid, tweet id, form submission id...).
    # Unique per channel: the database is what makes ingest idempotent.
    provider_id = models.CharField(max_length=128, null=True, blank=True)
    # The provider id of the message this one answers, when the provider says.
    in_reply_to = models.CharField(max_length=128, blank=True)
    # The provider's public conversation (X conversation_id), for threading.
    conversation = models.CharField(max_length=128, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RECEIVED)
    status_detail = models.CharField(max_length=500, blank=True)
    # Sent with outbound calls that accept one, so a retried task never sends twice.
    idempotency_key = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    delivery_attempts = models.PositiveSmallIntegerField(default=0)
    # While a retry is pending: when the delivery task tries again (the
    # provider's reset time after a rate limit, else the backoff).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # When the last delivery attempt claimed it (queued -> sending).
    claimed_at = models.DateTimeField(null=True, blank=True)
    language = models.CharField(max_length=8, blank=True)
    meta = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "provider_id"],
                condition=Q(provider_id__isnull=False),
                name="message_unique_channel_provider_id",
            )
        ]
        indexes = [
            models.Index(fields=["ticket", "id"], name="message_ticket_id"),
            # threading.find_ticket looks a customer's conversation up by it; most rows have none.
            models.Index(fields=["channel", "conversation"], name="message_conversation",
                         condition=~Q(conversation="")),
            # The unconfirmed-delivery sweep: a handful of rows in a table that only grows.
            models.Index(fields=["claimed_at"], name="message_sending_claimed", condition=Q(status="sending")),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.channel} #{self.pk}"


class Event(models.Model):
    """One change a screen shows. Written in the transaction that makes the
    change, broadcast after commit; the monotonic id is the resume cursor."""

    class Type(models.TextChoices):
        TICKET_CREATED = "ticket.created"
        TICKET_UPDATED = "ticket.updated"
        MESSAGE_CREATED = "message.created"
        MESSAGE_STATUS = "message.status"
        CALLBACK_UPDATED = "callback.updated"
        # care/: an SLA is at risk or breached, or a message sits unanswered.
        TICKET_SLA = "ticket.sla"

    id = models.BigAutoField(primary_key=True)
    type = models.CharField(max_length=32, choices=Type.choices)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    # Denormalised from the ticket at the time of the event, so a resume can
    # filter by the queues a user may see without a join.
    queue_id = models.BigIntegerField(db_index=True)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.id} {self.type} ticket={self.ticket_id}"


class CallbackTask(models.Model):
    """A promise to call the customer back: asked for on the web form, or owed
    after a missed call. Due by the window the customer chose; closed by the
    call an agent logs."""

    class Source(models.TextChoices):
        WEB_FORM = "web_form", _("Call-me-back form")
        MISSED_CALL = "missed_call", _("Missed call")

    class Window(models.TextChoices):
        ASAP = "asap", _("Within 90 minutes")
        OFFICE = "office", _("During office hours")
        EVENING = "evening", _("In the evening, after 20:00")
        AT = "at", _("At a chosen time")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="callback_tasks")
    # "call:<CallSid>" or "message:<id>": what asked for it, so a redelivered
    # webhook or form can never create a second task.
    key = models.CharField(max_length=160, unique=True)
    source = models.CharField(max_length=12, choices=Source.choices)
    window = models.CharField(max_length=8, choices=Window.choices)
    phone = models.CharField(max_length=32, help_text="E.164 number to call")
    due_at = models.DateTimeField()
    status = models.CharField(max_length=4, choices=Status.choices, default=Status.OPEN)
    request_message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="callback_requests"
    )
    logged_call = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="closed_callbacks"
    )
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "due_at", "id"], name="callback_queue")]

    def __str__(self) -> str:
        return f"callback {self.phone} due {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.OPEN and self.due_at < timezone.now()
