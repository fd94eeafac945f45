"""The care loop: SLA targets and clocks, satisfaction surveys, follow-ups,
exit reasons, customer preferences and the privacy audit trail.

Kept out of inbox/ on purpose: the inbox works without any of it, and every
row here points at an inbox row (one-to-one or many-to-one), never the reverse.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inbox.models import Channel, Customer, Queue, Ticket


class Tier(models.TextChoices):
    STANDARD = "standard", _("Standard")
    VIP = "vip", _("VIP")


class CustomerCare(models.Model):
    """What the care loop knows about a customer beyond the inbox: their tier
    and whether they opted out of surveys and follow-ups (an unsubscribe link
    or an agent's note). No row = standard tier, not opted out."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="care")
    tier = models.CharField(max_length=10, choices=Tier.choices, default=Tier.STANDARD)
    opted_out_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"care of customer {self.customer_id}"


class SlaPolicy(models.Model):
    """Targets, in business minutes, for one priority and customer tier."""

    priority = models.CharField(max_length=10, choices=Ticket.Priority.choices)
    tier = models.CharField(max_length=10, choices=Tier.choices, default=Tier.STANDARD)
    first_response_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["priority", "tier"], name="sla_policy_unique_priority_tier")]

    def __str__(self) -> str:
        return f"{self.priority}/{self.tier}: {self.first_response_minutes}/{self.resolution_minutes} min"


class BusinessHours(models.Model):
    """Opening hours of a queue on one weekday (0 = Monday), in TIME_ZONE. A
    queue without any rows runs its SLA clock around the clock."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="business_hours")
    weekday = models.PositiveSmallIntegerField()
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        verbose_name_plural = "business hours"
        ordering = ["queue", "weekday", "opens"]

    def __str__(self) -> str:
        return f"{self.queue} day {self.weekday} {self.opens}-{self.closes}"


class Holiday(models.Model):
    """A closed day: for one queue, or for every queue (queue empty)."""

    queue = models.ForeignKey(Queue, null=True, blank=True, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class AgentAway(models.Model):
    """An agent who is away (holiday, sick): their unanswered tickets escalate at once."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="care_away")
    until = models.DateTimeField(null=True, blank=True, help_text="Empty: until further notice")

    def __str__(self) -> str:
        return f"{self.user} away"


class TicketSla(models.Model):
    """The SLA state of one ticket, recomputed by the periodic check. The
    ``*_warned`` and ``*_alerted`` flags make every alert fire once per target
    and round of work (a reopened ticket starts a new round and clears them)."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="care_sla")
    first_response_due = models.DateTimeField(null=True, blank=True)
    resolution_due = models.DateTimeField(null=True, blank=True)
    paused_minutes = models.PositiveIntegerField(default=0)
    paused = models.BooleanField(default=False)
    # What the inbox row shows now: "" | "at_risk" | "breached" (recomputed every check).
    urgency = models.CharField(max_length=10, blank=True, db_index=True)
    first_response_breached = models.BooleanField(default=False)
    resolution_breached = models.BooleanField(default=False)
    first_response_warned = models.BooleanField(default=False)
    first_response_alerted = models.BooleanField(default=False)
    resolution_warned = models.BooleanField(default=False)
    resolution_alerted = models.BooleanField(default=False)
    # The round of work the flags belong to: creation, or the last reopen.
    cycle_started_at = models.DateTimeField(null=True, blank=True)
    # No answer yet in this round (at the last check).
    awaiting_first_response = models.BooleanField(default=True)
    # The next target's due time (the first answer while it is awaited, else the
    # resolution): what orders the inbox's urgent band, stored so the list sorts on one column.
    due_at = models.DateTimeField(null=True, blank=True)
    # The inbound message whose lack of an answer was last escalated.
    unanswered_alerted_message_id = models.BigIntegerField(null=True, blank=True)
    checked_at = models.DateTimeField(default=timezone.now)

    @property
    def first_response_pending(self) -> bool:
        """Whether the first answer of this round is still to come. An answer
        given since the last check counts at once (the ticket says so)."""
        answered = self.ticket.first_response_at
        if answered is not None and (self.cycle_started_at is None or answered >= self.cycle_started_at):
            return False
        return self.awaiting_first_response

    @property
    def next_due(self):
        if self.first_response_pending and self.first_response_due:
            return self.first_response_due
        return self.resolution_due

    def __str__(self) -> str:
        return f"SLA of ticket {self.ticket_id}"


class CsatSurvey(models.Model):
    """"How did we do?" — asked once per ticket, on the channel the customer used."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="csat")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    message = models.ForeignKey("inbox.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Who solved it and what it was about, fixed at sending: reports group by them.
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    topic = models.ForeignKey("resolutions.Topic", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"CSAT ticket {self.ticket_id}: {self.rating or '-'}"


class FollowUp(models.Model):
    """"Is everything working now?" — once per ticket, days after solving."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="care_follow_up")
    message = models.ForeignKey("inbox.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    sent_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"follow-up ticket {self.ticket_id}"


class ExitReason(models.Model):
    """Why a customer cancelled: structured, one per ticket."""

    class Reason(models.TextChoices):
        PRICE = "price", _("Too expensive")
        SERVICE = "service", _("Unhappy with the service")
        COVERAGE = "coverage", _("Coverage or quality problems")
        COMPETITOR = "competitor", _("Found a better offer elsewhere")
        MOVING = "moving", _("Moving or no longer needed")
        OTHER = "other", _("Something else")

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="exit_reason")
    topic = models.ForeignKey("resolutions.Topic", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=12, choices=Reason.choices)
    detail = models.TextField(blank=True)
    source = models.CharField(max_length=10, default="customer")  # "customer" (their link) | "agent"
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"exit {self.reason} ticket {self.ticket_id}"


class PrivacyAudit(models.Model):
    """Who exported or erased whose data, or changed their tier, opt-out or
    consent, when. Never erased itself: it holds no personal data, only ids,
    counts and the values changed."""

    class Action(models.TextChoices):
        EXPORT = "export", _("Export")
        ERASE = "erase", _("Erase")
        OPT_OUT = "opt_out", _("Opted out")
        OPT_IN = "opt_in", _("Opted back in")
        CONSENT = "consent", _("Follow-up consent")
        TIER = "tier", _("Tier")

    action = models.CharField(max_length=8, choices=Action.choices)
    customer_id = models.BigIntegerField(db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    via = models.CharField(max_length=8, default="ui")  # "ui" | "api" | "command" | "link" (the customer's own)
    counts = models.JSONField(default=dict)
    # What a preference change set: {"consent_follow_up": true, "source": "phone"}, {"from": "standard", "to": "vip"}.
    change = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} customer {self.customer_id} by {self.actor_id}"
