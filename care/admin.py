"""Where supervisors and admins set SLA targets, opening hours, holidays and who is away."""

from __future__ import annotations

from django.contrib import admin

from care.models import AgentAway, BusinessHours, CustomerCare, Holiday, PrivacyAudit, SlaPolicy


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
class PrivacyAuditAdmin(admin.ModelAdmin):
    list_display = ("created_at", "action", "customer_id", "actor", "via")

    # The trail is evidence: read-only here.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
