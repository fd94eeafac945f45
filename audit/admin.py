"""The audit's rows in the Django admin: read-only (the audit job, triage and QA write them through audit.actions)."""

from __future__ import annotations

from django.contrib import admin

from audit.models import AuditState, CoachingNote, Finding, Review, ReviewBatch, WeeklyScore
from inbox.admin import ReadOnlyAdmin


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "severity", "status", "topic", "agent", "summary", "created_at", "triaged_by")
    list_filter = ("kind", "status", "severity")
    search_fields = ("summary", "key")
    raw_id_fields = ("topic", "resolution", "agent", "triaged_by")


@admin.register(CoachingNote)
class CoachingNoteAdmin(ReadOnlyAdmin):
    list_display = ("agent", "finding", "written_by", "created_at", "read_at")
    raw_id_fields = ("agent", "finding", "written_by")


@admin.register(ReviewBatch)
class ReviewBatchAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_by", "created_at", "per_channel")


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ("batch", "message", "agent", "reviewer", "right_resolution", "personal", "warm", "clear", "created_at")
    raw_id_fields = ("batch", "message", "agent", "reviewer")


@admin.register(WeeklyScore)
class WeeklyScoreAdmin(ReadOnlyAdmin):
    list_display = ("week", "channel", "queue_id", "agent_id", "topic_id", "total", "following", "exceptions", "off_playbook", "stale")
    list_filter = ("channel",)


@admin.register(AuditState)
class AuditStateAdmin(ReadOnlyAdmin):
    list_display = ("key", "value", "updated_at")
