"""Where supervisors and admins set SLA targets, opening hours, holidays and who is away."""

from __future__ import annotations

from django.contrib import admin

from care.models import (
    AgentAway, BusinessHours, CsatSurvey, CustomerCare, ExitReason, FollowUp, Holiday, PrivacyAudit, SlaPolicy, TicketSla,
)
from inbox.admin import ReadOnlyAdmin


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("priority", "tier", "first_response_minutes", "resolution_minutes")


@admin.register(BusinessHours)
class BusinessHoursAdmin(admin.ModelAdmin):
    list_display = ("queue", "weekday", "opens", "closes")
    list_filter = ("queue",)


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ("date", "name", "queue")


@admin.register(AgentAway)
class AgentAwayAdmin(admin.ModelAdmin):
    list_display = ("user", "until")


@admin.register(CustomerCare)
class CustomerCareAdmin(admin.ModelAdmin):
    list_display = ("customer", "tier", "opted_out_at")
    raw_id_fields = ("customer",)


@admin.register(PrivacyAudit)
class PrivacyAuditAdmin(ReadOnlyAdmin):
    """The trail is evidence: read-only here."""

    list_display = ("created_at", "action", "customer_id", "actor", "via")


@admin.register(TicketSla)
class TicketSlaAdmin(ReadOnlyAdmin):
    """Recomputed by the SLA check (care.sla)."""

    list_display = ("ticket", "urgency", "due_at", "first_response_due", "resolution_due", "paused", "checked_at")
    list_filter = ("urgency", "paused")
    raw_id_fields = ("ticket",)


@admin.register(CsatSurvey)
class CsatSurveyAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "channel", "agent", "sent_at", "rating", "answered_at")
    list_filter = ("channel", "rating")
    raw_id_fields = ("ticket", "message", "agent")


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "channel", "sent_at")
    raw_id_fields = ("ticket", "message")


@admin.register(ExitReason)
class ExitReasonAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "topic", "reason", "source", "created_at")
    list_filter = ("reason", "source")
    raw_id_fields = ("ticket",)
