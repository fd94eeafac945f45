"""The shared resolution playbook and the record of which answer every reply used.

A Topic is what the customer asks about; a Resolution is the agreed answer and
policy for it, whose wording lives in immutable ResolutionVersions (one per
change, the old one retired). Every outbound message gets exactly one
AnswerRecord: the version it used, or off-playbook with a reason, or an
exception (a gesture, with a reason the customer is told about).

Versions are never edited in place: ``resolutions.actions`` only ever creates
them and sets ``retired_at`` once; the admin shows them read-only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

# The channels a version can word an answer for. "default" serves web and email
# (and any channel without its own wording); "phone" is a script to read out.
ANSWER_CHANNELS = ("default", "x", "sms", "phone")


class Topic(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    # {"en": "Unexpected data charges", "nl": "Onverwachte datakosten"}
    names = models.JSONField(default=dict)
    # {"en": ["my bill shows huge data charges", ...], "nl": [...]}
    examples = models.JSONField(default=dict)
    # Words and short phrases in any language that point at this topic: they
    # bridge a message in a language the examples don't cover.
    keywords = models.JSONField(default=list, blank=True)
    # Retention and cancellation flows key on this (a later issue).
    cancellation = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0, help_text="Order in the playbook file")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.slug

    def name_in(self, language: str) -> str:
        return self.names.get(language) or self.names.get("en") or next(iter(self.names.values()), self.slug)


class Resolution(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="resolutions")
    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    policy = models.TextField(blank=True)
    # What an agent may promise under this resolution, e.g. {"refund_max_eur": 50}.
    promises = models.JSONField(default=dict, blank=True)
    position = models.PositiveIntegerField(default=0)
    # Denormalised pointer to the live version (the one not retired), so the
    # composer and the suggestion index need no "latest version" subquery.
    current_version = models.ForeignKey(
        "ResolutionVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    retired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["topic__position", "position", "id"]

    def __str__(self) -> str:
        return self.slug


class ResolutionVersion(models.Model):
    resolution = models.ForeignKey(Resolution, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    # {"en": {"default": "Hi {first_name}, ...", "x": "...", "sms": "...", "phone": "..."}, "nl": {...}}
    answers = models.JSONField()
    # The sentence added to an exception reply, per language: it tells the
    # customer this is a one-off gesture, not a new rule.
    exception_wording = models.JSONField(default=dict, blank=True)
    # The policy and promises in force when this version was written: the
    # audit judges an old answer by the rules of its time.
    policy = models.TextField(blank=True)
    promises = models.JSONField(default=dict, blank=True)
    change_note = models.CharField(max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["resolution_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["resolution", "number"], name="resolution_version_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.resolution.slug} v{self.number}"

    @property
    def languages(self) -> list[str]:
        return list(self.answers)


class AnswerRecord(models.Model):
    """Which playbook answer one outbound message used (exactly one per message)."""

    class Kind(models.TextChoices):
        PLAYBOOK = "playbook", "Playbook answer"
        OFF_PLAYBOOK = "off_playbook", "Off-playbook"
        EXCEPTION = "exception", "Exception (gesture)"

    message = models.OneToOneField("inbox.Message", on_delete=models.CASCADE, related_name="answer_record")
    version = models.ForeignKey(
        ResolutionVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="answer_records"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    reason = models.CharField(max_length=500, blank=True)
    topic = models.ForeignKey(Topic, null=True, blank=True, on_delete=models.SET_NULL, related_name="answer_records")
    channel = models.CharField(max_length=8)
    language = models.CharField(max_length=8, blank=True)
    # What the playbook rendered for this reply, and how far the sent text
    # strayed from it (Levenshtein distance; ratio 0 = as rendered, 1 = rewritten).
    rendered_text = models.TextField(blank=True)
    edit_distance = models.PositiveIntegerField(null=True, blank=True)
    edit_ratio = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["kind", "created_at"], name="answer_kind_recent"),
            models.Index(fields=["topic", "channel"], name="answer_topic_channel"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} message={self.message_id}"


class TopicConfirmation(models.Model):
    """An agent's one-click "this ticket is about <topic>". The latest one is
    the ticket's topic; its message text becomes a new example of the topic
    only once a supervisor approves it."""

    class Review(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        APPROVED = "approved", "Approved as example"
        REJECTED = "rejected", "Not used as example"

    ticket = models.ForeignKey("inbox.Ticket", on_delete=models.CASCADE, related_name="topic_confirmations")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="confirmations")
    message = models.ForeignKey(
        "inbox.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="topic_confirmations"
    )
    example_text = models.TextField(blank=True)
    language = models.CharField(max_length=8, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(default=timezone.now)
    review = models.CharField(max_length=8, choices=Review.choices, default=Review.PENDING)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["ticket", "-confirmed_at"], name="confirmation_ticket_recent"),
            models.Index(fields=["review", "confirmed_at"], name="confirmation_review_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} -> {self.topic.slug}"
