"""The supervisor's consistency audit: weekly score aggregates, findings and coaching notes.

Everything here is derived from ``resolutions.AnswerRecord`` except the
supervisor's triage (a finding's status) and the coaching notes they write.
Writes go through ``audit.actions`` and ``audit.metrics``/``audit.findings``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WeeklyScore(models.Model):
    """Counts of answer records of one week for one (channel, queue, agent, topic).

    Precomputed so the dashboard sums a few thousand rows instead of scanning
    every answer record; ``audit.metrics.refresh_aggregates`` recomputes every
    week that gained records since the last run, so they stay correct."""

    week = models.DateField()  # the Monday
    channel = models.CharField(max_length=8)
    queue_id = models.BigIntegerField(null=True)
    agent_id = models.BigIntegerField(null=True)
    topic_id = models.BigIntegerField(null=True)
    total = models.PositiveIntegerField(default=0)
    following = models.PositiveIntegerField(default=0)
    exceptions = models.PositiveIntegerField(default=0)
    off_playbook = models.PositiveIntegerField(default=0)
    stale = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["week"], name="audit_weekly_week")]


class AuditState(models.Model):
    """Small key/value state of the audit jobs (the aggregates' watermark)."""

    key = models.CharField(max_length=50, unique=True)
    value = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)


class Finding(models.Model):
    class Kind(models.TextChoices):
        DIVERGENCE = "divergence", _("Channels diverge")
        CONTRADICTION = "contradiction", _("Contradiction to one customer")
        PROMISE = "promise", _("Promise outside policy")
        CLUSTER = "cluster", _("Off-playbook cluster")
        STALE = "stale", _("Stale version")
        TONE = "tone", _("Tone")

    class Severity(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACCEPTED = "accepted", _("Accepted as exception")
        COACHED = "coached", _("Agent coached")
        PLAYBOOK_UPDATED = "playbook_updated", _("Playbook updated")

    # Stable identity of what was found (kind + what it is about), so the job
    # can run again without duplicating a finding or reopening a triaged one.
    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.MEDIUM)
    topic = models.ForeignKey("resolutions.Topic", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    resolution = models.ForeignKey(
        "resolutions.Resolution", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_findings"
    )
    summary = models.CharField(max_length=300)
    details = models.JSONField(default=dict, blank=True)
    message_ids = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    triaged_at = models.DateTimeField(null=True, blank=True)
    triage_note = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "kind"], name="audit_finding_status_kind")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.summary}"


class CoachingNote(models.Model):
    """A supervisor's note to an agent about a finding; the agent sees it in their inbox."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coaching_notes")
    finding = models.ForeignKey(Finding, null=True, blank=True, on_delete=models.SET_NULL, related_name="coaching_notes")
    body = models.TextField()
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class ReviewBatch(models.Model):
    """A QA sample: answers drawn equally from each channel, scored by one or
    more supervisors (two on the same batch = a calibration)."""

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    per_channel = models.PositiveSmallIntegerField()
    message_ids = models.JSONField(default=list)

    class Meta:
        ordering = ["-created_at", "-id"]


class Review(models.Model):
    """One supervisor's scorecard for one answer: 1 (poor) to 4 (excellent) each."""

    batch = models.ForeignKey(ReviewBatch, on_delete=models.CASCADE, related_name="reviews")
    message = models.ForeignKey("inbox.Message", on_delete=models.CASCADE, related_name="qa_reviews")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="qa_reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    right_resolution = models.PositiveSmallIntegerField()
    personal = models.PositiveSmallIntegerField()
    warm = models.PositiveSmallIntegerField()
    clear = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    SCORES = ("right_resolution", "personal", "warm", "clear")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["batch", "message", "reviewer"], name="audit_review_once_per_reviewer")]
