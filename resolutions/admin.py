"""Read-only admin: the playbook is changed through the editor or import,
where every change becomes a new version; versions are never edited."""

from __future__ import annotations

from django.contrib import admin

from inbox.admin import ReadOnlyAdmin
from resolutions.models import AnswerRecord, Resolution, ResolutionVersion, Topic, TopicConfirmation


@admin.register(ResolutionVersion)
class ResolutionVersionAdmin(ReadOnlyAdmin):
    list_display = ["resolution", "number", "change_note", "created_by", "created_at", "retired_at"]
    list_filter = ["retired_at"]


@admin.register(AnswerRecord)
class AnswerRecordAdmin(ReadOnlyAdmin):
    list_display = ["message", "kind", "version", "topic", "channel", "language", "edit_ratio", "created_at"]
    list_filter = ["kind", "channel"]


@admin.register(Topic)
class TopicAdmin(ReadOnlyAdmin):
    list_display = ["slug", "cancellation", "position", "updated_at"]


@admin.register(Resolution)
class ResolutionAdmin(ReadOnlyAdmin):
    list_display = ["slug", "topic", "title", "current_version", "retired_at"]


@admin.register(TopicConfirmation)
class TopicConfirmationAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "topic", "confirmed_by", "review", "confirmed_at"]
