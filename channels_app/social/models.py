"""What the X connector remembers between polls.

channels_app owns these tables; the inbox never reads them directly. One
``XCursor`` per account and stream holds the newest id already stored (the
``since_id`` of the next poll); one ``XChannelHealth`` per account says whether
the last poll worked, which the inbox banner shows; an ``XGapAlert`` records
that X may have dropped messages we never saw.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class XCursor(models.Model):
    class Stream(models.TextChoices):
        MENTIONS = "mentions", "Mentions"
        DMS = "dms", "Direct messages"

    account = models.CharField(max_length=64)
    stream = models.CharField(max_length=16, choices=Stream.choices)
    # Snowflake ids are compared as integers: a string "9" > "10".
    since_id = models.BigIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "channels_app"
        verbose_name = "X cursor"
        constraints = [models.UniqueConstraint(fields=["account", "stream"], name="xcursor_unique_account_stream")]

    def __str__(self) -> str:
        return f"{self.account}/{self.stream} since {self.since_id}"


class XChannelHealth(models.Model):
    class State(models.TextChoices):
        OK = "ok", "Working"
        RATE_LIMITED = "rate_limited", "Rate-limited by X"
        UNAUTHORIZED = "unauthorized", "Unauthorized (check the X credentials)"
        UNREACHABLE = "unreachable", "X unreachable"

    account = models.CharField(max_length=64, unique=True)
    # Resolved once through GET /2/users/me when the settings don't give it.
    user_id = models.CharField(max_length=32, blank=True)
    handle = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OK)
    rate_limited_until = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "channels_app"
        verbose_name = "X channel health"
        verbose_name_plural = "X channel health"

    def __str__(self) -> str:
        return f"{self.account}: {self.state}"

    @property
    def healthy(self) -> bool:
        return self.state == self.State.OK


class XGapAlert(models.Model):
    """X moved past our cursor: messages between ``since_id`` and the oldest one
    we got may be gone. Shown in the inbox until someone acknowledges it."""

    account = models.CharField(max_length=64)
    stream = models.CharField(max_length=16, choices=XCursor.Stream.choices)
    since_id = models.BigIntegerField(null=True, blank=True)
    oldest_seen_id = models.BigIntegerField(null=True, blank=True)
    detail = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        app_label = "channels_app"
        verbose_name = "X gap alert"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.account}/{self.stream}: {self.detail}"
